"""Build the candlestick datasets: every packaged real source, and the planted market.

Writes into the results folder: the dataset cards (Markdown and JSON), the tokenizer and
its vocabulary in words, three figures, and metrics. The Parquet tables themselves are
rebuilt in a temporary folder (they are deterministic: the content hash is the proof).

    python build_datasets.py
"""

from __future__ import annotations

import shutil
import tempfile
import time
from pathlib import Path

from results_io import results_dir, update_metrics

from dlip.figures import use_house_style
from dlip.market import plots
from dlip.market.dataset import build

REAL = ["packaged"]
SYNTHETIC = ["synthetic_planted"]
CHART = ("SP500", "2008-09-01", "2008-11-30")  # the autumn of 2008, in tokens


def main() -> None:
    out = results_dir()
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        real = build(REAL, Path(tmp) / "real")
        build_seconds = time.perf_counter() - start
        synth = build(SYNTHETIC, Path(tmp) / "synthetic")
        for name in ("card.md", "card.json", "tokenizer.json", "vocabulary.json"):
            shutil.copy(Path(tmp) / "real" / name, out / f"real_{name}")
            shutil.copy(Path(tmp) / "synthetic" / name, out / f"synthetic_{name}")

    t = real.table
    symbol, first, last = CHART
    window = t[(t["symbol"] == symbol) & (t["timestamp"] >= first) & (t["timestamp"] <= last)]
    use_house_style()  # before plotting: what the plots leave unset follows the house
    plots.vocabulary_gallery(real.tokenizer, out / "vocabulary.png")
    plots.chart_with_tokens(window, out / "sp500_2008_tokens.png",
                            title=f"{symbol}, {first} to {last}: each bar's token below it")
    plots.token_frequencies(t, out / "token_frequencies.png")

    masked = {f"{s.lower()}_gap_masked_bars": int((g["gap_masked"] & g["valid"]).sum())
              for s, g in t.groupby("symbol", sort=False)}
    recon = real.meta["reconstruction_error"]
    update_metrics({
        "bars_total": len(t),
        "symbols": len(real.symbols),
        "vocab_size": real.tokenizer.vocab_size,
        "tokenizer_version": real.tokenizer.version,
        "dataset_content_hash": real.meta["content_hash"][:16],
        "synthetic_bars": len(synth.table),
        "synthetic_content_hash": synth.meta["content_hash"][:16],
        "build_seconds_all_packaged": round(build_seconds, 2),
        "reconstruction_close_median_abs_error_pct": round(recon["close_median_abs_error_pct"], 4),
        "reconstruction_body_mae_scale_units": round(recon["body_mae_scale_units"], 4),
        **masked,
    })
    print(f"real dataset: {len(t):,} bars, {len(real.symbols)} symbols "
          f"({', '.join(real.symbols)}), built in {build_seconds:.2f} s, "
          f"hash {real.meta['content_hash'][:16]}")
    print(f"synthetic planted market: {len(synth.table):,} bars, "
          f"hash {synth.meta['content_hash'][:16]}")
    for key, value in masked.items():
        if value:
            print(f"{key}: {value:,}")
    print()
    print((out / "real_card.md").read_text())


if __name__ == "__main__":
    main()
