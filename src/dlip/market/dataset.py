"""The dataset: one Parquet row per bar, with features, token, split and targets.

Targets of bar t (all about the future; never used as inputs):

- next_direction       1 if close_{t+1} > close_t, 0 if not, -1 where there is no next bar
- next_return_bucket   quintile of the next close-to-close return in units of scale_{t+1}
- next_range_bucket    tercile of the next bar's high-low range in units of scale_{t+1}
- fwd_return_5         ln(close_{t+5} / close_t)

scale_{t+1} uses bars up to t, so the buckets are known-scale moves. Bucket edges, like
the tokenizer's, are fitted on training examples only. Windows for models are an index
of valid window ends (`Dataset.window_ends`), not copies of the table.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from dlip.market import splits as splits_mod
from dlip.market.errors import MarketDataError, Problem
from dlip.market.features import FEATURES, FeatureSettings, candle_features
from dlip.market.sources import SymbolBars, load
from dlip.market.splits import SplitSettings
from dlip.market.tokenizer import CandleTokenizer, reconstruction_error

FORMAT = "dlip-candles-1"
TABLE_FILE = "bars.parquet"
META_FILE = "dataset.json"
TOKENIZER_FILE = "tokenizer.json"
VOCABULARY_FILE = "vocabulary.json"
CARD_MD = "card.md"
CARD_JSON = "card.json"

HORIZON = 5
RETURN_QUANTILES = (0.2, 0.4, 0.6, 0.8)
RANGE_QUANTILES = (1 / 3, 2 / 3)


@dataclass(frozen=True)
class BuildSettings:
    features: FeatureSettings = field(default_factory=FeatureSettings)
    splits: SplitSettings = field(default_factory=SplitSettings)

    def to_dict(self) -> dict:
        return {"features": self.features.to_dict(), "splits": self.splits.to_dict(),
                "horizon": HORIZON}


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


def _timestamps(parts: list[SymbolBars]) -> tuple[pd.Series, dict[str, str]]:
    """One timestamp column: naive if every source is naive, else UTC (noted per symbol)."""
    zones = {p.symbol: str(p.bars["timestamp"].dt.tz or "naive") for p in parts}
    if all(z == "naive" for z in zones.values()):
        return pd.concat([p.bars["timestamp"] for p in parts], ignore_index=True), zones
    cols = []
    for p in parts:
        ts = p.bars["timestamp"]
        cols.append(ts.dt.tz_localize("UTC") if ts.dt.tz is None else ts.dt.tz_convert("UTC"))
    return pd.concat(cols, ignore_index=True), zones


def _bucket(values: np.ndarray, edges: np.ndarray) -> np.ndarray:
    out = np.digitize(values, edges).astype(np.int8)
    return np.where(np.isfinite(values), out, -1).astype(np.int8)


def assemble(
    parts: list[SymbolBars], settings: BuildSettings = BuildSettings()
) -> Dataset:
    """Features, splits, tokens and targets for already loaded bars."""
    seen: dict[str, str] = {}
    for p in parts:
        if p.symbol in seen:
            raise MarketDataError([Problem(p.info.name, f"symbol {p.symbol} appears twice "
                                           f"(also from {seen[p.symbol]})")])
        seen[p.symbol] = p.info.name
    timestamps, zones = _timestamps(parts)
    cols: dict[str, list[np.ndarray]] = {}
    for p in parts:
        b = p.bars
        n = len(b)
        c = b["close"].to_numpy(float)
        f = candle_features(b["open"], b["high"], b["low"], c, settings.features)
        nxt = np.full(n, np.nan)
        nxt[:-1] = np.log(c[1:] / c[:-1])
        next_scale = np.full(n, np.nan)
        next_scale[:-1] = f["scale"][1:]
        rng = np.full(n, np.nan)
        rng[:-1] = np.log(b["high"].to_numpy(float)[1:] / b["low"].to_numpy(float)[1:])
        fwd = np.full(n, np.nan)
        fwd[:-HORIZON] = np.log(c[HORIZON:] / c[:-HORIZON])
        per_bar = {
            "symbol": np.full(n, p.symbol, dtype=object),
            "position": np.arange(n),
            **{k: b[k].to_numpy(float) for k in ("open", "high", "low", "close", "volume")},
            **{k: f[k] for k in ("scale", *FEATURES, "gap_masked", "valid")},
            "next_return": nxt,
            "next_return_z": nxt / next_scale,
            "next_range_z": rng / next_scale,
            "fwd_return_5": fwd,
        }
        for k, v in per_bar.items():
            cols.setdefault(k, []).append(np.asarray(v))
    data = {k: np.concatenate(v) for k, v in cols.items()}

    cuts = splits_mod.cut_dates(timestamps, settings.splits)
    split = splits_mod.assign(timestamps, cuts)
    # The target window t+1..t+HORIZON must stay in t's split and symbol.
    same = np.ones(len(split), dtype=bool)
    sym = data["symbol"]
    for k in range(1, HORIZON + 1):
        ahead = np.zeros(len(split), dtype=bool)
        ahead[:-k] = (split[k:] == split[:-k]) & (sym[k:] == sym[:-k])
        same &= ahead
    target_in_split = same & (split != splits_mod.EMBARGO)

    train_rows = (split == "train") & data["valid"]
    tokenizer = CandleTokenizer.fit(data, train_rows)
    tokens = tokenizer.encode(data)
    examples = train_rows & target_in_split
    return_edges = np.quantile(data["next_return_z"][examples], RETURN_QUANTILES)
    range_edges = np.quantile(data["next_range_z"][examples], RANGE_QUANTILES)

    direction = np.where(np.isfinite(data["next_return"]),
                         (data["next_return"] > 0).astype(np.int8), -1).astype(np.int8)
    table = pd.DataFrame({
        "symbol": data["symbol"],
        "timestamp": timestamps.to_numpy() if timestamps.dt.tz is None else timestamps,
        "position": data["position"].astype(np.int64),
        **{k: data[k] for k in ("open", "high", "low", "close", "volume", "scale", *FEATURES)},
        "gap_masked": data["gap_masked"],
        "valid": data["valid"],
        "token": tokens,
        "split": split.astype(str),
        "target_in_split": target_in_split,
        "next_direction": direction,
        "next_return_bucket": _bucket(data["next_return_z"], return_edges),
        "next_range_bucket": _bucket(data["next_range_z"], range_edges),
        "next_return": data["next_return"],
        "fwd_return_5": data["fwd_return_5"],
    })
    prev_close = np.full(len(table), np.nan)
    prev_close[1:] = data["close"][:-1]
    prev_close[data["position"] == 0] = np.nan
    recon = reconstruction_error(tokenizer, data, tokens, prev_close, data["close"],
                                 data["high"], data["low"])
    meta = {
        "format": FORMAT,
        "tokenizer_version": tokenizer.version,
        "settings": settings.to_dict(),
        "cuts": cuts.to_dict(),
        "return_bucket_edges": [float(x) for x in return_edges],
        "range_bucket_edges": [float(x) for x in range_edges],
        "reconstruction_error": recon,
        "timezones": zones,
        "sources": [
            {"symbol": p.symbol, "source": p.info.name, "description": p.info.description,
             "licence": p.info.licence, "notes": [*p.info.notes, *p.notes],
             "dropped_rows": [str(d) for d in p.dropped]}
            for p in parts
        ],
        "content_hash": content_hash(table),
    }
    return Dataset(table, tokenizer, meta)


def content_hash(table: pd.DataFrame) -> str:
    """sha256 of the table's content (column names, types and values), not of file bytes."""
    h = hashlib.sha256()
    for name in table.columns:
        col = table[name]
        text = col.dtype == object or str(col.dtype) in ("string", "str")
        h.update(f"{name}:{'text' if text else col.dtype}\0".encode())
        if text:
            h.update("\0".join(col.astype(str)).encode())
        elif isinstance(col.dtype, pd.DatetimeTZDtype) or pd.api.types.is_datetime64_any_dtype(col):
            h.update(col.to_numpy().astype("datetime64[ns]").astype(np.int64).tobytes())
        else:
            h.update(np.ascontiguousarray(col.to_numpy()).tobytes())
    return h.hexdigest()


def load_sources(specs: list[str], repair: bool = False) -> list[SymbolBars]:
    """Load every source, collecting the problems of all of them before failing."""
    parts: list[SymbolBars] = []
    problems: list[Problem] = []
    for spec in specs:
        try:
            parts.extend(load(spec, repair=repair))
        except MarketDataError as exc:
            problems.extend(exc.problems)
    if problems:
        raise MarketDataError(problems)
    if not parts:
        raise MarketDataError("no sources given")
    return parts


def build(
    specs: list[str], out: Path, *, repair: bool = False, settings: BuildSettings = BuildSettings()
) -> Dataset:
    """Load, check and assemble the sources, then write the dataset folder atomically."""
    from dlip.atomic import atomic_directory
    from dlip.market.card import card_dict, card_markdown

    dataset = assemble(load_sources(specs, repair), settings)
    dataset.meta["inputs"] = list(specs)
    card = card_dict(dataset)
    with atomic_directory(Path(out)) as tmp:
        dataset.table.to_parquet(tmp / TABLE_FILE, index=False)
        _write_json(tmp / META_FILE, dataset.meta)
        _write_json(tmp / TOKENIZER_FILE, dataset.tokenizer.to_dict())
        _write_json(tmp / VOCABULARY_FILE, dataset.tokenizer.vocabulary())
        _write_json(tmp / CARD_JSON, card)
        (tmp / CARD_MD).write_text(card_markdown(card), encoding="utf-8")
    return dataset


def _write_json(path: Path, data) -> None:
    path.write_text(json.dumps(data, indent=2, sort_keys=False) + "\n", encoding="utf-8")


def load_dataset(folder: Path) -> Dataset:
    """Read a dataset folder written by `build`."""
    folder = Path(folder)
    missing = [f for f in (TABLE_FILE, META_FILE, TOKENIZER_FILE) if not (folder / f).is_file()]
    if missing:
        raise MarketDataError([Problem(str(folder), f"not a dataset folder (missing "
                                       f"{', '.join(missing)})")])
    meta = json.loads((folder / META_FILE).read_text(encoding="utf-8"))
    if meta.get("format") != FORMAT:
        reason = f"unknown dataset format {meta.get('format')!r}"
        raise MarketDataError([Problem(str(folder), reason)])
    tokenizer = CandleTokenizer.from_dict(json.loads((folder / TOKENIZER_FILE).read_text()))
    table = pd.read_parquet(folder / TABLE_FILE)
    table["symbol"] = table["symbol"].astype(object)
    table["split"] = table["split"].astype(object)
    return Dataset(table, tokenizer, meta)
