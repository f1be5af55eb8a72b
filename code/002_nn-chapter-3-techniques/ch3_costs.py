"""Activations and the three costs of chapter 3, each with the error it sends backwards.

The quantity backprop starts from is delta = dC/dz at the output layer. Which cost pairs
with which output layer decides whether learning slows down when the network is badly
wrong:

- quadratic cost, sigmoid outputs: delta = (a - y) * sigmoid'(z). When a sigmoid
  saturates near 0 or 1, sigmoid'(z) is tiny, so a confidently wrong neuron learns slowly.
- cross-entropy cost, sigmoid outputs: delta = a - y. The sigmoid' factor cancels, so the
  error drives learning directly.
- log-likelihood cost, softmax outputs: delta = a - y as well; the outputs now form a
  probability distribution over the ten classes.
"""

from __future__ import annotations

import numpy as np

COSTS = ("quadratic", "cross_entropy", "log_likelihood")
# Which output layer each cost is meant for; other pairings are refused.
OUTPUT_FOR_COST = {
    "quadratic": ("sigmoid", "softmax"),
    "cross_entropy": ("sigmoid",),
    "log_likelihood": ("softmax",),
}
EPS = 1e-12  # keeps log() finite when an output is exactly 0 or 1 in float32


def sigmoid(z: np.ndarray) -> np.ndarray:
    """1 / (1 + e^-z), written with tanh so large |z| cannot overflow."""
    return 0.5 * (1.0 + np.tanh(0.5 * z))


def softmax(z: np.ndarray) -> np.ndarray:
    """Row-wise softmax; subtracting the row max changes nothing but avoids overflow."""
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def relu(z: np.ndarray) -> np.ndarray:
    return np.maximum(z, 0)


# name -> (function, derivative written in terms of z and a = f(z))
HIDDEN = {
    "sigmoid": (sigmoid, lambda z, a: a * (1 - a)),
    "tanh": (np.tanh, lambda z, a: 1 - a * a),
    "relu": (relu, lambda z, a: (z > 0).astype(z.dtype)),
}
OUTPUTS = {"sigmoid": sigmoid, "softmax": softmax}


def check_pairing(cost: str, output: str) -> None:
    if cost not in OUTPUT_FOR_COST:
        raise ValueError(f"unknown cost {cost!r}; choose from {', '.join(COSTS)}")
    if output not in OUTPUT_FOR_COST[cost]:
        raise ValueError(
            f"cost {cost!r} goes with a {' or '.join(OUTPUT_FOR_COST[cost])} output layer, "
            f"not {output!r}"
        )


def cost_value(cost: str, a: np.ndarray, y: np.ndarray) -> float:
    """Mean cost over the rows of a batch (outputs `a`, one-hot targets `y`)."""
    if cost == "quadratic":
        per_sample = 0.5 * np.sum((a - y) ** 2, axis=1)
    elif cost == "cross_entropy":
        per_sample = -np.sum(y * np.log(a + EPS) + (1 - y) * np.log(1 - a + EPS), axis=1)
    elif cost == "log_likelihood":
        per_sample = -np.log(np.sum(a * y, axis=1) + EPS)
    else:
        raise ValueError(f"unknown cost {cost!r}")
    return float(np.mean(per_sample))


def output_delta(cost: str, output: str, a: np.ndarray, y: np.ndarray) -> np.ndarray:
    """dC/dz for each row at the output layer (not yet divided by the batch size)."""
    if cost == "quadratic":
        diff = a - y
        if output == "sigmoid":
            return diff * a * (1 - a)
        # softmax Jacobian applied to (a - y): a * (diff - <diff, a>)
        return a * (diff - np.sum(diff * a, axis=1, keepdims=True))
    # cross-entropy with sigmoid and log-likelihood with softmax: the same clean error
    return a - y
