"""The shared targets: definitions on a hand-made table, edges fitted on training rows only."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from dlip.patterns import targets as T


def _table() -> pd.DataFrame:
    ts = pd.date_range("2020-01-01", periods=6, freq="D")
    rows = []
    for sym, closes in (("A", [10, 11, 10.5, 10.5, 12, 13]), ("B", [5, 4, 4.5, 5, 5, 6])):
        for i, c in enumerate(closes):
            rows.append({"symbol": sym, "timestamp": ts[i], "open": c, "close": c,
                         "high": c * (1.01 + 0.01 * i), "low": c * 0.99,
                         "split": "train" if i < 4 else "test"})
    return pd.DataFrame(rows)


def test_targets_follow_the_definitions() -> None:
    t = _table()
    tg = T.compute_targets(t)
    a = tg[t["symbol"] == "A"]
    assert list(a["next_up"]) == [1, 0, 0, 1, 1, -1]  # equal close is not up; no next bar
    assert a["next_return"].iloc[0] == pytest.approx(np.log(11 / 10))
    assert a["next_log_range"].iloc[1] == pytest.approx(np.log(1.03 / 0.99))
    assert np.isnan(a["next_return"].iloc[-1]) and a["range_class"].iloc[-1] == -1
    # the last bar of A must not borrow B's first bar
    assert tg["next_up"].iloc[5] == -1


def test_edges_use_training_rows_of_the_symbol_only() -> None:
    t = _table()
    e1 = T.range_edges(t)
    t2 = t.copy()
    test = t2["split"] == "test"
    t2.loc[test, "high"] *= 3  # wild bars after training move no edge
    assert T.range_edges(t2) == e1
    lr = np.log(t["high"] / t["low"])[(t["symbol"] == "A") & (t["split"] == "train")]
    assert e1["A"] == pytest.approx(tuple(np.quantile(lr, (1 / 3, 2 / 3))))


def test_usable_mask_respects_embargo() -> None:
    t = _table()
    out = T.outcome_calendar_index(t)
    ok = T.usable_mask(out, query_cal=5, embargo=2)
    # outcome bar must be strictly before 5 - 2 = 3: bars 0 and 1 of each symbol
    assert list(np.flatnonzero(ok)) == [0, 1, 6, 7]


def test_check_predictions_rejects_a_late_analog() -> None:
    f = pd.DataFrame({"symbol": ["A"], "timestamp": [pd.Timestamp("2020-01-02")],
                      "p_up": [0.5], "p_range_low": [0.2], "p_range_mid": [0.3],
                      "p_range_high": [0.5], "latest_analog": [pd.Timestamp("2020-01-02")]})
    with pytest.raises(ValueError, match="latest_analog"):
        T.check_predictions(f)
    f["latest_analog"] = pd.Timestamp("2020-01-01")
    T.check_predictions(f)
