"""What a built dataset says about itself, gathered from its table in pieces.

The card's facts (`card.CardStats`) and the reconstruction error (how far tokens turned
back into candles land from the real bars) are both read from row batches, so a dataset
larger than memory gets the same card as a small one. Medians are exact: a first pass
counts values in fixed bins, a second keeps only the bin that holds the middle.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import numpy as np
import pandas as pd

from dlip.market.card import CardStats
from dlip.market.tokenizer import CandleTokenizer

PARTS = ("gap", "body", "upper", "lower")
PRICES = ("close", "high", "low")
EDGES = np.concatenate([[-np.inf], np.logspace(-9, 6, 4096), [np.inf]])
COLUMNS = ["symbol", "timestamp", "position", "open", "high", "low", "close", "scale",
           *PARTS, "gap_masked", "valid", "token", "split", "target_in_split",
           "next_direction", "next_range_bucket"]


def _errors(tokenizer: CandleTokenizer, piece: pd.DataFrame, prev_close: np.ndarray
            ) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Absolute feature errors (scale units) and price errors (percent) of one piece."""
    tokens = piece["token"].to_numpy()
    ok = (tokens >= 0) & np.isfinite(prev_close)
    approx = tokenizer.inverse(tokens[ok])
    feats = {}
    for name in PARTS:
        real = piece[name].to_numpy()[ok]
        keep = np.isfinite(real)
        feats[name] = np.abs(approx[name][keep] - real[keep])
    rebuilt = tokenizer.candles(tokens[ok], prev_close[ok], piece["scale"].to_numpy()[ok])
    prices = {name: np.abs(rebuilt[name] / piece[name].to_numpy()[ok] - 1.0) * 100
              for name in PRICES}
    return feats, prices


def _prev_close(pieces: Callable[[], Iterator[pd.DataFrame]]
                ) -> Iterator[tuple[pd.DataFrame, np.ndarray]]:
    last: dict[str, float] = {}
    for piece in pieces():
        close = piece["close"].to_numpy()
        prev = np.empty(len(piece))
        prev[1:] = close[:-1]
        sym = str(piece["symbol"].iloc[0])
        prev[0] = last.get(sym, np.nan)
        prev[piece["position"].to_numpy() == 0] = np.nan
        last[sym] = float(close[-1])
        yield piece, prev


def summarize(pieces: Callable[[], Iterator[pd.DataFrame]], tokenizer: CandleTokenizer,
              warmup: int) -> tuple[CardStats, dict[str, float]]:
    """Card facts and reconstruction error; `pieces()` yields row batches in table order."""
    stats = CardStats(warmup)
    sums = dict.fromkeys(PARTS, 0.0)
    counts = dict.fromkeys(PARTS, 0)
    hist = {name: np.zeros(len(EDGES) - 1, dtype=np.int64) for name in PRICES}
    for piece, prev in _prev_close(pieces):
        stats.add(piece)
        feats, prices = _errors(tokenizer, piece, prev)
        for name in PARTS:
            sums[name] += float(feats[name].sum())
            counts[name] += len(feats[name])
        for name in PRICES:
            hist[name] += np.histogram(prices[name], EDGES)[0]
    total = sum(hist["close"])
    if not total:
        return stats, {}
    # The median's order statistics and the bins that hold them.
    ranks = ((total - 1) // 2, total // 2)
    want = {name: [int(np.searchsorted(np.cumsum(hist[name]), r, side="right")) for r in ranks]
            for name in PRICES}
    kept: dict[str, list[np.ndarray]] = {name: [] for name in PRICES}
    for piece, prev in _prev_close(pieces):
        _, prices = _errors(tokenizer, piece, prev)
        for name in PRICES:
            lo, hi = EDGES[want[name][0]], EDGES[want[name][1] + 1]
            v = prices[name]
            kept[name].append(v[(v >= lo) & (v < hi)])
    out = {f"{name}_mae_scale_units": sums[name] / counts[name] if counts[name] else float("nan")
           for name in PARTS}
    for name in PRICES:
        below = int(np.cumsum(hist[name])[want[name][0] - 1]) if want[name][0] else 0
        values = np.sort(np.concatenate(kept[name]))
        middle = values[[ranks[0] - below, ranks[1] - below]]
        out[f"{name}_median_abs_error_pct"] = float(np.mean(middle))
    return stats, out
