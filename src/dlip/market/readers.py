"""Streaming input: bars of any source as validated pieces, never a whole file in memory.

A CSV file is read by pyarrow in blocks of text, a Parquet file by row batches. Each
batch takes the fast path (vectorized parse and checks) when it is clean; a batch with
any problem goes through `validate.check_bars`, which names every bad row, file and
field. What crosses batches is checked with a little state per symbol: the last
timestamp and its line (duplicates and rows out of order across batches), and whether
timestamps are naive or carry a UTC offset.

Files up to SMALL_FILE bytes that have a problem are read once more whole, with the
original one-pass reader, so small files report exactly as before; `--repair` also reads
a file whole (it sorts rows).
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from dlip.market.errors import MarketDataError, Problem
from dlip.market.provenance import SourceInfo
from dlip.market.validate import OFFSET, check_bars, column_names, normalize_columns

BATCH_BYTES = 8 << 20  # CSV text per batch (about 130,000 bars)
BATCH_ROWS = 1 << 19  # Parquet rows per batch
SMALL_FILE = 64 << 20
MAX_PROBLEMS = 1000  # kept in memory; the rest are counted
BAR_COLUMNS = ("open", "high", "low", "close", "volume")


@dataclass
class SourceRun:
    """What the card records about one source, filled in while its bars stream."""

    spec: str
    info: SourceInfo
    symbols: list[str] = field(default_factory=list)
    zones: dict[str, str] = field(default_factory=dict)
    notes: dict[str, list[str]] = field(default_factory=dict)
    dropped: dict[str, list[Problem]] = field(default_factory=dict)


class ProblemList:
    """Problems of one source: the first MAX_PROBLEMS kept, every one counted."""

    def __init__(self) -> None:
        self.kept: list[Problem] = []
        self.count = 0

    def add(self, problems: list[Problem]) -> None:
        room = MAX_PROBLEMS - len(self.kept)
        self.kept.extend(problems[:max(room, 0)])
        self.count += len(problems)

    def error(self) -> MarketDataError:
        err = MarketDataError(self.kept)
        err.hidden = self.count - len(self.kept)
        return err


def file_stem_symbol(path: Path) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "_", path.stem).strip("_").upper() or "BARS"


def _to_ns(stamps: pd.Series) -> tuple[np.ndarray, str]:
    """int64 nanoseconds (UTC for timezone-aware stamps) and the zone's name."""
    if isinstance(stamps.dtype, pd.DatetimeTZDtype):
        zone = str(stamps.dt.tz)
        stamps = stamps.dt.tz_convert("UTC").dt.tz_localize(None)
    else:
        zone = "naive"
    return stamps.to_numpy().astype("datetime64[ns]").astype(np.int64), zone


class _Continuity:
    """Per symbol: the last timestamp and line seen, and the file's kind of timestamps."""

    def __init__(self, where: str, row_label: str) -> None:
        self.where, self.row_label = where, row_label
        self.last: dict[str, tuple[int, int]] = {}
        self.aware: bool | None = None
        self.aware_row = 0

    def check_kind(self, aware: bool, row: int) -> list[Problem]:
        if self.aware is None:
            self.aware, self.aware_row = aware, row
            return []
        if aware == self.aware:
            return []
        kinds = ("naive", "timezone-aware")
        return [Problem(self.where, f"{kinds[aware]} timestamps mixed with "
                        f"{kinds[self.aware]} ones ({self.row_label} {self.aware_row})",
                        row, self.row_label)]

    def check_piece(self, symbol: str, ts: np.ndarray, rows: np.ndarray) -> list[Problem]:
        """Rows of one symbol in file order: strictly later than every earlier row."""
        problems = []
        prev_ts = np.empty(len(ts), dtype=np.int64)
        prev_row = np.empty(len(ts), dtype=np.int64)
        if symbol in self.last:
            prev_ts[0], prev_row[0] = self.last[symbol]
            start = 0
        else:
            start = 1
        prev_ts[1:], prev_row[1:] = ts[:-1], rows[:-1]
        bad = np.flatnonzero(ts[start:] <= prev_ts[start:]) + start
        for i in bad[:MAX_PROBLEMS]:
            when = pd.Timestamp(int(ts[i]))
            if ts[i] == prev_ts[i]:
                reason = f"duplicate timestamp {when} (first on {self.row_label} {prev_row[i]})"
            else:
                reason = (f"timestamp {when} is earlier than the row before "
                          f"({pd.Timestamp(int(prev_ts[i]))})")
            problems.append(Problem(self.where, reason, int(rows[i]), self.row_label))
        if len(ts):
            self.last[symbol] = (int(ts[-1]), int(rows[-1]))
        return problems


def _split_by_symbol(codes: np.ndarray | None, names: list[str], n: int, default: str
                     ) -> Iterator[tuple[str, np.ndarray]]:
    """(symbol, row indices) in order of first appearance; rows keep their file order."""
    if codes is None:
        yield default, np.arange(n)
        return
    first = np.full(len(names), n, dtype=np.int64)
    np.minimum.at(first, codes, np.arange(n))
    present = np.flatnonzero(first < n)
    if len(present) == 1:
        yield names[present[0]], np.arange(n)
        return
    order = np.argsort(codes, kind="stable")
    bounds = np.searchsorted(codes[order], np.arange(len(names) + 1))
    for k in present[np.argsort(first[present])]:
        yield names[k], order[bounds[k]:bounds[k + 1]]


def _adjust(piece: dict[str, np.ndarray]) -> tuple[dict[str, np.ndarray], bool]:
    """Scale OHLC (and volume inversely) by Adj Close / Close, as quote sites define it."""
    if "adj_close" not in piece:
        return piece, False
    ratio = piece["adj_close"] / piece["close"]
    ratio = np.where(np.isfinite(ratio) & (ratio > 0), ratio, 1.0)
    out = {k: v for k, v in piece.items() if k != "adj_close"}
    for col in ("open", "high", "low", "close"):
        out[col] = out[col] * ratio
    out["volume"] = out["volume"] / ratio
    return out, bool(np.any(np.abs(ratio - 1.0) > 1e-9))


def _fast_numbers(arrays: dict) -> dict[str, np.ndarray] | None:
    """Typed, checked price columns from arrow arrays, or None when any value needs the
    careful path (a null, text that is not a number, inf, a bound broken)."""
    import pyarrow as pa

    out = {}
    n = len(arrays["timestamp"])
    for col in ("open", "high", "low", "close", "volume", "adj_close"):
        if col not in arrays:
            continue
        arr = arrays[col]
        if arr.null_count:
            return None
        try:
            x = arr.cast(pa.float64()).to_numpy(zero_copy_only=False)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError):
            return None
        if not np.isfinite(x).all():
            return None
        if (x < 0).any() if col == "volume" else (x <= 0).any():
            return None
        out[col] = x
    if "volume" not in out:
        out["volume"] = np.full(n, np.nan)
    o, h, lo, c = (out[k] for k in ("open", "high", "low", "close"))
    if (h < np.maximum(o, c)).any() or (lo > np.minimum(o, c)).any():
        return None
    return out


def _fast_timestamps(arr) -> tuple[np.ndarray, str] | None:
    """(int64 ns, zone) for ISO 8601 text or timestamp arrays; None for anything else."""
    import pyarrow as pa

    if arr.null_count:
        return None
    try:
        if pa.types.is_timestamp(arr.type):
            zone = arr.type.tz or "naive"
            ns = arr.cast(pa.timestamp("ns", tz=arr.type.tz)).cast(pa.int64())
            return ns.to_numpy(zero_copy_only=False), zone
        if not (pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type)):
            return None
        first = arr[0].as_py() if len(arr) else ""
        aware = re.search(OFFSET, first.strip()) is not None
        kind = pa.timestamp("ns", tz="UTC") if aware else pa.timestamp("ns")
        ns = arr.cast(kind).cast(pa.int64()).to_numpy(zero_copy_only=False)
    except (ValueError, TypeError, pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    return ns, "UTC" if aware else "naive"


def _symbols(arr, default: str) -> tuple[np.ndarray, list[str]]:
    """Codes (order of first appearance) and upper-cased names of a symbol column."""
    import pyarrow as pa
    import pyarrow.compute as pc

    arr = arr.cast(pa.string()).fill_null("")
    enc = pc.dictionary_encode(arr).combine_chunks() if isinstance(
        arr, pa.ChunkedArray) else pc.dictionary_encode(arr)
    names = [(x or default).upper() for x in enc.dictionary.to_pylist()]
    return enc.indices.to_numpy(zero_copy_only=False), names


def _careful(raw: pd.DataFrame, where: str, row_label: str, first_row: int
             ) -> tuple[dict[str, np.ndarray] | None, np.ndarray | None, str, list[Problem]]:
    """The one-pass validator on one batch: typed columns, or every problem in it."""
    checked = check_bars(raw, where, row_label=row_label, first_row=first_row)
    if checked.bars is None:
        return None, None, "", checked.problems
    bars = checked.bars
    ns, zone = _to_ns(bars["timestamp"])
    cols = {k: bars[k].to_numpy(float) for k in (*BAR_COLUMNS, "adj_close") if k in bars}
    return cols, ns, zone, []


def _batches(path: Path, where: str) -> Iterator[tuple]:
    """(arrow record batch as read, number of its first row) per batch of a file."""
    import pyarrow as pa

    if path.suffix.lower() in (".parquet", ".pq"):
        import pyarrow.parquet as pq

        try:
            reader = pq.ParquetFile(path)
            row = 1
            for batch in reader.iter_batches(batch_size=BATCH_ROWS):
                yield batch, row
                row += batch.num_rows
        except (pa.ArrowException, OSError) as exc:
            reason = f"not a readable Parquet file ({exc})"
            raise MarketDataError([Problem(where, reason)]) from None
        return
    import pyarrow.csv as pcsv

    with open(path, newline="", encoding="utf-8", errors="replace") as f:
        header_line = f.readline()
    if not header_line.strip():
        raise MarketDataError([Problem(where, "empty file")])
    header = next(csv.reader([header_line]))
    if len(header) == 1:
        from dlip.market.sources import DELIMITERS

        for sep, word in DELIMITERS.items():
            if sep in header[0]:
                reason = f"wrong delimiter: columns separated by {word} ({sep!r}), not commas"
                raise MarketDataError([Problem(where, reason, 1)])
    names = [f"column_{i}" if not h else h for i, h in enumerate(header)]
    try:
        reader = pcsv.open_csv(
            path,
            read_options=pcsv.ReadOptions(block_size=BATCH_BYTES, column_names=names,
                                          skip_rows=1),
            parse_options=pcsv.ParseOptions(ignore_empty_lines=False),
            convert_options=pcsv.ConvertOptions(column_types={n: pa.string() for n in names},
                                                strings_can_be_null=True),
        )
        row = 2
        for batch in reader:
            yield batch, row
            row += batch.num_rows
    except pa.ArrowInvalid as exc:
        raise MarketDataError([Problem(where, f"not a readable CSV file ({exc})")]) from None
    except UnicodeDecodeError as exc:
        raise MarketDataError([Problem(where, f"not a readable CSV file ({exc})")]) from None


def stream_file(path: Path, run: SourceRun, problems: ProblemList
                ) -> Iterator[tuple[str, dict[str, np.ndarray]]]:
    """Validated (symbol, bars) pieces of one file, in file order.

    Pieces are numpy columns: int64 `timestamp` nanoseconds and float OHLCV. Problems go to
    `problems`; the caller stops using the pieces once there are any.
    """
    where = str(path)
    parquet = path.suffix.lower() in (".parquet", ".pq")
    row_label = "row" if parquet else "line"
    stem = file_stem_symbol(path)
    cont = _Continuity(where, row_label)
    adjusted: set[str] = set()
    seen_any = False
    columns_ok = False
    for batch, first_row in _batches(path, where):
        mapping = column_names(batch.schema.names)
        if not columns_ok:
            missing = [c for c in ("timestamp", "open", "high", "low", "close")
                       if c not in mapping.values() and not (c == "timestamp" and
                                                             "time" in mapping.values())]
            if missing:
                found = ", ".join(batch.schema.names) or "none"
                problems.add([Problem(where, f"missing column(s): {', '.join(missing)} "
                                      f"(found: {found})")])
                return
            columns_ok = True
        n = batch.num_rows
        if n == 0:
            continue
        seen_any = True
        rows = np.arange(n) + first_row
        arrays = {new: batch.column(old) for old, new in mapping.items()}
        cols = stamps = None
        if "time" not in arrays and "timestamp" in arrays:
            cols = _fast_numbers(arrays)
            stamps = _fast_timestamps(arrays["timestamp"]) if cols is not None else None
        if cols is not None and stamps is not None:
            ns, zone = stamps
        else:
            raw = normalize_columns(batch.to_pandas())
            cols, ns, zone, found = _careful(raw, where, row_label, first_row)
            if found:
                problems.add(found)
                continue
        problems.add(cont.check_kind(zone != "naive", int(rows[0])))
        codes, names = (_symbols(arrays["symbol"], stem) if "symbol" in arrays
                        else (None, []))
        frame = {"timestamp": ns, **cols}
        for symbol, idx in _split_by_symbol(codes, names, n, stem):
            piece = frame if len(idx) == n else {k: v[idx] for k, v in frame.items()}
            problems.add(cont.check_piece(symbol, piece["timestamp"], rows[idx]))
            if problems.count:
                continue
            piece, changed = _adjust(piece)
            if changed:
                adjusted.add(symbol)
            if symbol not in run.zones:
                run.symbols.append(symbol)
                run.zones[symbol] = zone
                run.notes[symbol] = []
            yield symbol, piece
    if not seen_any and not problems.count:
        problems.add([Problem(where, "no rows of bars (empty file or header only)")])
    for symbol in adjusted:
        run.notes[symbol].append("Adjusted here for splits and dividends with Adj Close / Close.")
