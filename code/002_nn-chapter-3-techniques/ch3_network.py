"""A fully connected network in numpy that processes a whole mini-batch as one matrix.

Rows are samples: a layer computes `a_next = f(a @ W + b)` for every image of the batch
at once, so the work is a few large matrix products instead of a Python loop per image.

Every chapter-3 knob is a field of `NetConfig`: the cost and output layer, the weight
initialization, L1/L2 regularization and dropout. Training tricks that act between
steps (momentum, the learning-rate schedule, early stopping) live in `ch3_training.py`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from ch3_costs import HIDDEN, OUTPUTS, check_pairing, cost_value, output_delta

INITS = ("normal", "scaled")  # N(0, 1) as in chapter 1, or N(0, 1/n_in)
REGULARIZERS = ("none", "l2", "l1")


@dataclass
class NetConfig:
    sizes: tuple[int, ...] = (784, 100, 10)
    hidden: str = "sigmoid"  # sigmoid | tanh | relu
    output: str = "sigmoid"  # sigmoid | softmax
    cost: str = "quadratic"  # quadratic | cross_entropy | log_likelihood
    init: str = "normal"  # normal | scaled
    regularizer: str = "none"  # none | l2 | l1
    lmbda: float = 0.0  # regularization strength, divided by the training-set size
    dropout: float = 0.0  # probability of silencing a hidden unit during training
    standardize: bool = False  # feed (x - mean) / std per pixel, fitted on training images

    def validate(self) -> None:
        check_pairing(self.cost, self.output)
        if self.hidden not in HIDDEN:
            raise ValueError(f"unknown hidden activation {self.hidden!r}")
        if self.init not in INITS:
            raise ValueError(f"unknown init {self.init!r}; choose from {', '.join(INITS)}")
        if self.regularizer not in REGULARIZERS:
            raise ValueError(f"unknown regularizer {self.regularizer!r}")
        if not 0.0 <= self.dropout < 1.0:
            raise ValueError(f"dropout must be in [0, 1), got {self.dropout}")
        if len(self.sizes) < 2:
            raise ValueError("a network needs at least an input and an output layer")


class Network:
    """Weights `W[l]` of shape (n_in, n_out) and biases `b[l]` of shape (n_out,)."""

    def __init__(self, config: NetConfig, seed: int = 0, dtype: type = np.float32):
        config.validate()
        self.config = config
        self.dtype = np.dtype(dtype)
        rng = np.random.default_rng(seed)
        self.W: list[np.ndarray] = []
        self.b: list[np.ndarray] = []
        for n_in, n_out in zip(config.sizes[:-1], config.sizes[1:], strict=True):
            scale = 1.0 if config.init == "normal" else 1.0 / np.sqrt(n_in)
            self.W.append((rng.standard_normal((n_in, n_out)) * scale).astype(self.dtype))
            self.b.append(rng.standard_normal(n_out).astype(self.dtype))
        self.x_mean: np.ndarray | None = None
        self.x_scale: np.ndarray | None = None

    def fit_input_scaling(self, x_train: np.ndarray, floor: float = 0.1) -> None:
        """Remember each pixel's training mean and spread. Centred inputs of similar size
        keep the first layer's weighted inputs small and the gradient steps balanced; the
        floor stops almost-constant border pixels from being blown up."""
        self.x_mean = x_train.mean(axis=0).astype(self.dtype)
        self.x_scale = (x_train.std(axis=0) + floor).astype(self.dtype)

    # ----- forward -------------------------------------------------------------
    def draw_masks(self, n: int, rng: np.random.Generator) -> list[np.ndarray] | None:
        """Inverted-dropout masks for the hidden layers: 0 or 1/(1-p), so the expected
        activation is unchanged and the test-time network needs no rescaling."""
        p = self.config.dropout
        if p == 0.0:
            return None
        keep = 1.0 - p
        return [
            ((rng.random((n, size)) < keep) / keep).astype(self.dtype)
            for size in self.config.sizes[1:-1]
        ]

    def forward(
        self, x: np.ndarray, masks: list[np.ndarray] | None = None
    ) -> tuple[list[np.ndarray], list[np.ndarray], list[np.ndarray]]:
        """For a batch `x`: weighted inputs `zs`, each hidden layer's activation before
        dropout (`clean`, needed for the derivative) and the activations after it
        (input first, output last)."""
        act, _ = HIDDEN[self.config.hidden]
        if self.config.standardize:
            if self.x_mean is None:
                raise RuntimeError("standardize=True: call fit_input_scaling(x_train) first")
            x = (x - self.x_mean) / self.x_scale
        activations, clean, zs = [x], [], []
        last = len(self.W) - 1
        for layer, (W, b) in enumerate(zip(self.W, self.b, strict=True)):
            z = activations[-1] @ W + b
            zs.append(z)
            if layer == last:
                activations.append(OUTPUTS[self.config.output](z))
            else:
                a = act(z)
                clean.append(a)
                activations.append(a if masks is None else a * masks[layer])
        return zs, clean, activations

    def predict(self, x: np.ndarray, batch: int = 5000) -> np.ndarray:
        rows = range(0, len(x), batch)
        return np.concatenate([self.forward(x[i : i + batch])[2][-1].argmax(axis=1) for i in rows])

    def accuracy(self, x: np.ndarray, labels: np.ndarray) -> float:
        return float(np.mean(self.predict(x) == labels))

    # ----- cost and gradient ---------------------------------------------------
    def regularization(self, n_train: int) -> float:
        """The penalty added to the cost; biases are not penalized."""
        c = self.config
        if c.regularizer == "l2":
            return c.lmbda / (2 * n_train) * sum(float(np.sum(W * W)) for W in self.W)
        if c.regularizer == "l1":
            return c.lmbda / n_train * sum(float(np.sum(np.abs(W))) for W in self.W)
        return 0.0

    def loss(
        self, x: np.ndarray, y: np.ndarray, n_train: int,
        masks: list[np.ndarray] | None = None,
    ) -> float:
        """Mean cost over the batch plus the regularization penalty."""
        a = self.forward(x, masks)[2][-1]
        return cost_value(self.config.cost, a, y) + self.regularization(n_train)

    def gradients(
        self, x: np.ndarray, y: np.ndarray, n_train: int,
        masks: list[np.ndarray] | None = None,
    ) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """Backprop for the whole batch: gradients of `loss` with respect to W and b."""
        c = self.config
        _, act_prime = HIDDEN[c.hidden]
        zs, clean, activations = self.forward(x, masks)
        delta = output_delta(c.cost, c.output, activations[-1], y) / len(x)
        grad_W = [np.empty_like(W) for W in self.W]
        grad_b = [np.empty_like(b) for b in self.b]
        for layer in range(len(self.W) - 1, -1, -1):
            grad_W[layer] = activations[layer].T @ delta
            grad_b[layer] = delta.sum(axis=0)
            if layer == 0:
                break
            delta = (delta @ self.W[layer].T) * act_prime(zs[layer - 1], clean[layer - 1])
            if masks is not None:
                delta *= masks[layer - 1]
        if c.regularizer == "l2":
            for gW, W in zip(grad_W, self.W, strict=True):
                gW += (c.lmbda / n_train) * W
        elif c.regularizer == "l1":
            for gW, W in zip(grad_W, self.W, strict=True):
                gW += (c.lmbda / n_train) * np.sign(W)
        return grad_W, grad_b

    # ----- snapshots for early stopping ----------------------------------------
    def snapshot(self) -> tuple[list[np.ndarray], list[np.ndarray]]:
        return [W.copy() for W in self.W], [b.copy() for b in self.b]

    def restore(self, snap: tuple[list[np.ndarray], list[np.ndarray]]) -> None:
        self.W = [W.copy() for W in snap[0]]
        self.b = [b.copy() for b in snap[1]]
