"""Where bars come from: one registry of packaged names, and any CSV or Parquet file.

Every source ends as the same frame: timestamp, open, high, low, close, volume, one
symbol each, split-adjusted where the source gives an adjusted close, and checked by
`validate.check_bars` on the way in.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from dlip.market.errors import MarketDataError, Problem
from dlip.market.provenance import SYNTHETIC_INFO, SourceInfo
from dlip.market.validate import check_bars, normalize_columns

__all__ = ["COLUMNS", "SourceInfo", "SymbolBars", "load", "names", "read_file"]

COLUMNS = ("timestamp", "open", "high", "low", "close", "volume")


@dataclass
class SymbolBars:
    """The bars of one symbol, ready for features."""

    symbol: str
    bars: pd.DataFrame  # COLUMNS, ascending unique timestamps
    info: SourceInfo
    dropped: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _adjust_for_splits(bars: pd.DataFrame) -> tuple[pd.DataFrame, bool]:
    """Scale OHLC (and volume inversely) by Adj Close / Close, as quote sites define it."""
    if "adj_close" not in bars.columns:
        return bars, False
    ratio = (bars["adj_close"] / bars["close"]).to_numpy()
    ratio = np.where(np.isfinite(ratio) & (ratio > 0), ratio, 1.0)
    out = bars.drop(columns=["adj_close"]).copy()
    for col in ("open", "high", "low", "close"):
        out[col] = out[col].to_numpy() * ratio
    out["volume"] = out["volume"].to_numpy() / ratio
    return out, bool(np.any(np.abs(ratio - 1.0) > 1e-9))


def _finish(
    raw: pd.DataFrame, symbol: str, info: SourceInfo, where: str, repair: bool, **kw
) -> list[SymbolBars]:
    checked = check_bars(normalize_columns(raw), where, repair=repair, **kw)
    if checked.bars is None:
        raise MarketDataError(checked.problems)
    bars = checked.bars
    groups = (
        [(str(s) or symbol, g) for s, g in bars.groupby("symbol", sort=False)]
        if "symbol" in bars.columns
        else [(symbol, bars)]
    )
    out = []
    for sym, group in groups:
        adjusted, changed = _adjust_for_splits(group.drop(columns=["symbol"], errors="ignore"))
        notes = list(checked.notes)
        if changed:
            notes.append("Adjusted here for splits and dividends with Adj Close / Close.")
        frame = adjusted[list(COLUMNS)].reset_index(drop=True)
        out.append(SymbolBars(sym.upper(), frame, info, list(checked.dropped), notes))
    return out


# --- packaged sources -------------------------------------------------------------------

ARCH = SourceInfo(
    "arch.data",
    "Daily index levels bundled with the arch package (1999-2018)",
    "arch package, University of Illinois/NCSA licence",
    ("Before about 2006 the open usually equals the previous close: the gap is masked there.",),
)
BOKEH = SourceInfo(
    "bokeh_sampledata.stocks",
    "Daily stock prices bundled with bokeh-sampledata (2000-2013)",
    "public domain (bokeh-sampledata stocks)",
    ("Prices are unadjusted in the file.",),
)
PMDARIMA = SourceInfo(
    "pmdarima.datasets.load_msft",
    "Microsoft daily prices bundled with pmdarima (1986-2017), already adjusted",
    "pmdarima package, MIT licence",
    ("Early prices are a few cents, so many early bars are flat at the price tick.",),
)


def _arch(module: str, symbol: str) -> Callable[[bool], list[SymbolBars]]:
    def load(repair: bool) -> list[SymbolBars]:
        import importlib

        frame = importlib.import_module(f"arch.data.{module}").load()
        raw = frame.reset_index()
        return _finish(raw, symbol, ARCH, f"arch.data.{module}", repair, row_label="row",
                       first_row=1)

    return load


def _bokeh(ticker: str) -> Callable[[bool], list[SymbolBars]]:
    def load(repair: bool) -> list[SymbolBars]:
        import bokeh_sampledata.stocks as stocks

        raw = pd.DataFrame(getattr(stocks, ticker))
        return _finish(raw, ticker, BOKEH, f"bokeh_sampledata.stocks.{ticker}", repair,
                       row_label="row", first_row=1)

    return load


def _pmdarima(repair: bool) -> list[SymbolBars]:
    from pmdarima.datasets import load_msft

    raw = load_msft().drop(columns=["OpenInt"], errors="ignore")
    return _finish(raw, "MSFT_PMDARIMA", PMDARIMA, "pmdarima.datasets.load_msft", repair,
                   row_label="row", first_row=1)


def _synthetic(planted: bool) -> Callable[[bool], list[SymbolBars]]:
    def load(repair: bool) -> list[SymbolBars]:
        from dlip.market.synthetic import SyntheticMarket

        market = SyntheticMarket(planted_p=0.7 if planted else None,
                                 n_bars=100_000 if planted else 20_000)
        symbol = "SYNTH_PLANTED" if planted else "SYNTH"
        return [SymbolBars(symbol, market.bars(), SYNTHETIC_INFO, notes=[market.describe()])]

    return load


PACKAGED: dict[str, Callable[[bool], list[SymbolBars]]] = {
    "sp500": _arch("sp500", "SP500"),
    "nasdaq": _arch("nasdaq", "NASDAQ"),
    "aapl": _bokeh("AAPL"),
    "ibm": _bokeh("IBM"),
    "msft": _bokeh("MSFT"),
    "goog": _bokeh("GOOG"),
    "msft_pmdarima": _pmdarima,
}
GENERATED: dict[str, Callable[[bool], list[SymbolBars]]] = {
    "synthetic": _synthetic(planted=False),
    "synthetic_planted": _synthetic(planted=True),
}
# Names that stand for several sources.
GROUPS = {"packaged": tuple(PACKAGED), "bokeh": ("aapl", "ibm", "msft", "goog")}


def names() -> list[str]:
    """Every name `load` accepts besides a file path."""
    return [*PACKAGED, *GENERATED, *GROUPS]


# --- user files ---------------------------------------------------------------------------

DELIMITERS = {";": "semicolon", "\t": "tab", "|": "pipe"}


def read_file(path: Path, repair: bool = False) -> list[SymbolBars]:
    """Read a CSV or Parquet file of bars; problems name the file, the line and the reason."""
    where = str(path)
    if not path.is_file():
        raise MarketDataError([Problem(where, "no such file")])
    info = SourceInfo(path.name, f"user file {path.name}", "as provided by the user")
    stem = re.sub(r"[^A-Za-z0-9]+", "_", path.stem).strip("_").upper() or "BARS"
    if path.suffix.lower() in (".parquet", ".pq"):
        try:
            raw = pd.read_parquet(path)
        except Exception as exc:  # pyarrow raises several types for a corrupt file
            reason = f"not a readable Parquet file ({exc})"
            raise MarketDataError([Problem(where, reason)]) from None
        return _finish(raw.reset_index(drop=raw.index.name is None), stem, info, where, repair,
                       row_label="row", first_row=1)
    try:
        raw = pd.read_csv(path, dtype=str, skip_blank_lines=False)
    except pd.errors.EmptyDataError:
        raise MarketDataError([Problem(where, "empty file")]) from None
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        reason = f"not a readable CSV file ({str(exc).strip()})"
        raise MarketDataError([Problem(where, reason)]) from None
    if raw.shape[1] == 1:
        header = str(raw.columns[0])
        for sep, word in DELIMITERS.items():
            if sep in header:
                reason = f"wrong delimiter: columns separated by {word} ({sep!r}), not commas"
                raise MarketDataError([Problem(where, reason, 1)])
    return _finish(raw, stem, info, where, repair)


def load(spec: str, repair: bool = False) -> list[SymbolBars]:
    """Bars for a packaged name (`sp500`, `packaged`, `synthetic` ...) or a file path."""
    key = spec.strip().lower()
    if key in GROUPS:
        return [bars for name in GROUPS[key] for bars in load(name, repair)]
    if key in PACKAGED:
        return PACKAGED[key](repair)
    if key in GENERATED:
        return GENERATED[key](repair)
    path = Path(spec)
    if path.suffix or path.exists():
        return read_file(path, repair)
    known = ", ".join(names())
    raise MarketDataError([Problem(spec, f"unknown source (packaged names: {known}; or a file)")])
