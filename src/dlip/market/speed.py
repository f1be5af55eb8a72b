"""How fast bars become tokens; shared by the benchmark and the milestone's metrics."""

from __future__ import annotations

import time

import numpy as np

from dlip.market.features import candle_features
from dlip.market.synthetic import SyntheticMarket
from dlip.market.tokenizer import CandleTokenizer


def tokenize_throughput(n_bars: int = 1_000_000, repeats: int = 3, seed: int = 11) -> dict:
    """Bars per second for features + tokens on one long synthetic series (best of repeats).

    The tokenizer is fitted once beforehand (fitting is part of building, not of
    tokenizing); run with one thread for a one-core figure.
    """
    bars = SyntheticMarket(n_bars=n_bars, seed=seed).arrays()
    ohlc = [bars[k] for k in ("open", "high", "low", "close")]
    feats = candle_features(*ohlc)
    tokenizer = CandleTokenizer.fit(feats, feats["valid"])
    best = np.inf
    for _ in range(repeats):
        start = time.perf_counter()
        tokens = tokenizer.encode(candle_features(*ohlc))
        best = min(best, time.perf_counter() - start)
    return {"bars": n_bars, "seconds": best, "bars_per_second": n_bars / best,
            "tokens_checksum": int(tokens.astype(np.int64).sum())}
