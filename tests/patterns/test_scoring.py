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
    fair = pd.DataFrame({"bench": b, "noisy": b + noise})
    assert sc.spa_pvalues(fair, "bench", reps=300)["consistent"] > 0.05
    d = sc.bootstrap_difference(a, b, reps=300)
    assert sc.edge_verdict(d, p["consistent"]) == "yes"
    assert sc.edge_verdict(d, 0.2) == "no"  # the multiple-comparison test must agree
    worse = sc.bootstrap_difference(b, a, reps=300)
    assert sc.edge_verdict(worse, 0.0) == "no"


def test_model_confidence_set_drops_a_clearly_worse_model():
    a, b = _panel(-0.02)
    p = sc.model_confidence_set(pd.DataFrame({"good": a, "bad": b}), reps=300)
    assert p["good"] > 0.1 > p["bad"]
