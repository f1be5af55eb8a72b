"""Windows: left padding at a symbol's start, never crossing symbols; HAR-style context."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from dlip.patterns.windows import CONTEXT_FEATURES, Prepared, gather_windows, window_starts


def test_windows_pad_instead_of_crossing_symbols() -> None:
    symbols = pd.DataFrame({"symbol": ["A"] * 3 + ["B"] * 4})
    starts = window_starts(symbols)
    assert list(starts) == [0, 0, 0, 3, 3, 3, 3]
    tokens = np.array([5, -1, 7, 8, 9, 10, 11])
    feats = np.arange(7, dtype=np.float32)[:, None]
    tok, f = gather_windows(tokens, feats, starts, np.array([2, 4]), length=3, pad=99)
    assert tok.tolist() == [[5, 99, 7], [99, 8, 9]]  # warm-up token -1 becomes the pad
    assert f[1, :, 0].tolist() == [0.0, 3.0, 4.0]


def test_har_features_are_log_ratios_to_the_training_median(small_dataset) -> None:
    prep = Prepared(small_dataset)
    t = small_dataset.table
    row = int(np.flatnonzero(t["symbol"].to_numpy() == "AAA")[400])
    lr = np.log(t["high"] / t["low"]).to_numpy()
    med = prep.medians["AAA"]
    j = CONTEXT_FEATURES.index("har5")
    assert prep.feats[row, j] == pytest.approx(np.log(lr[row - 4:row + 1].mean() / med), rel=1e-5)
    assert prep.feats[row, CONTEXT_FEATURES.index("har1")] == pytest.approx(
        np.log(lr[row] / med), rel=1e-5)


def test_rows_out_of_order_are_refused(small_dataset) -> None:
    class Shuffled:
        table = small_dataset.table.iloc[::-1].reset_index(drop=True)
        tokenizer = small_dataset.tokenizer
        meta = small_dataset.meta

    with pytest.raises(ValueError, match="time order"):
        Prepared(Shuffled())
