"""Candle features + tokens: bars per second on one core, and the dataset build time.

Goals from the issue: at least 1,000,000 bars/s, and every packaged source built into a
dataset in under 30 s. A per-bar Python loop computing the same features is the
reference in the same process, so the printed speed-up does not depend on the machine.
Run: python benchmarks/market_tokenize.py            (--quick: 100,000 bars, seconds)
"""

from __future__ import annotations

import os

for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(var, "1")  # one core, before numpy loads

import argparse  # noqa: E402
import math  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

from dlip.market.dataset import build  # noqa: E402
from dlip.market.features import FeatureSettings, candle_features  # noqa: E402
from dlip.market.speed import tokenize_throughput  # noqa: E402
from dlip.market.synthetic import SyntheticMarket  # noqa: E402


def reference_features(o, h, lo, c) -> np.ndarray:
    """The body feature with a plain per-bar loop: the obvious way, for comparison."""
    s = FeatureSettings()
    a = 2.0 / (s.span + 1.0)
    var = math.log(h[0] / lo[0]) ** 2 / (4 * math.log(2))
    out = np.empty(len(c))
    for t in range(len(c)):
        scale = math.sqrt(max(var, s.scale_floor**2))
        out[t] = math.log(c[t] / o[t]) / scale
        r2 = math.log(c[t] / c[t - 1]) ** 2 if t else var
        var = a * r2 + (1 - a) * var
    return out


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description="candle features + tokens per second")
    p.add_argument("--quick", action="store_true", help="small sizes: runs in seconds")
    quick = p.parse_args(argv).quick
    fast = tokenize_throughput(100_000 if quick else 1_000_000)
    n_ref = 5_000 if quick else 50_000
    bars = SyntheticMarket(n_bars=n_ref, seed=3).arrays()
    ohlc = [bars[k] for k in ("open", "high", "low", "close")]
    start = time.perf_counter()
    ref = reference_features(*ohlc)
    ref_rate = n_ref / (time.perf_counter() - start)
    assert np.allclose(ref, candle_features(*ohlc)["body"], rtol=1e-9)
    print(f"features + tokens: {fast['bars_per_second']:,.0f} bars/s on one core "
          f"({fast['bars']:,} bars in {fast['seconds']:.3f} s); goal 1,000,000: "
          f"{fast['bars_per_second'] / 1e6:.2f}x the goal")
    print(f"per-bar Python loop (one feature only): {ref_rate:,.0f} bars/s; vectorized is "
          f"{fast['bars_per_second'] / ref_rate:.0f}x faster")
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        ds = build(["synthetic" if quick else "packaged"], Path(tmp) / "ds")
        seconds = time.perf_counter() - start
    print(f"dataset from {'the synthetic market' if quick else 'every packaged source'}: "
          f"{len(ds.table):,} bars, "
          f"{len(ds.symbols)} symbols in {seconds:.2f} s; goal 30 s: "
          f"{30 / seconds:.1f}x headroom")


if __name__ == "__main__":
    main()
