"""Read IDX files, the plain binary format MNIST and Fashion-MNIST ship in.

An IDX file is a 4-byte magic number (two zero bytes, a type code, the number of
dimensions), one big-endian uint32 per dimension, then the values in row-major order.
Files ending in `.gz` are decompressed on the fly.
"""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np

# IDX type code -> numpy dtype (big-endian where it matters).
IDX_TYPES = {
    0x08: np.dtype(np.uint8),
    0x09: np.dtype(np.int8),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}


class IdxError(ValueError):
    """An IDX file that is missing or not what its header promises."""


def read_idx(path: str | Path) -> np.ndarray:
    """Return the array stored in an IDX file (gzip-compressed or not)."""
    path = Path(path)
    if not path.is_file():
        raise IdxError(f"{path}: file not found")
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as f:
            raw = f.read()
    except (OSError, EOFError) as exc:  # a broken gzip stream lands here
        raise IdxError(f"{path}: cannot read ({exc})") from None
    return parse_idx(raw, name=str(path))


def parse_idx(raw: bytes, name: str = "<bytes>") -> np.ndarray:
    """Decode IDX bytes; `name` only labels the error messages."""
    if len(raw) < 4:
        raise IdxError(f"{name}: truncated, only {len(raw)} bytes (no IDX header)")
    zero1, zero2, type_code, ndim = raw[0], raw[1], raw[2], raw[3]
    if zero1 != 0 or zero2 != 0 or type_code not in IDX_TYPES or ndim == 0:
        raise IdxError(f"{name}: bad magic number 0x{raw[:4].hex()} (not an IDX file)")
    header_len = 4 + 4 * ndim
    if len(raw) < header_len:
        raise IdxError(f"{name}: truncated inside the header ({len(raw)} of {header_len} bytes)")
    shape = tuple(int(d) for d in np.frombuffer(raw, dtype=">u4", count=ndim, offset=4))
    dtype = IDX_TYPES[type_code]
    expected = int(np.prod(shape)) * dtype.itemsize
    got = len(raw) - header_len
    if got < expected:
        raise IdxError(f"{name}: truncated, header promises {expected} data bytes, found {got}")
    if got > expected:
        raise IdxError(f"{name}: {got - expected} unexpected bytes after the data")
    data = np.frombuffer(raw, dtype=dtype, offset=header_len).reshape(shape)
    return data.astype(dtype.newbyteorder("="), copy=True)


def write_idx(path: str | Path, array: np.ndarray) -> None:
    """Write `array` as IDX (gzip if the name ends in .gz); used by the tests."""
    array = np.asarray(array)
    codes = {dt.newbyteorder("="): code for code, dt in IDX_TYPES.items()}
    code = codes.get(array.dtype.newbyteorder("="))
    if code is None:
        raise ValueError(f"dtype {array.dtype} has no IDX type code")
    big = array.astype(IDX_TYPES[code], copy=False)
    header = bytes([0, 0, code, array.ndim]) + np.asarray(array.shape, dtype=">u4").tobytes()
    payload = header + big.tobytes()
    path = Path(path)
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "wb") as f:
        f.write(payload)
