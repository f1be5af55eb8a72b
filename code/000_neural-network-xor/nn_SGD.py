"""A fully connected sigmoid network that learns XOR, in numpy only, with backprop by hand.

Run it:  python nn_SGD.py --sizes 2 4 1 --cost cross-entropy --epochs 2000 --seed 0

Conventions used everywhere in this folder:
- a batch is a 2-D array with one sample per ROW: inputs (n, 2), targets (n, 1);
- layer l has weights W of shape (n_out, n_in) and biases b of shape (n_out,), so
  z = a_prev @ W.T + b and a = sigmoid(z);
- a cost is the MEAN over the samples in the batch (summed over output units).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
from results_io import results_dir, use_house_style, write_metrics

XOR_INPUTS = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
XOR_TARGETS = np.array([[0.0], [1.0], [1.0], [0.0]])
SOLVED_TOLERANCE = 0.1  # "solved" = every output within this distance of its target


def sigmoid(z: np.ndarray) -> np.ndarray:
    """1 / (1 + e^-z), written with tanh so large |z| never overflows."""
    return 0.5 * (1.0 + np.tanh(0.5 * z))


def sigmoid_prime(z: np.ndarray) -> np.ndarray:
    s = sigmoid(z)
    return s * (1.0 - s)


def softplus(z: np.ndarray) -> np.ndarray:
    """ln(1 + e^z) without overflow; -ln(sigmoid(z)) == softplus(-z)."""
    return np.logaddexp(0.0, z)


class QuadraticCost:
    """C = 1/2n * sum ||a - y||^2. Its gradient carries sigmoid'(z): learning slows when
    an output unit saturates at the wrong answer."""

    name = "quadratic"

    @staticmethod
    def value(z: np.ndarray, y: np.ndarray) -> float:
        return float(0.5 * np.sum((sigmoid(z) - y) ** 2) / len(y))

    @staticmethod
    def delta(z: np.ndarray, y: np.ndarray) -> np.ndarray:
        """dC/dz of the output layer, per sample (not yet divided by n)."""
        return (sigmoid(z) - y) * sigmoid_prime(z)


class CrossEntropyCost:
    """C = -1/n * sum [y ln a + (1 - y) ln(1 - a)]. With a sigmoid output the sigmoid'
    cancels: dC/dz = a - y, so a confidently wrong output still learns fast."""

    name = "cross-entropy"

    @staticmethod
    def value(z: np.ndarray, y: np.ndarray) -> float:
        # Computed from z, not from a, so a saturated output gives a large finite number.
        return float(np.sum(y * softplus(-z) + (1.0 - y) * softplus(z)) / len(y))

    @staticmethod
    def delta(z: np.ndarray, y: np.ndarray) -> np.ndarray:
        return sigmoid(z) - y


COSTS = {cost.name: cost for cost in (QuadraticCost, CrossEntropyCost)}


def check_sizes(sizes: Sequence[int]) -> list[int]:
    """Layer sizes as a list of ints; a clear ValueError for anything else."""
    sizes = list(sizes)
    if len(sizes) < 2:
        raise ValueError(f"--sizes needs at least an input and an output layer, got {sizes}")
    for n in sizes:
        if int(n) != n or n < 1:
            raise ValueError(f"--sizes must be whole numbers >= 1, got {sizes}")
    return [int(n) for n in sizes]


class Network:
    """A fully connected feed-forward network of sigmoid units."""

    def __init__(self, sizes: Sequence[int], seed: int = 0, cost: type = CrossEntropyCost):
        self.sizes = check_sizes(sizes)
        self.cost = cost
        # One generator per network: the seed fixes the initial weights AND the shuffling.
        self.rng = np.random.default_rng(seed)
        # Weights and biases drawn from N(0, 1), as in the first network of Nielsen's book.
        self.weights = [
            self.rng.standard_normal((n_out, n_in))
            for n_in, n_out in zip(self.sizes[:-1], self.sizes[1:], strict=True)
        ]
        self.biases = [self.rng.standard_normal(n_out) for n_out in self.sizes[1:]]

    def forward(self, x: np.ndarray) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """Every layer's weighted inputs zs and activations (activations[0] is x)."""
        activations, zs = [x], []
        for w, b in zip(self.weights, self.biases, strict=True):
            zs.append(activations[-1] @ w.T + b)
            activations.append(sigmoid(zs[-1]))
        return zs, activations

    def predict(self, x: np.ndarray) -> np.ndarray:
        return self.forward(x)[1][-1]

    def total_cost(self, x: np.ndarray, y: np.ndarray) -> float:
        zs, _ = self.forward(x)
        return self.cost.value(zs[-1], y)

    def backprop(self, x: np.ndarray, y: np.ndarray) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """Gradients of the mean cost over the batch w.r.t. every weight and bias.

        delta = dC/dz for one layer, one row per sample. Chain rule, layer by layer:
          output layer:  delta_L = cost.delta(z_L, y)
          going back:    delta_l = (delta_{l+1} @ W_{l+1}) * sigmoid'(z_l)
          then           dC/dW_l = delta_l.T @ a_{l-1} / n,   dC/db_l = mean of delta_l
        """
        n = len(x)
        zs, activations = self.forward(x)
        grad_w: list[np.ndarray] = [np.empty(0)] * len(self.weights)
        grad_b: list[np.ndarray] = [np.empty(0)] * len(self.biases)
        delta = self.cost.delta(zs[-1], y)
        for layer in range(len(self.weights) - 1, -1, -1):
            grad_w[layer] = delta.T @ activations[layer] / n
            grad_b[layer] = delta.sum(axis=0) / n
            if layer > 0:
                delta = (delta @ self.weights[layer]) * sigmoid_prime(zs[layer - 1])
        return grad_w, grad_b

    def sgd_step(self, x: np.ndarray, y: np.ndarray, lr: float) -> None:
        grad_w, grad_b = self.backprop(x, y)
        for w, gw in zip(self.weights, grad_w, strict=True):
            w -= lr * gw
        for b, gb in zip(self.biases, grad_b, strict=True):
            b -= lr * gb

    def is_solved(self, x: np.ndarray, y: np.ndarray, tol: float = SOLVED_TOLERANCE) -> bool:
        return bool(np.all(np.abs(self.predict(x) - y) < tol))


@dataclass
class TrainingLog:
    costs: list[float] = field(default_factory=list)  # cost on the whole set after each epoch
    max_errors: list[float] = field(default_factory=list)  # worst |output - target| per epoch
    solved_at: int | None = None  # first epoch (1-based) after which the net is solved


def train(
    net: Network,
    x: np.ndarray,
    y: np.ndarray,
    epochs: int,
    lr: float,
    batch_size: int,
    stop_when_solved: bool = False,
    on_epoch: Callable[[int, TrainingLog], None] | None = None,
) -> TrainingLog:
    """Mini-batch SGD: each epoch shuffles the samples, then takes one step per mini-batch."""
    if batch_size < 1:
        raise ValueError(f"--batch-size must be >= 1, got {batch_size}")
    log = TrainingLog()
    for epoch in range(1, epochs + 1):
        order = net.rng.permutation(len(x))
        for start in range(0, len(x), batch_size):
            batch = order[start : start + batch_size]
            net.sgd_step(x[batch], y[batch], lr)
        zs, activations = net.forward(x)
        log.costs.append(net.cost.value(zs[-1], y))
        log.max_errors.append(float(np.max(np.abs(activations[-1] - y))))
        if log.solved_at is None and log.max_errors[-1] < SOLVED_TOLERANCE:
            log.solved_at = epoch
            if stop_when_solved:
                break
        if on_epoch is not None:
            on_epoch(epoch, log)
    return log


def plot_loss_curve(log: TrainingLog, title: str, path: str) -> None:
    """Cost above, worst error below, on one epoch axis (stacked: legible at 690 px)."""
    import matplotlib.pyplot as plt

    use_house_style()
    epochs = np.arange(1, len(log.costs) + 1)
    fig, (ax_cost, ax_err) = plt.subplots(2, 1, figsize=(6.9, 6.4), sharex=True)
    ax_cost.plot(epochs, log.costs)
    ax_cost.set_yscale("log")
    ax_cost.set_ylabel("cost on the 4 inputs")
    ax_cost.set_title("cost")
    ax_err.plot(epochs, log.max_errors)
    ax_err.axhline(SOLVED_TOLERANCE, color="gray", linestyle="--", label="solved below 0.1")
    if log.solved_at is not None:
        ax_err.axvline(log.solved_at, color="green", linestyle=":",
                       label=f"solved at epoch {log.solved_at}")
    ax_err.set_ylim(0, 1)
    ax_err.set_xlabel("epoch")
    ax_err.set_ylabel("worst |output - target|")
    ax_err.set_title("worst error over the 4 inputs")
    ax_err.legend(loc="upper right")
    fig.suptitle(title)
    fig.savefig(path)
    plt.close(fig)


def plot_decision_surface(net: Network, title: str, path: str, ax=None,
                          title_size: float | None = None) -> None:
    """The network's output over the unit square, with the four XOR points on top."""
    import matplotlib.pyplot as plt

    grid = np.linspace(0.0, 1.0, 101)
    gx, gy = np.meshgrid(grid, grid)
    out = net.predict(np.column_stack([gx.ravel(), gy.ravel()])).reshape(gx.shape)
    own_figure = ax is None
    if own_figure:
        use_house_style()
        fig, ax = plt.subplots(figsize=(6.9, 5.6))
    image = ax.contourf(gx, gy, out, levels=np.linspace(0, 1, 11), cmap="coolwarm", vmin=0, vmax=1)
    ax.contour(gx, gy, out, levels=[0.5], colors="black", linewidths=1)
    ax.scatter(XOR_INPUTS[:, 0], XOR_INPUTS[:, 1], c=XOR_TARGETS[:, 0], cmap="coolwarm",
               vmin=0, vmax=1, edgecolors="black", s=90, zorder=3, clip_on=False)
    ax.set_aspect("equal")
    ax.grid(False)
    ax.set_xlabel("x1")
    ax.set_ylabel("x2")
    ax.set_title(title, fontsize=title_size, pad=12)  # clear of the corner points
    if own_figure:
        fig.colorbar(image, ax=ax, label="network output")
        fig.savefig(path)
        plt.close(fig)


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Train a sigmoid network on XOR with SGD.")
    parser.add_argument("--sizes", type=int, nargs="+", default=[2, 4, 1],
                        help="layer sizes, input first (XOR needs 2 inputs, 1 output)")
    parser.add_argument("--cost", choices=sorted(COSTS), default="cross-entropy")
    parser.add_argument("--epochs", type=int, default=2000)
    parser.add_argument("--lr", type=float, default=2.0, help="learning rate")
    parser.add_argument("--batch-size", type=int, default=2, help="samples per SGD step")
    parser.add_argument("--seed", type=int, default=int(os.environ.get("DLIP_SEED", "0")),
                        help="initial weights and shuffling (default: $DLIP_SEED or 0)")
    parser.add_argument("--no-figures", action="store_true", help="skip the PNG figures")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        sizes = check_sizes(args.sizes)
        if sizes[0] != 2 or sizes[-1] != 1:
            raise ValueError(f"--sizes for XOR must start with 2 and end with 1, got {sizes}")
        if args.epochs < 1 or args.lr <= 0 or args.batch_size < 1:
            raise ValueError("--epochs and --batch-size must be >= 1 and --lr > 0")
    except ValueError as exc:
        print(f"nn_SGD.py: error: {exc}", file=sys.stderr)
        return 2

    arch = "-".join(map(str, sizes))
    net = Network(sizes, seed=args.seed, cost=COSTS[args.cost])
    print(f"network {arch}, {args.cost} cost, sigmoid units, seed {args.seed}")
    print(f"mini-batch SGD: {args.epochs} epochs, batch size {args.batch_size}, lr {args.lr}")

    def report(epoch: int, log: TrainingLog) -> None:
        if epoch == 1 or epoch % max(1, args.epochs // 10) == 0:
            print(f"  epoch {epoch:5d}  cost {log.costs[-1]:.5f}  "
                  f"worst error {log.max_errors[-1]:.3f}")

    log = train(net, XOR_INPUTS, XOR_TARGETS, args.epochs, args.lr, args.batch_size,
                on_epoch=report)
    print("outputs after training:")
    for x, y, out in zip(XOR_INPUTS, XOR_TARGETS, net.predict(XOR_INPUTS), strict=True):
        print(f"  {x[0]:.0f} xor {x[1]:.0f} = {y[0]:.0f}   network says {out[0]:.4f}")
    if log.solved_at is None:
        print(f"not solved in {args.epochs} epochs (some output is 0.1 or more off its target)")
    else:
        print(f"solved at epoch {log.solved_at} (every output within 0.1 of its target)")

    if not args.no_figures:
        out_dir = results_dir()
        title = f"{arch} network, {args.cost} cost, seed {args.seed}"
        plot_loss_curve(log, title, str(out_dir / "loss_curve.png"))
        plot_decision_surface(net, f"output, {title}", str(out_dir / "decision_surface.png"))
        write_metrics({
            "example_run_epochs_to_solve": log.solved_at or "not solved",
            "example_run_final_cost": log.costs[-1],
        })
        print(f"wrote loss_curve.png, decision_surface.png and metrics to {out_dir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
