"""Mini-batch SGD and the chapter-3 tricks that act between steps.

- momentum: a velocity `v` remembers past gradients (`v = mu * v - eta * grad`,
  `w = w + v`), so steps build up along consistent directions and damp the zig-zag.
- learning-rate schedule: halve `eta` when validation accuracy has not improved for
  `schedule_patience` epochs, so late training takes finer steps.
- early stopping: stop when validation accuracy has not improved for
  `early_stop_patience` epochs and keep the weights of the best epoch.
- input standardization (see `Network.fit_input_scaling`) is fitted here on the
  training images, so shifted images are standardized the same way as the originals.
- expanded data: every epoch a share of the training images is shifted by up to
  `max_shift` pixels in x and y, a cheap way to show the network more distinct images
  while it still sees the originals.

Every decision uses the validation split; the test split is never looked at here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from ch3_data import one_hot
from ch3_network import Network


@dataclass
class TrainConfig:
    epochs: int = 30  # the most epochs to run
    batch_size: int = 10
    eta: float = 3.0
    momentum: float = 0.0  # 0 is plain SGD
    schedule_patience: int | None = None  # None: constant learning rate
    early_stop_patience: int | None = None  # None: always run `epochs`
    max_shift: int = 0  # 0: no data expansion
    shift_share: float = 0.5  # share of the images shifted each epoch; the rest stay as is


@dataclass
class History:
    val_accuracy: list[float] = field(default_factory=list)
    train_cost: list[float] = field(default_factory=list)
    eta: list[float] = field(default_factory=list)
    best_epoch: int = 0  # 1-based epoch with the best validation accuracy
    stopped_early: bool = False

    @property
    def epochs_run(self) -> int:
        return len(self.val_accuracy)


def shift_images(
    x: np.ndarray, rng: np.random.Generator, max_shift: int, share: float = 1.0, side: int = 28
) -> np.ndarray:
    """Move a random `share` of the images by their own random offset in
    [-max_shift, max_shift]^2, filling the uncovered border with zeros (background)."""
    n, s = len(x), max_shift
    padded = np.zeros((n, side + 2 * s, side + 2 * s), dtype=x.dtype)
    padded[:, s : s + side, s : s + side] = x.reshape(n, side, side)
    dy = rng.integers(0, 2 * s + 1, size=n)[:, None, None]
    dx = rng.integers(0, 2 * s + 1, size=n)[:, None, None]
    keep = rng.random(n) >= share
    dy[keep], dx[keep] = s, s  # offset s in the padded frame is no shift at all
    grid = np.arange(side)
    rows = dy + grid[None, :, None]
    cols = dx + grid[None, None, :]
    return padded[np.arange(n)[:, None, None], rows, cols].reshape(n, side * side)


def train(
    net: Network,
    x_train: np.ndarray,
    y_train: np.ndarray,
    x_val: np.ndarray,
    y_val: np.ndarray,
    config: TrainConfig,
    seed: int = 0,
    on_epoch: Callable[[int, float], None] | None = None,
) -> History:
    """Train `net` in place and return the per-epoch history."""
    rng = np.random.default_rng(seed)
    n = len(x_train)
    if net.config.standardize and net.x_mean is None:
        net.fit_input_scaling(x_train)
    targets = one_hot(y_train, net.config.sizes[-1], dtype=net.dtype)
    velocity_W = [np.zeros_like(W) for W in net.W]
    velocity_b = [np.zeros_like(b) for b in net.b]
    eta, mu = config.eta, config.momentum
    history = History()
    best_acc, best_snap, since_best, since_eta_change = -1.0, None, 0, 0

    for epoch in range(1, config.epochs + 1):
        x_epoch = x_train
        if config.max_shift:
            x_epoch = shift_images(x_train, rng, config.max_shift, config.shift_share)
        order = rng.permutation(n)
        cost_sum = 0.0
        for start in range(0, n, config.batch_size):
            idx = order[start : start + config.batch_size]
            xb, yb = x_epoch[idx], targets[idx]
            masks = net.draw_masks(len(idx), rng)
            grad_W, grad_b = net.gradients(xb, yb, n, masks)
            for layer in range(len(net.W)):
                if mu:
                    velocity_W[layer] *= mu
                    velocity_W[layer] -= eta * grad_W[layer]
                    velocity_b[layer] *= mu
                    velocity_b[layer] -= eta * grad_b[layer]
                    net.W[layer] += velocity_W[layer]
                    net.b[layer] += velocity_b[layer]
                else:
                    net.W[layer] -= eta * grad_W[layer]
                    net.b[layer] -= eta * grad_b[layer]
            if start == 0 or start // config.batch_size % 50 == 0:
                cost_sum += net.loss(xb, yb, n)  # a cheap running sample of the cost

        acc = net.accuracy(x_val, y_val)
        history.val_accuracy.append(acc)
        history.train_cost.append(cost_sum)
        history.eta.append(eta)
        if on_epoch is not None:
            on_epoch(epoch, acc)
        if acc > best_acc:
            best_acc, since_best, since_eta_change = acc, 0, 0
            history.best_epoch = epoch
            if config.early_stop_patience is not None:
                best_snap = net.snapshot()
        else:
            since_best += 1
            since_eta_change += 1
        if config.schedule_patience is not None and since_eta_change >= config.schedule_patience:
            eta /= 2
            since_eta_change = 0
        if config.early_stop_patience is not None and since_best >= config.early_stop_patience:
            history.stopped_early = True
            break

    if best_snap is not None:
        net.restore(best_snap)
    return history


def plain_sgd_epoch(
    net: Network, x: np.ndarray, targets: np.ndarray, eta: float, batch_size: int,
    order: np.ndarray,
) -> None:
    """One epoch of plain mini-batch SGD in the given order; the benchmark times this
    against the one-sample-at-a-time reference in `ch3_naive.py`."""
    for start in range(0, len(x), batch_size):
        idx = order[start : start + batch_size]
        grad_W, grad_b = net.gradients(x[idx], targets[idx], len(x))
        for layer in range(len(net.W)):
            net.W[layer] -= eta * grad_W[layer]
            net.b[layer] -= eta * grad_b[layer]
