"""The reconstruction error of a built dataset, gathered from its table in pieces.

How far tokens turned back into candles land from the real bars: gathered while each
symbol is tokenized (any engine), merged, and finished with one light pass over the
written partitions, so a dataset larger than memory gets the same figures as a small
one. Medians are exact: the first pass counts values in fixed bins, the second keeps
only the bins that hold the middle.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import numpy as np

from dlip.market.tokenizer import CandleTokenizer

PARTS = ("gap", "body", "upper", "lower")
PRICES = ("close", "high", "low")
EDGES = np.concatenate([[-np.inf], np.logspace(-9, 6, 4096), [np.inf]])
COLUMNS = ["symbol", "position", "token", *PRICES, "scale"]  # what the second pass reads


def _errors(tokenizer: CandleTokenizer, piece, prev_close: np.ndarray
            ) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Absolute feature errors (scale units) and price errors (percent) of one piece."""
    tokens = np.asarray(piece["token"])
    ok = (tokens >= 0) & np.isfinite(prev_close)
    approx = tokenizer.inverse(tokens[ok])
    feats = {}
    for name in (PARTS if "gap" in piece else ()):
        real = np.asarray(piece[name])[ok]
        keep = np.isfinite(real)
        feats[name] = np.abs(approx[name][keep] - real[keep])
    rebuilt = tokenizer.candles(tokens[ok], prev_close[ok], np.asarray(piece["scale"])[ok])
    prices = {name: np.abs(rebuilt[name] / np.asarray(piece[name])[ok] - 1.0) * 100
              for name in PRICES}
    return feats, prices


class Reconstruction:
    """How far tokens turned back into candles land, gathered piece by piece.

    Means add up; each median's order statistics are found in `EDGES` bins first, then
    `finish` keeps only the values of the bins that hold them (a second pass).
    """

    def __init__(self) -> None:
        self.sums = dict.fromkeys(PARTS, 0.0)
        self.counts = dict.fromkeys(PARTS, 0)
        self.hist = {name: np.zeros(len(EDGES) - 1, dtype=np.int64) for name in PRICES}
        self._last: dict[str, float] = {}

    def prev_close(self, symbol: str, close: np.ndarray, position: np.ndarray) -> np.ndarray:
        prev = np.empty(len(close))
        prev[1:] = close[:-1]
        prev[0] = self._last.get(symbol, np.nan)
        prev[position == 0] = np.nan
        self._last[symbol] = float(close[-1])
        return prev

    def add(self, tokenizer: CandleTokenizer, piece) -> None:
        prev = self.prev_close(str(piece["symbol"][0]), np.asarray(piece["close"]),
                               np.asarray(piece["position"]))
        feats, prices = _errors(tokenizer, piece, prev)
        for name in PARTS:
            self.sums[name] += float(feats[name].sum())
            self.counts[name] += len(feats[name])
        for name in PRICES:
            self.hist[name] += np.histogram(prices[name], EDGES)[0]

    def merge(self, other: Reconstruction) -> None:
        for name in PARTS:
            self.sums[name] += other.sums[name]
            self.counts[name] += other.counts[name]
        for name in PRICES:
            self.hist[name] += other.hist[name]

    def finish(self, tokenizer: CandleTokenizer, pieces: Callable[[], Iterator]
               ) -> dict[str, float]:
        """The errors; `pieces()` yields the table's row batches again for the medians."""
        total = int(self.hist["close"].sum())
        if not total:
            return {}
        ranks = ((total - 1) // 2, total // 2)
        want = {name: [int(np.searchsorted(np.cumsum(self.hist[name]), r, side="right"))
                       for r in ranks] for name in PRICES}
        kept: dict[str, list[np.ndarray]] = {name: [] for name in PRICES}
        again = Reconstruction()
        for piece in pieces():
            prev = again.prev_close(str(piece["symbol"][0]), np.asarray(piece["close"]),
                                    np.asarray(piece["position"]))
            _, prices = _errors(tokenizer, piece, prev)
            for name in PRICES:
                lo, hi = EDGES[want[name][0]], EDGES[want[name][1] + 1]
                v = prices[name]
                kept[name].append(v[(v >= lo) & (v < hi)])
        out = {f"{name}_mae_scale_units": self.sums[name] / self.counts[name]
               if self.counts[name] else float("nan") for name in PARTS}
        for name in PRICES:
            below = int(np.cumsum(self.hist[name])[want[name][0] - 1]) if want[name][0] else 0
            values = np.sort(np.concatenate(kept[name]))
            middle = values[[ranks[0] - below, ranks[1] - below]]
            out[f"{name}_median_abs_error_pct"] = float(np.mean(middle))
        return out
