"""The candle tokenizer: vocabulary in words, mirror symmetry, inverse, saved versions."""

from __future__ import annotations

import numpy as np
import pytest

from dlip.market.features import candle_features
from dlip.market.synthetic import SyntheticMarket
from dlip.market.tokenizer import (
    VOCAB_SIZE,
    CandleTokenizer,
    compose,
    decompose,
    describe,
    mirror,
)

BARS = SyntheticMarket(n_bars=5000, seed=9).arrays()
FEATS = candle_features(*(BARS[k] for k in ("open", "high", "low", "close")))
TOK = CandleTokenizer.fit(FEATS, FEATS["valid"])


def test_every_token_has_its_own_description() -> None:
    words = [describe(t) for t in range(VOCAB_SIZE)]
    assert len(set(words)) == VOCAB_SIZE == 180
    assert describe(int(compose(2, 4, 0, 1, 0))) == (
        "gap up, strong rise, short upper wick, long lower wick, calm volatility")
    vocab = TOK.vocabulary()
    assert [v["token"] for v in vocab] == list(range(VOCAB_SIZE))


def test_compose_and_decompose_are_inverse() -> None:
    t = np.arange(VOCAB_SIZE)
    assert np.array_equal(compose(*decompose(t)), t)


def test_inverse_lands_in_the_same_token() -> None:
    """Each token's representative candle is tokenized back to that token."""
    tokens = np.arange(VOCAB_SIZE)
    back = TOK.inverse(tokens)
    back["gap"] = np.where(decompose(tokens)[0] == 1, 0.0, back["gap"])
    assert np.array_equal(TOK.encode(back), tokens)


def test_mirrored_candles_get_mirrored_tokens() -> None:
    flipped = dict(FEATS, gap=-FEATS["gap"], body=-FEATS["body"], upper=FEATS["lower"],
                   lower=FEATS["upper"])
    assert np.array_equal(TOK.encode(flipped), np.where(FEATS["valid"],
                                                        mirror(TOK.encode(FEATS)), -1))
    assert TOK.fit(flipped, FEATS["valid"]) == TOK  # edges see only symmetric statistics


def test_warmup_bars_have_no_token() -> None:
    tokens = TOK.encode(FEATS)
    assert (tokens[:50] == -1).all() and (tokens[50:] >= 0).all()


def test_reconstruction_is_close_in_scale_units() -> None:
    tokens = TOK.encode(FEATS)
    ok = tokens >= 0
    approx = TOK.inverse(tokens[ok])
    for name in ("body", "upper", "lower"):
        err = np.abs(approx[name] - FEATS[name][ok]).mean()
        spread = np.abs(FEATS[name][ok] - FEATS[name][ok].mean()).mean()
        assert err < 0.6 * spread, name  # two wick bins: about half the spread


def test_saved_tokenizer_round_trips_and_checks_its_version() -> None:
    import json

    data = json.loads(json.dumps(TOK.to_dict()))
    assert CandleTokenizer.from_dict(data) == TOK
    data["version"] = "candle-v0"
    with pytest.raises(ValueError, match="version"):
        CandleTokenizer.from_dict(data)


def test_gap_is_masked_where_the_open_is_the_previous_close() -> None:
    """Found from the data: a stretch of opens equal to the previous close is masked."""
    o, h, lo, c = (BARS[k].copy() for k in ("open", "high", "low", "close"))
    o[1000:1400] = c[999:1399]  # the artifact, as in the S&P 500 before 2006
    h[1000:1400] = np.maximum(h[1000:1400], o[1000:1400])
    lo[1000:1400] = np.minimum(lo[1000:1400], o[1000:1400])
    f = candle_features(o, h, lo, c)
    masked = np.flatnonzero(f["gap_masked"][1:]) + 1
    assert masked.min() >= 1000 and masked.max() < 1400 + 20
    assert np.isnan(f["gap"][1100:1400]).all()
    assert not f["gap_masked"][1500:].any()
