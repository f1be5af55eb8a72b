"""Scoring against hand-computed values; the bootstrap interval covers a known difference."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from dlip.patterns import scoring as sc


def test_log_losses_by_hand():
    expected = [-math.log(0.8), -math.log(0.2)]
    assert sc.direction_losses([0.8, 0.8], [1, 0]) == pytest.approx(expected)
    p = np.array([[0.2, 0.5, 0.3], [0.6, 0.3, 0.1]])
    assert sc.range_losses(p, [2, 0]) == pytest.approx([-math.log(0.3), -math.log(0.6)])


def test_ece_and_reliability_by_hand():
    p = np.array([0.1, 0.1, 0.9, 0.9])
    y = np.array([0, 1, 1, 1])
    # bin of 0.1: mean p 0.1, observed 0.5; bin of 0.9: mean p 0.9, observed 1.0
    assert sc.ece(p, y) == pytest.approx(0.5 * 0.4 + 0.5 * 0.1)
    r = sc.reliability(p, y)
    assert len(r) == sc.ECE_BINS and r["count"].sum() == 4
    assert r.loc[1, "observed"] == pytest.approx(0.5)
    assert r.loc[13, "mean_p"] == pytest.approx(0.9)
    assert sc.ece(np.full(1000, 0.3), np.r_[np.ones(300), np.zeros(700)]) == pytest.approx(0.0)
    assert sc.ece(np.array([1.0]), np.array([1])) == pytest.approx(0.0)  # p = 1 in the last bin


def _panel(diff_mean: float, n_dates: int = 1500, seed: int = 0):
    rng = np.random.default_rng(seed)
    dates = pd.bdate_range("2000-01-03", periods=n_dates)
    idx = pd.MultiIndex.from_product([["A", "B"], dates], names=["symbol", "timestamp"])
    base = rng.gamma(2.0, 0.35, len(idx))
    # serially dependent differences: an AR(1) per symbol around diff_mean
    e = np.zeros(len(idx))
    shocks = rng.normal(0, 0.05, len(idx))
    for i in range(1, len(idx)):
        e[i] = 0.6 * e[i - 1] + shocks[i]
    a = pd.Series(base + diff_mean + e, index=idx)
    b = pd.Series(base, index=idx)
    return a, b


def test_bootstrap_interval_covers_the_true_difference():
    a, b = _panel(-0.01)
    d = sc.bootstrap_difference(a, b, reps=500, seed=1)
    assert d.lo < -0.01 < d.hi
    assert d.excludes_zero and d.hi < 0
    a0, b0 = _panel(0.0, seed=3)
    d0 = sc.bootstrap_difference(a0, b0, reps=500, seed=1)
    assert d0.lo < 0 < d0.hi and not d0.excludes_zero


def test_spa_and_the_edge_rule():
    a, b = _panel(-0.01)
    noise = pd.Series(np.random.default_rng(5).normal(0, 0.01, len(b)), index=b.index)
    losses = pd.DataFrame({"bench": b, "better": a, "same": b.copy(), "noisy": b + noise})
    p = sc.spa_pvalues(losses, "bench", reps=300)
    assert p["consistent"] < 0.05 and "same" not in p["models"]
    assert p["superior"] == ["better"]
    fair = pd.DataFrame({"bench": b, "noisy": b + noise})
    assert sc.spa_pvalues(fair, "bench", reps=300)["consistent"] > 0.05
    d = sc.bootstrap_difference(a, b, reps=300)
    assert sc.edge_verdict(d, p, "better") == "yes"
    # the multiple-comparison test must agree, about this very model
    assert sc.edge_verdict(d, {**p, "consistent": 0.2}, "better") == "no"
    assert sc.edge_verdict(d, p, "noisy") == "no"
    worse = sc.bootstrap_difference(b, a, reps=300)
    assert sc.edge_verdict(worse, p, "better") == "no"


def test_model_confidence_set_drops_a_clearly_worse_model():
    a, b = _panel(-0.02)
    p = sc.model_confidence_set(pd.DataFrame({"good": a, "bad": b}), reps=300)
    assert p["good"] > 0.1 > p["bad"]


def test_compare_gives_the_edge_only_to_a_model_that_has_one():
    from dlip.market.synthetic import SyntheticMarket
    from dlip.patterns.report import compare
    from dlip.patterns.targets import compute_targets

    n = 1200
    bars = pd.DataFrame(SyntheticMarket(n_bars=n, seed=9).arrays())
    bars.insert(0, "timestamp", pd.bdate_range("2001-01-01", periods=n))
    bars.insert(0, "symbol", "AAA")
    bars["split"] = np.where(np.arange(n) < 600, "train", "test")
    targets = compute_targets(bars)
    rows = np.arange(600, n)
    y = targets["next_up"].to_numpy()[rows]
    cls = targets["range_class"].to_numpy()[rows]

    def frame(p_up, p_rng):
        return pd.DataFrame({"symbol": "AAA", "timestamp": bars["timestamp"].iloc[rows].to_numpy(),
                             "p_up": p_up, "p_range_low": p_rng[:, 0], "p_range_mid": p_rng[:, 1],
                             "p_range_high": p_rng[:, 2],
                             "latest_analog": bars["timestamp"].iloc[599]})

    flat = np.full((len(rows), 3), 1 / 3)
    seer = np.where(np.eye(3)[np.clip(cls, 0, 2)] == 1, 0.5, 0.25)
    frames = {"coin": frame(0.5, flat), "base_rate": frame(0.5, flat),
              "har": frame(0.5, seer), "lucky": frame(np.where(y == 1, 0.6, 0.4), flat),
              "model": frame(0.5, seer)}
    c = compare(frames, bars, targets, reps=200)
    assert c.verdicts["direction"] == "no"  # the model has no direction edge; "lucky" has
    assert "lucky" in c.spa_direction["superior"]
    assert c.direction_diffs[("lucky", "base_rate")].hi < 0
    assert "| fine-tuned model |" in c.range_table()
