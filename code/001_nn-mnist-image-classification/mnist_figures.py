"""Pictures of a training run: curves, a confusion matrix, and the digits it got wrong.

They are drawn in the project's house style, read from its one file in the repo
(src/dlip/house.mplstyle, declared in milestone.yml's `inputs` so a change of style
re-keys this milestone): 6.9 in wide at 200 dpi, no text under 10 pt, legible at the
site's content width and on a phone. Nothing is imported from src/.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

import matplotlib

matplotlib.use(os.environ.get("MPLBACKEND", "Agg"))
import matplotlib.pyplot as plt  # noqa: E402  (the backend must be chosen first)
import numpy as np  # noqa: E402

HOUSE_STYLE = Path(__file__).resolve().parents[2] / "src" / "dlip" / "house.mplstyle"
WIDTH = 6.9  # inches: the site's content width at the house style's 100 px per inch


def use_house_style() -> None:
    """Draw every later figure in the house style; matplotlib's defaults when this folder
    runs outside the repo (the style file is then absent)."""
    if HOUSE_STYLE.is_file():
        plt.style.use(str(HOUSE_STYLE))
    else:
        print(f"note: {HOUSE_STYLE} not found; figures use matplotlib's defaults",
              file=sys.stderr)


def _save(fig, path: Path) -> Path:
    """Write to a temporary name, then rename: a crash never leaves half a PNG."""
    tmp = path.with_name(f".{path.stem}.tmp{path.suffix}")
    fig.savefig(tmp)
    plt.close(fig)
    os.replace(tmp, path)
    return path


def plot_curves(histories: Mapping[str, object], title: str, path: Path) -> Path:
    """Loss above, accuracy below, one epoch axis; solid = training batches, dashed =
    validation set. Stacked, not side by side: each panel keeps the full width."""
    use_house_style()
    fig, (ax_loss, ax_acc) = plt.subplots(2, 1, figsize=(WIDTH, 7.6), sharex=True)
    for (name, history), color in zip(histories.items(), ("tab:blue", "tab:orange"),
                                      strict=False):
        epochs = np.arange(1, len(history.train_loss) + 1)
        ax_loss.plot(epochs, history.train_loss, color=color, label=f"{name} train")
        ax_loss.plot(epochs, history.val_loss, color=color, ls="--", label=f"{name} validation")
        ax_acc.plot(epochs, history.train_accuracy, color=color, label=f"{name} train")
        ax_acc.plot(epochs, history.val_accuracy, color=color, ls="--",
                    label=f"{name} validation")
    ax_loss.set(ylabel="cross-entropy loss", yscale="log", title="Loss")
    ax_acc.set(xlabel="epoch", ylabel="accuracy", title="Accuracy")
    ax_acc.set_ylim(max(0.0, min(ax_acc.get_ylim()[0], 0.9)), 1.0)
    handles, labels = ax_acc.get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncol=2)
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
    use_house_style()
    long_names = max(len(n) for n in class_names) > 2
    fig, ax = plt.subplots(figsize=(WIDTH, 7.4 if long_names else 6.6))
    shown = np.where(counts > 0, counts, np.nan)
    ax.imshow(np.log1p(shown), cmap="Blues")  # log colours: the diagonal would hide the rest
    limit = np.log1p(counts.max()) / 2
    for (t, p), value in np.ndenumerate(counts):
        if value:
            ax.text(p, t, str(value), ha="center", va="center", fontsize=10,
                    color="white" if np.log1p(value) > limit else "black")
    ticks = np.arange(len(class_names))
    ax.set_xticks(ticks, class_names, rotation=40 if long_names else 0,
                  ha="right" if long_names else "center", rotation_mode="anchor")
    ax.set_yticks(ticks, class_names)
    ax.grid(False)
    ax.spines[["top", "right"]].set_visible(True)
    ax.set(xlabel="predicted", ylabel="true", title=title)
    return _save(fig, path)


def plot_mistakes(images: np.ndarray, true: np.ndarray, predicted: np.ndarray,
                  class_names: Sequence[str], title: str, path: Path,
                  max_rows: int = 4) -> Path:
    """A grid of misclassified test images, each titled 'predicted (true)'.

    Eight columns when the class names are digits, five when they are words (so that
    "(true Ankle boot)" fits its image at 10 pt); at most `max_rows` rows."""
    use_house_style()
    long_names = max(len(n) for n in class_names) > 2
    columns = 5 if long_names else 8
    wrong = np.flatnonzero(true != predicted)[: columns * max_rows]
    rows = max(1, -(-len(wrong) // columns))
    cell = WIDTH / columns
    fig, axes = plt.subplots(rows, columns, figsize=(WIDTH, rows * (cell + 0.45) + 0.5))
    for ax in np.atleast_1d(axes).ravel():
        ax.axis("off")
    for ax, index in zip(np.atleast_1d(axes).ravel(), wrong, strict=False):
        ax.imshow(images[index], cmap="gray_r")
        ax.set_title(f"{class_names[predicted[index]]}\n(true {class_names[true[index]]})",
                     fontsize=10, fontweight="normal", color="tab:red")
    if not len(wrong):
        fig.text(0.5, 0.5, "no mistakes", ha="center")
    fig.suptitle(f"{title}: {int((true != predicted).sum())} mistakes, first {len(wrong)} shown"
                 "\nas predicted (true)")
    return _save(fig, path)
