"""Baselines: proper scores, backoff, and recovery of a planted pattern."""

from __future__ import annotations

import numpy as np
import pytest

from dlip.market.baselines import brier, evaluate, log_loss, ngram_probs, planted_recovery
from dlip.market.dataset import assemble

PLANTED_P = 0.7


@pytest.fixture(scope="module")
def planted():
    from dlip.market.sources import SymbolBars
    from dlip.market.synthetic import SYNTHETIC_INFO, SyntheticMarket

    bars = SyntheticMarket(n_bars=80_000, seed=21, planted_p=PLANTED_P).bars()
    return assemble([SymbolBars("PLANT", bars, SYNTHETIC_INFO)])


def test_n_gram_recovers_the_planted_probability(planted) -> None:
    found = planted_recovery(planted, "PLANT")
    assert found["trigger_bars_test"] > 500
    assert abs(found["predicted_p_up_after_trigger"] - PLANTED_P) <= 0.03
    assert abs(found["predicted_p_down_after_mirror"] - PLANTED_P) <= 0.03


def test_n_gram_beats_the_base_rate_only_where_there_is_a_signal(planted, small_dataset) -> None:
    scores = evaluate(planted).scores
    test = scores[(scores.step == "test") & (scores.symbol == "PLANT")
                  & (scores.target == "direction")].set_index("model")["logloss"]
    assert test["best n-gram"] < test["base rate"] - 0.003
    # Without a planted pattern, direction tokens carry nothing: no n-gram gain to speak of.
    plain = evaluate(small_dataset).scores
    plain = plain[(plain.step == "test") & (plain.symbol == "ALL")
                  & (plain.target == "direction")].set_index("model")["logloss"]
    assert plain["best n-gram"] > plain["coin flip"] - 0.01


def test_scores_of_the_coin_flip() -> None:
    y = np.array([0, 1, 1, 0])
    coin = np.full((4, 2), 0.5)
    assert log_loss(coin, y) == pytest.approx(np.log(2))
    assert brier(coin, y) == pytest.approx(0.25)
    three = np.full((3, 3), 1 / 3)
    assert brier(three, np.array([0, 1, 2])) == pytest.approx(2 / 3)


def test_backoff_with_huge_strength_is_the_prior_and_with_none_is_the_counts() -> None:
    tokens = np.array([5, 5, 7, 5, 7, 5, 5], dtype=np.int16)
    y = np.array([1, 0, 1, 1, 0, 1, 1])
    fit = np.arange(7)
    prior = np.tile([0.5, 0.5], (7, 1))
    p = ngram_probs(tokens, fit, y[fit], fit, prior, order=1, strength=1e12)
    np.testing.assert_allclose(p, prior)
    p = ngram_probs(tokens, fit, y[fit], fit, prior, order=1, strength=1e-12)
    np.testing.assert_allclose(p[tokens == 5, 1], 4 / 5)  # after token 5: 4 of 5 rise
    np.testing.assert_allclose(p[tokens == 7, 1], 1 / 2)
