"""The dataset: one Parquet row per bar, with features, token, split and targets.

Targets of bar t (all about the future; never used as inputs):

- next_direction       1 if close_{t+1} > close_t, 0 if not, -1 where there is no next bar
- next_return_bucket   quintile of the next close-to-close return in units of scale_{t+1}
- next_range_bucket    tercile of the next bar's high-low range in units of scale_{t+1}
- fwd_return_5         ln(close_{t+5} / close_t)

scale_{t+1} uses bars up to t, so the buckets are known-scale moves. Bucket edges, like
the tokenizer's, are fitted on training examples only. Windows for models are an index
of valid window ends (`Dataset.window_ends`), not copies of the table.

Building streams (`pipeline`): memory stays bounded whatever the input size. Reading
back: `load_dataset` gives the whole table in memory; `iter_partitions` streams it one
symbol (or one row batch) at a time for datasets larger than memory.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from dlip.market.canonical import content_hash
from dlip.market.errors import MarketDataError, Problem
from dlip.market.layout import (
    CARD_JSON,
    CARD_MD,
    DEFAULT_SETTINGS,
    FORMAT,
    HORIZON,
    META_FILE,
    RANGE_QUANTILES,
    READABLE_FORMATS,
    RETURN_QUANTILES,
    TABLE_FILE,
    TOKENIZER_FILE,
    VOCABULARY_FILE,
    BuildSettings,
)
from dlip.market.sources import SymbolBars
from dlip.market.tokenizer import CandleTokenizer

__all__ = ["FORMAT", "HORIZON", "RANGE_QUANTILES", "RETURN_QUANTILES", "BuildSettings",
           "Dataset", "assemble", "build", "content_hash", "iter_partitions", "load_dataset",
           "read_meta", "write_dataset"]


@dataclass
class Dataset:
    """A built dataset in memory: the table, its tokenizer and what the build recorded."""

    table: pd.DataFrame
    tokenizer: CandleTokenizer
    meta: dict

    @property
    def symbols(self) -> list[str]:
        return list(dict.fromkeys(self.table["symbol"]))

    def window_ends(self, split: str, length: int = 1, symbol: str | None = None) -> np.ndarray:
        """Row numbers t where a window of `length` tokens ending at t is a valid example.

        Valid: bars t-length+1..t all carry a token of one symbol, and the target window
        t+1..t+5 lies in the same split as t (never in an embargo or a later split).
        """
        t = self.table
        pos = t["position"].to_numpy()
        ok = (t["split"].to_numpy() == split) & t["target_in_split"].to_numpy()
        ok &= pos >= self.meta["settings"]["features"]["warmup"] + length - 1
        if symbol is not None:
            ok &= t["symbol"].to_numpy() == symbol
        return np.flatnonzero(ok)


# --- writing ----------------------------------------------------------------------------

def write_dataset(
    specs: list[str | SymbolBars], out: Path, *, repair: bool = False,
    settings: BuildSettings = DEFAULT_SETTINGS, engine: str = "embedded",
    address: str | None = None, batch_rows: int | None = None,
) -> dict:
    """Build the dataset folder `out` in bounded memory and return its card (a dict).

    `out` is replaced atomically (old or new, never half), and only if it is absent or
    already a dataset folder; see `io.check_out`. `engine="ray"` runs the per-symbol steps
    as Ray Data tasks (locally, or on the cluster at `address`).
    """
    from dlip.market import pipeline
    from dlip.market.card import card_from_stats, card_markdown
    from dlip.market.io import atomic_directory, check_out
    from dlip.market.readers import BATCH_ROWS
    from dlip.market.summary import COLUMNS as RECON_COLUMNS

    out = Path(out)
    check_out(out, [s for s in specs if isinstance(s, str)])
    mapper = pipeline.embedded_map
    if engine == "ray":
        from dlip.market.ray_engine import ray_mapper

        mapper = ray_mapper(address)
    elif engine != "embedded":
        raise MarketDataError(f"unknown engine {engine!r} (choose from "
                              f"{', '.join(pipeline.ENGINES)})")
    with atomic_directory(out) as tmp:
        meta = pipeline.build_folder(specs, tmp, repair=repair, settings=settings,
                                     mapper=mapper, batch_rows=batch_rows or BATCH_ROWS)
        tokenizer_dict = meta.pop("tokenizer")
        tokenizer = CandleTokenizer.from_dict(tokenizer_dict)
        meta["inputs"] = [s if isinstance(s, str) else s.symbol for s in specs]
        stats, recon = meta.pop("_card_stats"), meta.pop("_reconstruction")
        meta["reconstruction_error"] = recon.finish(tokenizer, lambda: iter_partitions(
            tmp, columns=RECON_COLUMNS, meta=meta, arrays=True))
        card = card_from_stats(stats, meta, tokenizer_dict)
        _write_json(tmp / META_FILE, meta)
        _write_json(tmp / TOKENIZER_FILE, tokenizer_dict)
        _write_json(tmp / VOCABULARY_FILE, tokenizer.vocabulary())
        _write_json(tmp / CARD_JSON, card)
        (tmp / CARD_MD).write_text(card_markdown(card), encoding="utf-8")
    return card


def build(
    specs: list[str], out: Path, *, repair: bool = False,
    settings: BuildSettings = DEFAULT_SETTINGS, engine: str = "embedded",
    address: str | None = None,
) -> Dataset:
    """Build the dataset folder `out`, then load it (the whole table) into memory."""
    write_dataset(specs, out, repair=repair, settings=settings, engine=engine, address=address)
    return load_dataset(out)


def assemble(parts: list[SymbolBars], settings: BuildSettings = DEFAULT_SETTINGS) -> Dataset:
    """The dataset of already loaded bars, in memory (built through a temporary folder)."""
    import tempfile

    with tempfile.TemporaryDirectory(prefix="dlip-assemble-") as tmp:
        write_dataset(list(parts), Path(tmp) / "ds", settings=settings)
        return load_dataset(Path(tmp) / "ds")


def _write_json(path: Path, data) -> None:
    path.write_text(json.dumps(data, indent=2, sort_keys=False) + "\n", encoding="utf-8")


# --- reading ----------------------------------------------------------------------------

def _broken(folder: Path, reason: str) -> MarketDataError:
    return MarketDataError([Problem(str(folder), reason)])


def read_meta(folder: Path) -> dict:
    """dataset.json of a dataset folder, checked; a one-line error for anything broken."""
    folder = Path(folder)
    if not folder.is_dir():
        raise _broken(folder, "no such dataset folder" if not folder.exists()
                      else "not a dataset folder (a file)")
    missing = [f for f in (META_FILE, TOKENIZER_FILE) if not (folder / f).is_file()]
    if missing:
        raise _broken(folder, f"not a dataset folder (missing {', '.join(missing)})")
    try:
        meta = json.loads((folder / META_FILE).read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise _broken(folder, f"broken {META_FILE} ({exc})") from None
    if not isinstance(meta, dict) or meta.get("format") not in READABLE_FORMATS:
        found = meta.get("format") if isinstance(meta, dict) else None
        raise _broken(folder, f"unknown dataset format {found!r}")
    needed = ["settings", "sources", "cuts", "content_hash"]
    if meta["format"] == FORMAT:
        needed.append("partitions")
    lacking = [k for k in needed if k not in meta]
    if lacking:
        raise _broken(folder, f"broken {META_FILE} (no {', '.join(lacking)})")
    if meta["format"] == FORMAT:
        gone = [p["file"] for p in meta["partitions"] if not (folder / p["file"]).is_file()]
        if gone:
            raise _broken(folder, f"broken dataset: {len(gone)} partition file(s) missing "
                          f"(first: {gone[0]})")
    elif not (folder / TABLE_FILE).is_file():
        raise _broken(folder, f"not a dataset folder (missing {TABLE_FILE})")
    return meta


def read_tokenizer(folder: Path) -> CandleTokenizer:
    folder = Path(folder)
    try:
        return CandleTokenizer.from_dict(json.loads((folder / TOKENIZER_FILE).read_text()))
    except (json.JSONDecodeError, UnicodeDecodeError, ValueError, TypeError) as exc:
        raise _broken(folder, f"broken {TOKENIZER_FILE} ({exc})") from None


def _typed(frame: pd.DataFrame) -> pd.DataFrame:
    for col in ("symbol", "split"):
        if col in frame.columns:
            frame[col] = frame[col].astype(object)
    return frame


def iter_partitions(
    folder: Path, columns: list[str] | None = None, batch_rows: int | None = 1 << 19,
    meta: dict | None = None, arrays: bool = False,
) -> Iterator[pd.DataFrame]:
    """The table in row batches of one symbol each, in table order (bounded memory).

    `batch_rows=None` gives one frame per symbol (a symbol must then fit in memory);
    `arrays=True` gives dicts of numpy arrays instead of frames (faster).
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    folder = Path(folder)
    meta = meta or read_meta(folder)
    if meta["format"] != FORMAT:  # format 1: one file
        table = _typed(pd.read_parquet(folder / TABLE_FILE, columns=columns))
        for sym in dict.fromkeys(table["symbol"]):
            yield table[table["symbol"] == sym]
        return
    for part in meta["partitions"]:
        path = folder / part["file"]
        try:
            f = pq.ParquetFile(path)
            if batch_rows is None:
                yield _typed(f.read(columns=columns).to_pandas())
                continue
            for batch in f.iter_batches(batch_size=batch_rows, columns=columns):
                if arrays:
                    yield {name: batch.column(name).to_numpy(zero_copy_only=False)
                           for name in batch.schema.names}
                else:
                    yield _typed(batch.to_pandas())
        except (pa.ArrowException, OSError) as exc:
            raise _broken(folder, f"broken partition {part['file']} ({exc})") from None


def load_dataset(folder: Path) -> Dataset:
    """Read a dataset folder written by `build` (the whole table in memory)."""
    import pyarrow as pa

    folder = Path(folder)
    meta = read_meta(folder)
    tokenizer = read_tokenizer(folder)
    try:
        if meta["format"] == FORMAT:
            frames = list(iter_partitions(folder, batch_rows=None, meta=meta))
            table = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
        else:
            table = _typed(pd.read_parquet(folder / TABLE_FILE))
    except (pa.ArrowException, OSError) as exc:
        raise _broken(folder, f"broken table ({exc})") from None
    return Dataset(table, tokenizer, meta)
