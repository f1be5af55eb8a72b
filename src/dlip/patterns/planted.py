"""A market with a planted multi-bar motif, so the search and its probabilities can be checked.

The bars of `dlip.market.synthetic.SyntheticMarket` (GARCH-t with regimes) get, at random
places, a three-bar motif drawn in units of the local volatility: a strong falling bar, a
bar with a long lower wick that closes a little lower, and a strong rising bar. The bar
after the motif closes up with probability `planted_p` (it is mirrored around the previous
close when its direction has to change, which keeps its size). Everything else is the
synthetic market as it was, so nothing but the motif carries information about the next
close.

What is measured on it:

- p recovered: the mean predicted P(up) over test-split motif ends, against `planted_p`
- recall@k: for a query at a motif end, the share of its k nearest analogs that are motif
  ends too (each of the many earlier occurrences counts as a right answer; the motif
  appears far more than k times before any test query)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from dlip.market.synthetic import START, SYNTHETIC_INFO, SyntheticMarket

SYMBOL = "SYNTH_MOTIF"
# (open, high, low, close) of each motif bar, relative to the previous close, in units of
# the local volatility (standard deviation of the last VOL_BARS close-to-close returns)
MOTIF = np.array([
    [0.0, 0.2, -1.8, -1.6],  # strong falling bar
    [-0.3, 0.0, -2.6, -0.6],  # long lower wick, closes a little lower
    [0.2, 1.8, 0.1, 1.6],  # strong rising bar
])
VOL_BARS = 20
JITTER = 0.1  # relative noise on each motif number, so no two occurrences are identical


@dataclass(frozen=True)
class MotifMarket:
    n_bars: int = 20_000
    seed: int = 11
    planted_p: float = 0.7
    mean_gap: int = 40  # mean bars between motif occurrences
    min_gap: int = 30  # no two occurrences (with their next bar) closer than this

    def describe(self) -> str:
        return (f"synthetic market with a planted motif: {self.n_bars} bars, seed {self.seed}; "
                f"after a {len(MOTIF)}-bar motif (strong fall, long lower wick, strong rise) the "
                f"next bar closes up with p = {self.planted_p:g}")

    def build(self) -> tuple[pd.DataFrame, np.ndarray]:
        """The bars (timestamp, open, high, low, close, volume) and the row of every motif's
        last bar (the bar whose next close carries the planted probability)."""
        base = SyntheticMarket(n_bars=self.n_bars, seed=self.seed).arrays()
        rng = np.random.default_rng(self.seed + 1)
        logp = np.log(np.column_stack([base[k] for k in ("open", "high", "low", "close")]))
        prev = np.concatenate([[np.log(100.0)], logp[:-1, 3]])
        rel = logp - prev[:, None]
        m = len(MOTIF)
        starts = []
        t = VOL_BARS + 60  # leave room for the 004 feature warm-up
        while True:
            t += self.min_gap + int(rng.geometric(1.0 / max(self.mean_gap - self.min_gap, 1)))
            if t + m + 1 >= self.n_bars:
                break
            starts.append(t)
        draws = rng.random(len(starts))
        for s, u in zip(starts, draws, strict=True):
            vol = np.std(rel[s - VOL_BARS:s, 3]) or 1e-3
            shape = MOTIF * (1.0 + JITTER * rng.standard_normal(MOTIF.shape))
            o, h, lo, c = (shape * vol).T
            rel[s:s + m] = np.column_stack([o, np.maximum.reduce([h, o, c]),
                                            np.minimum.reduce([lo, o, c]), c])
            nxt = s + m
            if (u < self.planted_p) != (rel[nxt, 3] > 0):
                o, h, lo, c = rel[nxt]
                rel[nxt] = (-o, -lo, -h, -c)
        closes = np.log(100.0) + np.cumsum(rel[:, 3])
        prev = np.concatenate([[np.log(100.0)], closes[:-1]])
        prices = np.exp(rel + prev[:, None])
        bars = pd.DataFrame(prices, columns=["open", "high", "low", "close"])
        bars["volume"] = base["volume"]
        bars.insert(0, "timestamp", pd.date_range(START, periods=self.n_bars, freq="D"))
        ends = np.asarray(starts, dtype=np.int64) + m - 1
        return bars, ends

    def dataset(self, settings=None):
        """The 004 dataset of this market (features, tokens, splits) and the motif-end rows."""
        from dlip.market.dataset import BuildSettings, assemble
        from dlip.market.sources import SymbolBars

        bars, ends = self.build()
        part = SymbolBars(SYMBOL, bars, SYNTHETIC_INFO, notes=[self.describe()])
        return assemble([part], settings or BuildSettings()), ends


def recall_at_k(neighbours: np.ndarray, truth_rows: np.ndarray, k: int = 10) -> float:
    """Mean share of each query's first k neighbours (table rows, -1 = none) that are true
    motif ends."""
    nb = np.asarray(neighbours)[:, :k]
    hit = np.isin(nb, truth_rows) & (nb >= 0)
    return float(hit.mean()) if hit.size else float("nan")


def recovered_p(frame: pd.DataFrame, table: pd.DataFrame, end_rows: np.ndarray) -> dict:
    """Mean predicted P(up) over the motif ends a prediction frame covers, and how many."""
    ends = table.iloc[end_rows][["symbol", "timestamp"]].astype({"symbol": str})
    f = frame.astype({"symbol": str})
    joined = f.merge(ends, on=["symbol", "timestamp"], how="inner")
    return {"p": float(joined["p_up"].mean()) if len(joined) else float("nan"),
            "n": len(joined)}


def observed_p(targets: pd.DataFrame, end_rows: np.ndarray) -> float:
    """The share of motif ends whose next bar actually closed up (sampling noise included)."""
    up = targets["next_up"].to_numpy()[end_rows]
    up = up[up >= 0]
    return float(up.mean()) if len(up) else float("nan")


def candle_windows(table: pd.DataFrame, length: int) -> tuple[np.ndarray, np.ndarray]:
    """The raw candle features (gap, body, upper, lower; in volatility units) of the last
    `length` bars of every row, flattened, and whether the row has a full window. A
    reference search needing no model: what a raw-window analog search can find."""
    cols = ["gap", "body", "upper", "lower"]
    x = np.nan_to_num(table[cols].to_numpy(float))
    n = len(x)
    out = np.zeros((n, length * len(cols)))
    ok = np.zeros(n, dtype=bool)
    sym = table["symbol"].to_numpy()
    for s in dict.fromkeys(sym):
        idx = np.flatnonzero(sym == s)
        if len(idx) < length:
            continue
        w = np.lib.stride_tricks.sliding_window_view(x[idx], length, axis=0)  # (n, 4, L)
        out[idx[length - 1:]] = w.transpose(0, 2, 1).reshape(len(w), -1)
        ok[idx[length - 1:]] = True
    return out, ok
