"""The content hash: the same dataset gives the same hash on every machine.

Bit-exact float hashing is not portable: `log`, `exp` and filters differ in the last bit
between CPUs and numpy builds, so the hash hashes a canonical form instead:

- integers, booleans, text and timestamps (int64 nanoseconds) exactly;
- positive magnitudes (prices, volume, the volatility scale) as round(log2(x) * 2**20),
  a relative precision of about 6.6e-7 (six significant digits);
- every other float (features, returns, z-scores) as round(x * 2**20), an absolute
  precision of about 1e-6 (features are in units of volatility, so about 1);
- NaN, infinities and zero volume as fixed sentinels.

Noise in the last bit flips a rounded value only if it lies within 1e-16 of a rounding
boundary: about one chance in 10^9 per value. A dataset is hashed per symbol (partition)
and the dataset hash combines the partitions in order, so pieces, engines and machines
that write the same content agree.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

import numpy as np
import pandas as pd

PRECISION_BITS = 20
MAGNITUDES = ("open", "high", "low", "close", "volume", "scale")
_NAN, _POS_INF, _NEG_INF, _ZERO = (np.iinfo(np.int64).min + k for k in range(4))


def _kind(col: pd.Series) -> str:
    if isinstance(col.dtype, pd.DatetimeTZDtype) or pd.api.types.is_datetime64_any_dtype(col):
        return "time"
    if pd.api.types.is_bool_dtype(col):
        return "bool"
    if pd.api.types.is_integer_dtype(col):
        return "int"
    if pd.api.types.is_float_dtype(col):
        return "float"
    return "text"


def canonical_floats(x: np.ndarray, magnitude: bool) -> np.ndarray:
    """The rounded int64 form of a float column (see the module docstring)."""
    x = np.asarray(x, dtype=np.float64)
    scale = float(2**PRECISION_BITS)
    with np.errstate(divide="ignore", invalid="ignore"):
        if magnitude:
            q = np.rint(np.log2(np.where(x > 0, x, 1.0)) * scale)
            q = np.where(x > 0, q, _ZERO)
        else:
            q = np.rint(x * scale)
    out = np.where(np.isfinite(x), q, 0).astype(np.int64)
    out[np.isnan(x)] = _NAN
    out[x == np.inf] = _POS_INF
    out[x == -np.inf] = _NEG_INF
    if magnitude:
        out[x == 0] = _ZERO
    return out


def canonical_bytes(name: str, col: pd.Series) -> tuple[str, bytes]:
    """(kind, bytes) of one column in canonical form."""
    kind = _kind(col)
    if kind == "time":
        values = col.to_numpy()
        if isinstance(col.dtype, pd.DatetimeTZDtype):
            values = col.dt.tz_convert("UTC").dt.tz_localize(None).to_numpy()
        return kind, values.astype("datetime64[ns]").astype(np.int64).tobytes()
    if kind in ("bool", "int"):
        return kind, col.to_numpy().astype(np.int64).tobytes()
    if kind == "float":
        return kind, canonical_floats(col.to_numpy(), name in MAGNITUDES).tobytes()
    return kind, "\0".join(col.astype(str)).encode() + b"\0"


class PartitionHasher:
    """The digest of one symbol's rows, fed in pieces (the pieces do not matter)."""

    def __init__(self) -> None:
        self._columns: dict[str, tuple[str, hashlib._Hash]] = {}
        self.rows = 0

    def update(self, frame: pd.DataFrame) -> None:
        for name in frame.columns:
            kind, data = canonical_bytes(name, frame[name])
            if name not in self._columns:
                self._columns[name] = (kind, hashlib.sha256())
            self._columns[name][1].update(data)
        self.rows += len(frame)

    def hexdigest(self) -> str:
        h = hashlib.sha256()
        for name, (kind, col) in self._columns.items():
            h.update(f"{name}:{kind}:{col.hexdigest()}\n".encode())
        return h.hexdigest()


def combine(partitions: Iterable[tuple[str, int, str]]) -> str:
    """The dataset hash from (symbol, rows, partition digest) in table order."""
    h = hashlib.sha256(b"dlip-canonical-1\n")
    for symbol, rows, digest in partitions:
        h.update(f"{symbol}\t{rows}\t{digest}\n".encode())
    return h.hexdigest()


def content_hash(table: pd.DataFrame) -> str:
    """The hash of a whole table: one partition per symbol, in order of first appearance."""
    parts = []
    symbols = table["symbol"].to_numpy()
    if len(symbols):
        starts = np.flatnonzero(np.r_[True, symbols[1:] != symbols[:-1]])
        ends = np.r_[starts[1:], len(symbols)]
        for a, b in zip(starts, ends, strict=True):
            hasher = PartitionHasher()
            hasher.update(table.iloc[a:b])
            parts.append((str(symbols[a]), hasher.rows, hasher.hexdigest()))
    return combine(parts)
