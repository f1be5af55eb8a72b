"""The content hash: the same dataset gives the same hash on every machine.

Bit-exact float hashing is not portable: `log`, `exp` and filters differ in the last bit
between CPUs and numpy builds, so the hash hashes a canonical form instead:

- integers, booleans and timestamps (int64 nanoseconds, UTC) exactly; text as codes
  of its words in order of first appearance, and the words;
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


def _kind(values: np.ndarray) -> str:
    if values.dtype.kind == "M":
        return "time"
    if values.dtype.kind == "b":
        return "bool"
    if values.dtype.kind in "iu":
        return "int"
    if values.dtype.kind == "f":
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


def column_values(col: pd.Series) -> np.ndarray:
    """A frame's column as the numpy array the hash reads (time zones to UTC)."""
    if isinstance(col.dtype, pd.DatetimeTZDtype):
        col = col.dt.tz_convert("UTC").dt.tz_localize(None)
    if pd.api.types.is_datetime64_any_dtype(col):
        return col.to_numpy().astype("datetime64[ns]")
    values = col.to_numpy()
    return values if values.dtype.kind in "biufM" else values.astype(object)


class PartitionHasher:
    """The digest of one symbol's rows, fed in pieces (the pieces do not matter).

    Text is hashed as codes of a dictionary built in order of first appearance, and the
    dictionary itself at the end, so text costs no more than integers.
    """

    def __init__(self) -> None:
        self._columns: dict[str, tuple[str, hashlib._Hash]] = {}
        self._words: dict[str, dict[str, int]] = {}
        self.rows = 0

    def _bytes(self, name: str, kind: str, values: np.ndarray) -> bytes:
        if kind == "time":
            return values.astype("datetime64[ns]").astype(np.int64).tobytes()
        if kind in ("bool", "int"):
            return values.astype(np.int64).tobytes()
        if kind == "float":
            return canonical_floats(values, name in MAGNITUDES).tobytes()
        codes, uniques = pd.factorize(values.astype(str), sort=False)
        words = self._words.setdefault(name, {})
        mapping = np.array([words.setdefault(w, len(words)) for w in uniques], dtype=np.int64)
        return mapping[codes].tobytes() if len(codes) else b""

    def update_arrays(self, columns: dict[str, np.ndarray]) -> None:
        """Add rows given as numpy arrays (datetime64 for time, UTC where aware)."""
        n = 0
        for name, values in columns.items():
            kind = _kind(values)
            if name not in self._columns:
                self._columns[name] = (kind, hashlib.sha256())
            self._columns[name][1].update(self._bytes(name, kind, values))
            n = len(values)
        self.rows += n

    def update(self, frame: pd.DataFrame) -> None:
        """Add the rows of a frame."""
        self.update_arrays({name: column_values(frame[name]) for name in frame.columns})

    def hexdigest(self) -> str:
        h = hashlib.sha256()
        for name, (kind, col) in self._columns.items():
            words = "\0".join(self._words.get(name, {}))
            h.update(f"{name}:{kind}:{col.hexdigest()}:{words}\n".encode())
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
