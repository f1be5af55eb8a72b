"""Pictures of a training run: curves, a confusion matrix, and the digits it got wrong."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path

import matplotlib

matplotlib.use(os.environ.get("MPLBACKEND", "Agg"))
import matplotlib.pyplot as plt  # noqa: E402  (the backend must be chosen first)
import numpy as np  # noqa: E402


def _save(fig, path: Path) -> Path:
    """Write to a temporary name, then rename: a crash never leaves half a PNG."""
    tmp = path.with_name(f".{path.stem}.tmp{path.suffix}")
    fig.savefig(tmp, dpi=110, bbox_inches="tight")
    plt.close(fig)
    os.replace(tmp, path)
    return path


def plot_curves(histories: Mapping[str, object], title: str, path: Path) -> Path:
    """Loss and accuracy per epoch; solid = training batches, dashed = validation set."""
    fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(11, 4))
    for (name, history), color in zip(histories.items(), ("tab:blue", "tab:orange"),
                                      strict=False):
        epochs = np.arange(1, len(history.train_loss) + 1)
        ax_loss.plot(epochs, history.train_loss, color=color, label=f"{name} train")
        ax_loss.plot(epochs, history.val_loss, color=color, ls="--", label=f"{name} validation")
        ax_acc.plot(epochs, history.train_accuracy, color=color, label=f"{name} train")
        ax_acc.plot(epochs, history.val_accuracy, color=color, ls="--",
                    label=f"{name} validation")
    ax_loss.set(xlabel="epoch", ylabel="cross-entropy loss", yscale="log", title="Loss")
    ax_acc.set(xlabel="epoch", ylabel="accuracy", title="Accuracy")
    ax_acc.set_ylim(max(0.0, min(ax_acc.get_ylim()[0], 0.9)), 1.0)
    for ax in (ax_loss, ax_acc):
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    fig.suptitle(title)
    return _save(fig, path)


def confusion_matrix(true: np.ndarray, predicted: np.ndarray, classes: int) -> np.ndarray:
    """counts[t, p] = how many images of class t were predicted as p."""
    counts = np.zeros((classes, classes), dtype=np.int64)
    np.add.at(counts, (true, predicted), 1)
    return counts


def plot_confusion(counts: np.ndarray, class_names: Sequence[str], title: str,
                   path: Path) -> Path:
    """Heat map of the confusion matrix with the count in every non-empty cell."""
    size = 5 if max(len(n) for n in class_names) <= 2 else 7
    fig, ax = plt.subplots(figsize=(size + 1, size))
    shown = np.where(counts > 0, counts, np.nan)
    ax.imshow(np.log1p(shown), cmap="Blues")  # log colours: the diagonal would hide the rest
    limit = np.log1p(counts.max()) / 2
    for (t, p), value in np.ndenumerate(counts):
        if value:
            ax.text(p, t, str(value), ha="center", va="center", fontsize=7,
                    color="white" if np.log1p(value) > limit else "black")
    ticks = np.arange(len(class_names))
    ax.set_xticks(ticks, class_names, rotation=45 if size > 5 else 0, ha="right"
                  if size > 5 else "center")
    ax.set_yticks(ticks, class_names)
    ax.set(xlabel="predicted", ylabel="true", title=title)
    return _save(fig, path)


def plot_mistakes(images: np.ndarray, true: np.ndarray, predicted: np.ndarray,
                  class_names: Sequence[str], title: str, path: Path,
                  limit: int = 32) -> Path:
    """A grid of misclassified test images, each titled 'predicted (true)'."""
    wrong = np.flatnonzero(true != predicted)[:limit]
    columns = 8
    rows = max(1, -(-len(wrong) // columns))
    fig, axes = plt.subplots(rows, columns, figsize=(columns * 1.4, rows * 1.6))
    for ax in np.atleast_1d(axes).ravel():
        ax.axis("off")
    for ax, index in zip(np.atleast_1d(axes).ravel(), wrong, strict=False):
        ax.imshow(images[index], cmap="gray_r")
        ax.set_title(f"{class_names[predicted[index]]}\n(true {class_names[true[index]]})",
                     fontsize=7, color="tab:red")
    if not len(wrong):
        fig.text(0.5, 0.5, "no mistakes", ha="center")
    fig.suptitle(f"{title}: {int((true != predicted).sum())} mistakes, first {len(wrong)} shown"
                 " as predicted (true)", fontsize=10, y=1.0 + 0.08 / rows)
    return _save(fig, path)
