"""Compare backprop with finite differences, in float64, for every cost and regularizer.

For a few randomly chosen weights and biases, the centered difference
(C(w + h) - C(w - h)) / 2h approximates dC/dw; backprop must agree to a relative error
far below 1e-6. Dropout is checked too, with its masks held fixed.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
from ch3_data import one_hot
from ch3_network import NetConfig, Network

# (label, config) pairs covering every cost, every regularizer, dropout and the activations
CASES: list[tuple[str, NetConfig]] = [
    ("quadratic", NetConfig(cost="quadratic", output="sigmoid")),
    ("quadratic_softmax", NetConfig(cost="quadratic", output="softmax")),
    ("cross_entropy", NetConfig(cost="cross_entropy", output="sigmoid")),
    ("log_likelihood", NetConfig(cost="log_likelihood", output="softmax")),
    ("l2", NetConfig(cost="cross_entropy", regularizer="l2", lmbda=5.0)),
    ("l1", NetConfig(cost="cross_entropy", regularizer="l1", lmbda=5.0)),
    ("dropout", NetConfig(cost="log_likelihood", output="softmax", dropout=0.5)),
    ("relu_hidden", NetConfig(cost="log_likelihood", output="softmax", hidden="relu")),
]


FLOOR = 1e-4  # below this size a gradient is compared on an absolute scale


def relative_error(a: float, b: float) -> float:
    """|a - b| relative to the larger of the two. Rounding in the difference quotient is
    about 1e-11 in float64, so tiny gradients get the floor instead of their own size."""
    return abs(a - b) / max(abs(a), abs(b), FLOOR)


def check(config: NetConfig, n_checks: int = 20, seed: int = 0, h: float = 1e-5) -> float:
    """Largest relative error between backprop and finite differences for `config`."""
    config = replace(config, sizes=(12, 7, 5, 4), init="scaled")
    rng = np.random.default_rng(seed)
    net = Network(config, seed=seed, dtype=np.float64)
    x = rng.random((6, 12))
    y = one_hot(rng.integers(0, 4, size=6), 4, dtype=np.float64)
    n_train = 30
    masks = net.draw_masks(len(x), rng)
    grad_W, grad_b = net.gradients(x, y, n_train, masks)
    worst = 0.0
    for _ in range(n_checks):
        layer = int(rng.integers(len(net.W)))
        use_bias = rng.random() < 0.3
        param, grad = (net.b, grad_b) if use_bias else (net.W, grad_W)
        flat = param[layer].reshape(-1)
        i = int(rng.integers(flat.size))
        if config.regularizer == "l1" and not use_bias and abs(flat[i]) < 2 * h:
            continue  # |w| has a kink at 0; a step across it is not a derivative
        keep = flat[i]
        flat[i] = keep + h
        up = net.loss(x, y, n_train, masks)
        flat[i] = keep - h
        down = net.loss(x, y, n_train, masks)
        flat[i] = keep
        numeric = (up - down) / (2 * h)
        worst = max(worst, relative_error(numeric, float(grad[layer].reshape(-1)[i])))
    return worst


def check_all(seed: int = 0) -> dict[str, float]:
    return {label: check(config, seed=seed) for label, config in CASES}


if __name__ == "__main__":
    for label, err in check_all().items():
        print(f"{label:>18}: max relative error {err:.2e}")
