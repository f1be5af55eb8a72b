"""Build a dataset folder in bounded memory, on one machine or through an engine.

Four steps; only the middle two touch every bar, and both run one symbol at a time, so
the same functions run in this process (`embedded`) or as Ray Data tasks (`ray`):

1. stage      read every source in batches, validate, and write each symbol's bars as
              pieces under work/raw (also collect the calendar of all timestamps)
2. featurize  per symbol: causal features with state carried across pieces, and the
              targets' inputs (the next bars), written under work/feat
3. fit        on this process: cut the splits on the calendar, fit the tokenizer and the
              bucket edges on training bars only (reading just those columns; past
              FIT_ROWS training bars, on every k-th of them)
4. tokenize   per symbol: splits, tokens and targets, written as the symbol's Parquet
              partition with its canonical digest

Memory: a piece (BATCH_ROWS bars) at a time, plus at most FIT_ROWS training bars for
the fit, so it does not grow with the dataset.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pandas as pd

from dlip.market import layout
from dlip.market import splits as splits_mod
from dlip.market.canonical import PartitionHasher, combine
from dlip.market.errors import MarketDataError, Problem
from dlip.market.features import FEATURES, FeatureStream
from dlip.market.layout import DEFAULT_SETTINGS, HORIZON, BuildSettings
from dlip.market.provenance import SourceInfo
from dlip.market.readers import BATCH_ROWS, ProblemList, SourceRun, stream_file
from dlip.market.sources import SymbolBars
from dlip.market.tokenizer import SESSION_VERSION, CandleTokenizer

NO_FUTURE = np.iinfo(np.int64).max
# The tokenizer's quantiles are fitted on every training bar up to this many, then on an
# even stride of them: a quantile of 4 million draws is off by about 0.0005 in probability,
# and the fit's memory (a few copies of each feature) stays near 300 MB at any size.
FIT_ROWS = 4_000_000
ENGINES = ("embedded", "ray")
FEAT_COLUMNS = ("timestamp", "position", "open", "high", "low", "close", "volume", "scale",
                *FEATURES, "gap_masked", "valid", "next_return", "next_return_z",
                "next_range_z", "fwd_return_5", "ts_ahead", "session_open")


# --- step 1: stage --------------------------------------------------------------------

Cols = dict[str, np.ndarray]  # one piece of one symbol: equal-length numpy columns


def _write_piece(path: Path, cols: Cols) -> None:
    import pyarrow as pa
    import pyarrow.feather as feather

    path.parent.mkdir(parents=True, exist_ok=True)
    feather.write_feather(pa.table({k: pa.array(v) for k, v in cols.items()}), path,
                          compression="uncompressed")


def _read_piece(path: Path, columns: list[str] | None = None) -> Cols:
    import pyarrow.feather as feather

    table = feather.read_table(path, columns=columns, memory_map=True)
    return {name: table.column(name).to_numpy() for name in table.column_names}


def _take(cols: Cols, rows: slice) -> Cols:
    return {k: v[rows] for k, v in cols.items()}


def _pieces(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.arrow"))


def _memory_sources(spec: str, repair: bool) -> list[tuple[SourceRun, list]] | None:
    """Packaged and generated names, and files under --repair: loaded whole (small)."""
    from dlip.market import sources

    key = spec.strip().lower()
    is_name = key in sources.GROUPS or key in sources.PACKAGED or key in sources.GENERATED
    if not is_name and not repair:
        return None
    out = []
    for part in sources.load(spec, repair=repair):
        zone = str(part.bars["timestamp"].dt.tz or "naive")
        run = SourceRun(spec, part.info, [part.symbol], {part.symbol: zone},
                        {part.symbol: list(part.notes)}, {part.symbol: list(part.dropped)})
        out.append((run, [(part.symbol, part.bars)]))
    return out


def _file_or_error(spec: str) -> Path:
    from dlip.market import sources

    path = Path(spec)
    if path.suffix or path.exists():
        if not path.is_file():
            raise MarketDataError([Problem(str(path), "no such file")])
        return path
    known = ", ".join(sources.names())
    raise MarketDataError([Problem(spec, f"unknown source (packaged names: {known}; or a file)")])


def _exact_problems(path: Path) -> list[Problem] | None:
    """A small file's problems as the one-pass reader words them (None if it finds none)."""
    from dlip.market.readers import SMALL_FILE
    from dlip.market.sources import read_file

    if path.stat().st_size > SMALL_FILE:
        return None
    try:
        read_file(path)
    except MarketDataError as exc:
        return exc.problems
    return None


class Stage:
    """Step 1's result: symbols in table order, their pieces, sources and calendar."""

    def __init__(self, work: Path, settings: BuildSettings | None = None) -> None:
        """With `settings`, step 2 runs here as pieces arrive (the embedded path)."""
        self.work = work
        self.settings = settings
        self.featurizers: dict[int, SymbolFeaturizer] = {}
        self.symbols: list[str] = []
        self.index: dict[str, int] = {}
        self.owner: dict[str, SourceRun] = {}
        self.counts: list[int] = []
        self.rows: list[int] = []
        self.runs: list[SourceRun] = []
        self._calendar: list[np.ndarray] = []
        self._kept = self._pending = 0
        self.aware = False

    def add(self, run: SourceRun, symbol: str, bars: pd.DataFrame, batch_rows: int) -> None:
        if symbol not in self.owner:
            self.owner[symbol] = run
            self.index[symbol] = len(self.symbols)
            self.symbols.append(symbol)
            self.counts.append(0)
            self.rows.append(0)
        i = self.index[symbol]
        if isinstance(bars, pd.DataFrame):
            cols = {"timestamp": _ns(bars["timestamp"]),
                    **{k: bars[k].to_numpy(float) for k in layout.COLUMNS[3:8]}}
        else:  # numpy columns from readers.stream_file
            cols = {k: bars[k] for k in ("timestamp", *layout.COLUMNS[3:8])}
        ts = cols["timestamp"]
        for a in range(0, len(ts), batch_rows):
            chunk = _take(cols, slice(a, a + batch_rows))
            if self.settings is not None:
                if i not in self.featurizers:
                    self.featurizers[i] = SymbolFeaturizer(self.work, i, self.settings)
                self.featurizers[i].push(chunk)
            else:
                _write_piece(self.work / "raw" / f"{i:06d}" / f"{self.counts[i]:06d}.arrow",
                             chunk)
            self.counts[i] += 1
            self.rows[i] += len(chunk["timestamp"])
            self._calendar.append(chunk["timestamp"])  # increasing within a symbol
            self._pending += len(chunk["timestamp"])
            if self._pending > max(1 << 20, 2 * self._kept):
                self._calendar = [self.calendar()]  # memory stays about the calendar's size
                self._kept, self._pending = len(self._calendar[0]), 0

    def calendar(self) -> np.ndarray:
        if not self._calendar:
            return np.empty(0, dtype=np.int64)
        return np.unique(np.concatenate(self._calendar))


def _ns(ts: pd.Series) -> np.ndarray:
    if isinstance(ts.dtype, pd.DatetimeTZDtype):
        ts = ts.dt.tz_convert("UTC").dt.tz_localize(None)
    return ts.to_numpy().astype("datetime64[ns]").astype(np.int64)


def stage(
    specs: list[str | SymbolBars], repair: bool, work: Path, batch_rows: int = BATCH_ROWS,
    settings: BuildSettings | None = None,
) -> Stage:
    """Step 1: every source read, checked and staged; all problems of all sources at once.

    With `settings`, step 2 (features) runs here too, as each piece arrives.
    """
    if not specs:
        raise MarketDataError("no sources given")
    st = Stage(work, settings)
    problems: list[Problem] = []
    hidden = 0

    def register(run: SourceRun, symbol: str) -> bool:
        other = st.owner.get(symbol)
        if other is not None and other is not run:
            problems.append(Problem(run.info.name, f"symbol {symbol} appears twice "
                                    f"(also from {other.info.name})"))
            return False
        return True

    for spec in specs:
        try:
            if isinstance(spec, SymbolBars):  # already loaded (assemble)
                zone = str(spec.bars["timestamp"].dt.tz or "naive")
                run = SourceRun(spec.info.name, spec.info, [spec.symbol], {spec.symbol: zone},
                                {spec.symbol: list(spec.notes)},
                                {spec.symbol: list(spec.dropped)})
                st.runs.append(run)
                if register(run, spec.symbol) and not problems:
                    st.add(run, spec.symbol, spec.bars, batch_rows)
                continue
            loaded = _memory_sources(spec, repair)
            if loaded is not None:
                for run, parts in loaded:
                    st.runs.append(run)
                    for symbol, bars in parts:
                        if register(run, symbol) and not problems:
                            st.add(run, symbol, bars, batch_rows)
                continue
            path = _file_or_error(spec)
            info = SourceInfo(path.name, f"user file {path.name}", "as provided by the user")
            run = SourceRun(spec, info)
            st.runs.append(run)
            found = ProblemList()
            for symbol, bars in stream_file(path, run, found):
                if register(run, symbol) and not problems:
                    st.add(run, symbol, bars, batch_rows)
            if found.count:
                exact = _exact_problems(path)
                problems.extend(exact if exact is not None else found.kept)
                hidden += 0 if exact is not None else found.count - len(found.kept)
        except MarketDataError as exc:
            problems.extend(exc.problems)
    if problems:
        err = MarketDataError(problems)
        err.hidden = hidden
        raise err
    if not st.symbols:
        raise MarketDataError("no sources given")
    st.aware = any(z != "naive" for r in st.runs for z in r.zones.values())
    for featurizer in st.featurizers.values():
        featurizer.finish()
    return st


# --- step 2: featurize ------------------------------------------------------------------

def _with_targets(f: Cols) -> Cols:
    """Target inputs of every row of f from the rows after it (NaN where there are none)."""
    n = len(f["close"])
    c = f["close"]
    nxt = np.full(n, np.nan)
    nxt[:-1] = np.log(c[1:] / c[:-1])
    next_scale = np.full(n, np.nan)
    next_scale[:-1] = f["scale"][1:]
    rng = np.full(n, np.nan)
    rng[:-1] = np.log(f["high"][1:] / f["low"][1:])
    fwd = np.full(n, np.nan)
    fwd[:-HORIZON] = np.log(c[HORIZON:] / c[:-HORIZON])
    ahead = np.full(n, NO_FUTURE, dtype=np.int64)
    ahead[:-HORIZON] = f["timestamp"][HORIZON:]
    return f | {"next_return": nxt, "next_return_z": nxt / next_scale,
                "next_range_z": rng / next_scale, "fwd_return_5": fwd, "ts_ahead": ahead}


class SymbolFeaturizer:
    """Step 2 for one symbol, piece by piece: rows wait for HORIZON more before leaving."""

    def __init__(self, work: Path, index: int, settings: BuildSettings) -> None:
        self.stream = FeatureStream(settings.features)
        self.out_dir = work / "feat" / f"{index:06d}"
        self.held: Cols | None = None
        self.written = 0
        self.last_ts: int | None = None
        self.gap_ns = layout.SESSION_GAP_MINUTES * 60 * 10**9

    def _emit(self, cols: Cols) -> None:
        if len(cols["timestamp"]):
            _write_piece(self.out_dir / f"{self.written:06d}.arrow",
                         {k: cols[k] for k in FEAT_COLUMNS})
            self.written += 1

    def push(self, raw: Cols) -> None:
        n = len(raw["timestamp"])
        feats = self.stream.push(*(raw[k] for k in ("open", "high", "low", "close")))
        start = self.stream.position - n
        ts = raw["timestamp"]
        before = np.empty(n, dtype=np.int64)
        before[1:] = ts[:-1]
        before[0] = ts[0] - 2 * self.gap_ns if self.last_ts is None else self.last_ts
        self.last_ts = int(ts[-1])
        frame = raw | {"position": np.arange(start, start + n, dtype=np.int64),
                       "session_open": (ts - before) > self.gap_ns} | feats
        if self.held is not None:
            frame = {k: np.concatenate([self.held[k], frame[k]]) for k in frame}
        self._emit(_take(_with_targets(frame), slice(None, -HORIZON)))
        # Copies: a view would keep this whole piece alive until the symbol's next one.
        self.held = {k: v[-HORIZON:].copy() for k, v in frame.items()}

    def finish(self) -> int:
        if self.held is not None:
            self._emit(_with_targets(self.held))
        return self.written


def featurize(work: str, index: int, settings: BuildSettings) -> int:
    """Step 2 for one staged symbol (the engine path: raw pieces were written by step 1)."""
    featurizer = SymbolFeaturizer(Path(work), index, settings)
    for path in _pieces(Path(work) / "raw" / f"{index:06d}"):
        featurizer.push(_read_piece(path))
    return featurizer.finish()


# --- step 3: fit --------------------------------------------------------------------------

def _read_feat(work: Path, index: int, columns: list[str]) -> Iterator[Cols]:
    for path in _pieces(work / "feat" / f"{index:06d}"):
        yield _read_piece(path, columns)


def _cuts_ns(cuts: splits_mod.Cuts) -> np.ndarray:
    return np.array([pd.Timestamp(x).value for x in
                     (cuts.train_end, cuts.val_start, cuts.val_end, cuts.test_start)],
                    dtype=np.int64)


def split_codes(ts: np.ndarray, cuts_ns: np.ndarray) -> np.ndarray:
    """0 train, 1 val, 2 test, 3 embargo; NO_FUTURE (no bar there) is 4."""
    train_end, val_start, val_end, test_start = cuts_ns
    out = np.full(len(ts), 3, dtype=np.int8)
    out[ts < train_end] = 0
    out[(ts >= val_start) & (ts < val_end)] = 1
    out[ts >= test_start] = 2
    out[ts == NO_FUTURE] = 4
    return out


SPLIT_NAMES = np.array([*splits_mod.SPLITS, splits_mod.EMBARGO], dtype=object)


def fit(work: Path, n_symbols: int, calendar: np.ndarray, settings: BuildSettings
        ) -> tuple[splits_mod.Cuts, CandleTokenizer, np.ndarray, np.ndarray]:
    """Step 3: cuts, then tokenizer and bucket edges from training bars only."""
    try:
        cuts = splits_mod.cut_dates(calendar.astype("datetime64[ns]"), settings.splits)
    except ValueError:
        s = settings.splits
        need = int(np.ceil((2 * s.embargo + 3) / min(s.train, s.val, 1 - s.train - s.val)))
        raise MarketDataError(f"too few rows for the splits: {len(calendar)} distinct "
                              f"timestamps, the train/val/test split with a {s.embargo}-date "
                              f"embargo needs at least about {need}") from None
    cuts_ns = _cuts_ns(cuts)
    train_file = _collect_training(work, n_symbols, cuts_ns)
    columns = _ColumnFile(train_file, FIT_ROWS)
    try:
        tokenizer = CandleTokenizer.fit(columns, np.ones(columns.rows, dtype=bool))
    except ValueError:
        raise MarketDataError("too few rows for the splits: no training bar is past the "
                              f"{settings.features.warmup}-bar warm-up") from None
    rz_all, gz_all = (columns[k] for k in ("next_return_z", "next_range_z"))
    rz_all, gz_all = (x[np.isfinite(columns["example"])] for x in (rz_all, gz_all))
    if not len(rz_all):
        raise MarketDataError("too few rows for the splits: no training example has its "
                              f"{HORIZON} target bars inside the training period")
    return_edges = np.quantile(rz_all, layout.RETURN_QUANTILES)
    range_edges = np.quantile(gz_all, layout.RANGE_QUANTILES)
    if intraday(calendar):
        tokenizer = tokenizer.with_sessions()
    return cuts, tokenizer, return_edges, range_edges


def _collect_training(work: Path, n_symbols: int, cuts_ns: np.ndarray) -> Path:
    """The training bars' features, in table order, in one file read a column at a time.

    `example` is 1.0 where the bar's target window stays in training, NaN elsewhere.
    """
    import pyarrow as pa

    names = [*FEATURES, "next_return_z", "next_range_z"]
    path = work / "train.arrow"
    schema = pa.schema([(k, pa.float64()) for k in (*names, "example")])
    with pa.OSFile(str(path), "wb") as sink, pa.ipc.new_file(sink, schema) as writer:
        for i in range(n_symbols):
            for f in _read_feat(work, i, ["timestamp", "valid", "ts_ahead", *names]):
                train = (f["timestamp"] < cuts_ns[0]) & f["valid"]
                example = np.where(split_codes(f["ts_ahead"], cuts_ns) == 0, 1.0, np.nan)
                writer.write_batch(pa.record_batch(
                    [pa.array(f[k][train]) for k in names] + [pa.array(example[train])],
                    schema=schema))
    return path


class _ColumnFile:
    """A read-only mapping that loads one column of an Arrow file when it is asked for:
    every row, or every `step`-th row (from the first) when the file has more than
    `max_rows`, one record batch at a time."""

    def __init__(self, path: Path, max_rows: int) -> None:
        import pyarrow as pa

        self.path = path
        with pa.memory_map(str(path)) as source:
            total = pa.ipc.open_file(source).read_all().num_rows
        self.step = max(1, -(-total // max_rows))
        self.rows = -(-total // self.step)

    def __getitem__(self, name: str) -> np.ndarray:
        import pyarrow as pa

        with pa.memory_map(str(self.path)) as source:  # only this column's pages are read
            column = pa.ipc.open_file(source).read_all().column(name)
            if self.step == 1:
                return np.array(column.to_numpy(), copy=True) if column.num_chunks \
                    else np.empty(0)
            out, offset = [], 0  # `offset`: rows of the file before this chunk
            for chunk in column.chunks:
                first = -offset % self.step
                out.append(np.array(chunk.to_numpy()[first::self.step], copy=True))
                offset += len(chunk)
            return np.concatenate(out) if out else np.empty(0)


def intraday(calendar: np.ndarray) -> bool:
    """Bars closer than a day apart (the median gap of the union calendar)."""
    return len(calendar) > 1 and float(np.median(np.diff(calendar))) < 86_400e9


# --- step 4: tokenize --------------------------------------------------------------------

def _bucket(values: np.ndarray, edges: np.ndarray) -> np.ndarray:
    out = np.digitize(values, edges).astype(np.int8)
    return np.where(np.isfinite(values), out, -1).astype(np.int8)


def tokenize(work: str, out: str, index: int, symbol: str, plan: dict) -> tuple:
    """Step 4 for one symbol: its Parquet partition.

    Returns (symbol, rows, digest, card stats, reconstruction sums) for the driver to merge.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    from dlip.market.card import CardStats
    from dlip.market.summary import Reconstruction

    tokenizer = CandleTokenizer.from_dict(plan["tokenizer"])
    cuts_ns = np.asarray(plan["cuts_ns"], dtype=np.int64)
    return_edges = np.asarray(plan["return_edges"])
    range_edges = np.asarray(plan["range_edges"])
    hasher = PartitionHasher()
    stats = CardStats(plan["warmup"], tokenizer.vocab_size)
    recon = Reconstruction()
    path = Path(out) / layout.partition_file(index)
    path.parent.mkdir(parents=True, exist_ok=True)
    writer = None
    zone = "UTC" if plan["aware"] else None
    try:
        for f in _read_feat(Path(work), index, list(FEAT_COLUMNS)):
            cols = _tokenized(f, symbol, tokenizer, cuts_ns, return_edges, range_edges)
            split_code = cols.pop("_split_code")
            hasher.update_arrays(cols)
            stats.add(cols)
            recon.add(tokenizer, cols)
            n = len(cols["token"])
            arrays = {k: pa.array(v) for k, v in cols.items() if k not in
                      ("symbol", "split", "timestamp")}
            arrays["symbol"] = pa.DictionaryArray.from_arrays(
                pa.array(np.zeros(n, np.int32)), pa.array([symbol]))
            arrays["split"] = pa.DictionaryArray.from_arrays(
                pa.array(split_code.astype(np.int32)), pa.array(SPLIT_NAMES))
            arrays["timestamp"] = pa.array(cols["timestamp"], pa.timestamp("ns", tz=zone))
            arrow = pa.table({k: arrays[k] for k in cols})
            if writer is None:
                writer = pq.ParquetWriter(path, arrow.schema, use_dictionary=["symbol", "split"],
                                          write_statistics=["timestamp", "position"])
            writer.write_table(arrow)
    finally:
        if writer is not None:
            writer.close()
    return symbol, hasher.rows, hasher.hexdigest(), stats, recon


def _tokenized(f: Cols, symbol: str, tokenizer: CandleTokenizer, cuts_ns: np.ndarray,
               return_edges: np.ndarray, range_edges: np.ndarray) -> Cols:
    """The table's columns for one piece (timestamps as UTC-or-naive datetime64)."""
    code = split_codes(f["timestamp"], cuts_ns)
    ahead = split_codes(f["ts_ahead"], cuts_ns)
    nxt = f["next_return"]
    n = len(nxt)
    return {
        "symbol": np.full(n, symbol, dtype=object),
        "timestamp": f["timestamp"].astype("datetime64[ns]"),
        "position": f["position"].astype(np.int64),
        **{k: f[k] for k in ("open", "high", "low", "close", "volume", "scale", *FEATURES)},
        "gap_masked": f["gap_masked"].astype(bool),
        "valid": f["valid"].astype(bool),
        "token": tokenizer.encode({k: f[k] for k in (*FEATURES, "valid", "session_open")}),
        "split": SPLIT_NAMES[code],
        "target_in_split": (ahead == code) & (code != 3),
        "next_direction": np.where(np.isfinite(nxt), (nxt > 0).astype(np.int8),
                                   -1).astype(np.int8),
        "next_return_bucket": _bucket(f["next_return_z"], return_edges),
        "next_range_bucket": _bucket(f["next_range_z"], range_edges),
        "next_return": nxt,
        "fwd_return_5": f["fwd_return_5"],
    } | ({"session_open": f["session_open"].astype(bool)}
         if tokenizer.version == SESSION_VERSION else {}) | {"_split_code": code}


# --- the whole build ------------------------------------------------------------------

Mapper = Callable[[Callable, list[tuple]], list]


def embedded_map(fn: Callable, items: list[tuple]) -> list:
    """Run fn(*item) for every item here, one after another."""
    return [fn(*item) for item in items]


def build_folder(specs: list[str | SymbolBars], tmp: Path, *, repair: bool = False,
                 settings: BuildSettings = DEFAULT_SETTINGS, mapper: Mapper = embedded_map,
                 batch_rows: int = BATCH_ROWS) -> dict:
    """Steps 1-4 into the (empty, temporary) folder `tmp`; returns the meta (no card yet).

    The meta's `_card_stats` and `_reconstruction` are for the caller to finish and drop.
    """
    work = tmp / ".work"
    here = mapper is embedded_map  # features while reading: no raw pieces to write
    st = stage(specs, repair, work, batch_rows, settings if here else None)
    n = len(st.symbols)
    if not here:
        mapper(featurize, [(str(work), i, settings) for i in range(n)])
    cuts, tokenizer, return_edges, range_edges = fit(work, n, st.calendar(), settings)
    plan = {"tokenizer": tokenizer.to_dict(), "cuts_ns": _cuts_ns(cuts).tolist(),
            "return_edges": return_edges.tolist(), "range_edges": range_edges.tolist(),
            "aware": st.aware, "warmup": settings.features.warmup}
    results = mapper(tokenize, [(str(work), str(tmp), i, s, plan)
                                for i, s in enumerate(st.symbols)])
    shutil.rmtree(work, ignore_errors=True)
    if st.aware:
        cuts = splits_mod.Cuts(*(pd.Timestamp(x).tz_localize("UTC") for x in
                                 (cuts.train_end, cuts.val_start, cuts.val_end, cuts.test_start)))
    partitions = [{"symbol": s, "file": layout.partition_file(i), "rows": rows, "digest": d}
                  for i, (s, rows, d, _, _) in enumerate(results)]
    stats, recon = results[0][3], results[0][4]
    for r in results[1:]:
        stats.merge(r[3])
        recon.merge(r[4])
    zones = {s: r.zones[s] for r in st.runs for s in r.symbols}
    return {
        "format": layout.FORMAT,
        "tokenizer_version": tokenizer.version,
        "settings": settings.to_dict(),
        "cuts": cuts.to_dict(),
        "return_bucket_edges": [float(x) for x in return_edges],
        "range_bucket_edges": [float(x) for x in range_edges],
        "timezones": {s: zones[s] for s in st.symbols},
        "sources": [
            {"symbol": s, "source": r.info.name, "description": r.info.description,
             "licence": r.info.licence, "notes": [*r.info.notes, *r.notes.get(s, [])],
             "dropped_rows": [str(d) for d in r.dropped.get(s, [])]}
            for r in st.runs for s in r.symbols
        ],
        **({"session_gap_minutes": layout.SESSION_GAP_MINUTES}
           if tokenizer.version == SESSION_VERSION else {}),
        "partitions": partitions,
        "content_hash": combine((p["symbol"], p["rows"], p["digest"]) for p in partitions),
        "tokenizer": tokenizer.to_dict(),
        "_card_stats": stats,
        "_reconstruction": recon,
    }
