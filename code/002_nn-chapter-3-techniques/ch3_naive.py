"""The slow reference: backprop one image at a time, as a first network usually does.

Same weights, costs and L2 penalty as `ch3_network.Network`, but every image of a
mini-batch goes through its own forward and backward pass with column vectors, and the
gradients are summed in a Python loop. It exists only so `benchmarks/` can measure what
the batched matrix version buys; nothing else trains with it.
"""

from __future__ import annotations

import numpy as np
from ch3_costs import HIDDEN, OUTPUTS, output_delta
from ch3_network import Network


class NaiveNetwork:
    """Column-vector copy of a `Network`: W[l] has shape (n_out, n_in), b[l] (n_out, 1)."""

    def __init__(self, net: Network):
        if net.config.dropout or net.config.regularizer == "l1":
            raise ValueError("the naive reference covers costs and L2 only")
        self.config = net.config
        self.W = [W.T.copy() for W in net.W]
        self.b = [b[:, None].copy() for b in net.b]

    def backprop_one(self, x: np.ndarray, y: np.ndarray):
        """Gradients of one sample's cost; `x` and `y` are column vectors."""
        act, act_prime = HIDDEN[self.config.hidden]
        zs, acts = [], [x]
        for layer, (W, b) in enumerate(zip(self.W, self.b, strict=True)):
            z = W @ acts[-1] + b
            zs.append(z)
            last = layer == len(self.W) - 1
            # the cost helpers work on rows, so the output layer is transposed around them
            acts.append(OUTPUTS[self.config.output](z.T).T if last else act(z))
        delta = output_delta(self.config.cost, self.config.output, acts[-1].T, y.T).T
        grad_W = [np.zeros_like(W) for W in self.W]
        grad_b = [np.zeros_like(b) for b in self.b]
        for layer in range(len(self.W) - 1, -1, -1):
            grad_W[layer] = delta @ acts[layer].T
            grad_b[layer] = delta
            if layer:
                delta = (self.W[layer].T @ delta) * act_prime(zs[layer - 1], acts[layer])
        return grad_W, grad_b

    def gradients(self, x: np.ndarray, y: np.ndarray, n_train: int):
        """Mean gradient over a batch (rows of `x`, `y`), one sample at a time."""
        total_W = [np.zeros_like(W) for W in self.W]
        total_b = [np.zeros_like(b) for b in self.b]
        for xi, yi in zip(x, y, strict=True):
            gW, gb = self.backprop_one(xi[:, None], yi[:, None])
            for layer in range(len(self.W)):
                total_W[layer] += gW[layer]
                total_b[layer] += gb[layer]
        m = len(x)
        c = self.config
        decay = c.lmbda / n_train if c.regularizer == "l2" else 0.0
        grad_W = [g / m + decay * W for g, W in zip(total_W, self.W, strict=True)]
        grad_b = [g / m for g in total_b]
        return grad_W, grad_b

    def train_epoch(
        self, x: np.ndarray, y: np.ndarray, eta: float, batch_size: int, order: np.ndarray
    ) -> None:
        """One epoch of plain SGD over the samples in `order`."""
        for start in range(0, len(x), batch_size):
            idx = order[start : start + batch_size]
            grad_W, grad_b = self.gradients(x[idx], y[idx], len(x))
            for layer in range(len(self.W)):
                self.W[layer] -= eta * grad_W[layer]
                self.b[layer] -= eta * grad_b[layer]
