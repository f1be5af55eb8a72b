"""Checks the hand-written backprop of nn_SGD.py two independent ways.

1. Finite differences, float64: nudge each weight by +-eps, measure the cost, compare
   (C(w + eps) - C(w - eps)) / 2eps with the backprop gradient.
2. The scalar autograd engine in tiny_autograd.py, which knows nothing about layers.

Run it:  python grad_check.py
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

import numpy as np
from nn_SGD import COSTS, XOR_INPUTS, XOR_TARGETS, Network
from results_io import write_metrics
from tiny_autograd import autograd_gradients

ARCHITECTURES = ([2, 2, 1], [2, 4, 1], [2, 3, 3, 1], [2, 5, 2])
SEEDS = (0, 1, 2)
EPSILON = np.finfo(np.float64).eps ** (1 / 3)  # ~6e-6: balances truncation and rounding error
FD_LIMIT = 1e-6  # the bar for finite differences
AUTOGRAD_LIMIT = 1e-10  # same maths, different rounding: should agree to ~1e-15


def relative_error(a: np.ndarray, b: np.ndarray) -> float:
    """max |a - b| / max(|a|, |b|), elementwise; 1e-12 keeps 0 vs 0 from dividing by zero."""
    return float(np.max(np.abs(a - b) / np.maximum(np.maximum(np.abs(a), np.abs(b)), 1e-12)))


def flat(arrays: list[np.ndarray]) -> np.ndarray:
    return np.concatenate([a.ravel() for a in arrays])


def xor_like_targets(n_out: int) -> np.ndarray:
    """XOR targets for one output; for more outputs, XOR and its complement alternating."""
    return np.column_stack([XOR_TARGETS[:, 0] if j % 2 == 0 else 1 - XOR_TARGETS[:, 0]
                            for j in range(n_out)])


def finite_difference_gradients(net: Network, x: np.ndarray, y: np.ndarray,
                                eps: float = EPSILON) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Central differences of the cost, one parameter at a time (slow, obviously right)."""
    grads = []
    for param in net.weights + net.biases:
        grad = np.zeros_like(param)
        for index in np.ndindex(param.shape):
            saved = param[index]
            param[index] = saved + eps
            plus = net.total_cost(x, y)
            param[index] = saved - eps
            minus = net.total_cost(x, y)
            param[index] = saved
            grad[index] = (plus - minus) / (2 * eps)
        grads.append(grad)
    n = len(net.weights)
    return grads[:n], grads[n:]


def check_one(sizes: list[int], cost: str, seed: int) -> tuple[float, float]:
    """(finite-difference relative error, autograd relative error) for one random network."""
    net = Network(sizes, seed=seed, cost=COSTS[cost])
    x, y = XOR_INPUTS, xor_like_targets(sizes[-1])
    backprop = flat(sum(net.backprop(x, y), []))
    numeric = flat(sum(finite_difference_gradients(net, x, y), []))
    auto = flat(sum(autograd_gradients(net.weights, net.biases, x, y, cost), []))
    return relative_error(backprop, numeric), relative_error(backprop, auto)


def run_checks() -> tuple[float, float, int]:
    """Largest errors over every architecture, cost and seed, and how many nets were checked."""
    worst_fd = worst_auto = 0.0
    count = 0
    for sizes in ARCHITECTURES:
        for cost in sorted(COSTS):
            errors = [check_one(sizes, cost, seed) for seed in SEEDS]
            fd, auto = max(e[0] for e in errors), max(e[1] for e in errors)
            worst_fd, worst_auto = max(worst_fd, fd), max(worst_auto, auto)
            count += len(errors)
            print(f"  {'-'.join(map(str, sizes)):8s} {cost:13s} seeds {SEEDS}: max relative "
                  f"error {fd:.1e} vs finite differences, {auto:.1e} vs autograd")
    return worst_fd, worst_auto, count


def main(argv: Sequence[str] | None = None) -> int:
    argparse.ArgumentParser(description=__doc__.splitlines()[0]).parse_args(argv)
    print(f"backprop vs central finite differences (eps {EPSILON:.2e}) and vs tiny_autograd, "
          "in float64")
    worst_fd, worst_auto, count = run_checks()
    print(f"{count} networks checked: max relative error {worst_fd:.2e} (finite differences), "
          f"{worst_auto:.2e} (autograd)")
    write_metrics({"grad_check_max_rel_error": worst_fd,
                   "autograd_max_rel_error": worst_auto,
                   "grad_check_networks": count})
    ok = worst_fd < FD_LIMIT and worst_auto < AUTOGRAD_LIMIT
    print("PASS" if ok else f"FAIL: limits are {FD_LIMIT} and {AUTOGRAD_LIMIT}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
