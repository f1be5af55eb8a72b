"""Baselines: causal (bars after t never move the prediction for t), walk-forward, and sane."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from dlip.market.splits import SplitSettings, assign, cut_dates
from dlip.market.synthetic import SyntheticMarket
from dlip.patterns import baselines as bl
from dlip.patterns.targets import PROB_COLUMNS, check_predictions

EMBARGO = 5
SMALL_KNN = {"ks": (5, 20), "weights": (0.0, 1.0)}


def _table(n: int = 900) -> pd.DataFrame:
    parts = []
    for seed, symbol in ((3, "AAA"), (4, "BBB")):
        bars = pd.DataFrame(SyntheticMarket(n_bars=n, seed=seed).arrays())
        bars.insert(0, "timestamp", pd.bdate_range("2001-01-01", periods=n))
        bars.insert(0, "symbol", symbol)
        parts.append(bars)
    table = pd.concat(parts, ignore_index=True)
    cuts = cut_dates(table["timestamp"], SplitSettings(embargo=EMBARGO))
    table["split"] = assign(table["timestamp"], cuts)
    return table


def _run(table: pd.DataFrame) -> dict[str, pd.DataFrame]:
    m = bl.Market.from_table(table, EMBARGO)
    frames, _ = bl.all_baselines(m, ("val", "test"), **SMALL_KNN)
    return {name: pd.concat(list(by_split.values()), ignore_index=True)
            for name, by_split in frames.items()}


@pytest.fixture(scope="module")
def original():
    table = _table()
    return table, _run(table)


def test_every_baseline_keeps_the_contract(original):
    table, frames = original
    assert set(frames) == set(bl.MODELS)
    n_pred = int(table["split"].isin(["val", "test"]).sum())
    for name, f in frames.items():
        check_predictions(f)  # latest_analog strictly before timestamp, probabilities valid
        assert len(f) == n_pred, name


def test_bars_after_t_do_not_move_predictions_at_t(original):
    table, frames = original
    test_ts = table.loc[table["split"] == "test", "timestamp"].sort_values().unique()
    t0 = test_ts[len(test_ts) // 2]
    changed = table.copy()
    later = changed["timestamp"] > t0
    rng = np.random.default_rng(0)
    factor = np.exp(rng.normal(0, 0.05, later.sum()))
    for col in ("open", "high", "low", "close"):
        changed.loc[later, col] *= factor
    changed.loc[later, "high"] *= 1.03  # a wilder future: ranges change too
    after = _run(changed)
    for name in bl.MODELS:
        a = frames[name][frames[name]["timestamp"] <= t0]
        b = after[name][after[name]["timestamp"] <= t0]
        cols = list(PROB_COLUMNS)
        np.testing.assert_allclose(a[cols].to_numpy(), b[cols].to_numpy(), rtol=0, atol=1e-9,
                                   err_msg=name)
        later_a = frames[name][frames[name]["timestamp"] > t0 + pd.Timedelta(days=30)]
        later_b = after[name][after[name]["timestamp"] > t0 + pd.Timedelta(days=30)]
        if name in ("har", "garch", "knn_raw"):  # the check can fail: these do read the bars
            assert not np.allclose(later_a[list(PROB_COLUMNS)].to_numpy(),
                                   later_b[list(PROB_COLUMNS)].to_numpy()), name


def test_unconditional_is_the_training_share(original):
    table, frames = original
    m = bl.Market.from_table(table, EMBARGO)
    rows = m.fit_rows & (table["symbol"] == "AAA").to_numpy()
    up = (m.targets["next_up"].to_numpy()[rows] == 1).sum()
    expected = (up + 1) / (rows.sum() + 2)
    got = frames["unconditional"].query("symbol == 'AAA'")["p_up"].unique()
    assert got == pytest.approx([expected])


def test_knn_analogs_respect_the_embargo():
    table = _table(400)
    m = bl.Market.from_table(table, EMBARGO)
    shape, level, ok = bl.knn_features(m)
    pool = np.flatnonzero(ok & (m.targets["next_up"].to_numpy() >= 0))
    q = m.rows("test")
    q = q[ok[q]]
    nb = bl._neighbours(m, q, pool, np.column_stack([shape, level]), 30)
    for i, row in enumerate(q):
        used = nb[i][nb[i] >= 0]
        assert (m.outcome_cal[used] < m.cal[row] - EMBARGO).all()


def test_har_beats_unconditional_on_volatility_clusters(original):
    """A GARCH market has predictable ranges: HAR must find that (else it is broken)."""
    from dlip.patterns.scoring import score_frame

    table, frames = original
    m = bl.Market.from_table(table, EMBARGO)
    har = score_frame(frames["har"], m.table, m.targets)["range_logloss"]
    unc = score_frame(frames["unconditional"], m.table, m.targets)["range_logloss"]
    assert har < unc - 0.02


def test_base_rate_counts_every_outcome_known_when_the_split_begins(original):
    table, frames = original
    m = bl.Market.from_table(table, EMBARGO)
    test_start = m.cal[m.rows("test")].min()
    known = (m.outcome_cal < test_start - EMBARGO) & (table["symbol"] == "BBB").to_numpy()
    known &= m.targets["next_up"].to_numpy() >= 0
    assert (table["split"].to_numpy()[known] == "val").any()  # validation outcomes count too
    up = (m.targets["next_up"].to_numpy()[known] == 1).sum()
    got = bl.base_rate(m, "test").query("symbol == 'BBB'")["p_up"].unique()
    assert got == pytest.approx([(up + 1) / (known.sum() + 2)])
