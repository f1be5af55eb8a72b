"""Leakage is tested as properties: the future never changes the past."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from dlip.market.dataset import HORIZON, assemble
from dlip.market.features import candle_features
from dlip.market.splits import SPLITS
from dlip.market.synthetic import SyntheticMarket
from dlip.market.tokenizer import CandleTokenizer

N = 400
BARS = SyntheticMarket(n_bars=N, seed=5).arrays()
OHLC = np.stack([BARS[k] for k in ("open", "high", "low", "close")])
BASE = candle_features(*OHLC)
TOKENIZER = CandleTokenizer.fit(BASE, BASE["valid"])
BASE_TOKENS = TOKENIZER.encode(BASE)


def _same_up_to(t: int, feats: dict, tokens: np.ndarray) -> None:
    for name, values in BASE.items():
        np.testing.assert_array_equal(values[: t + 1], feats[name][: t + 1], err_msg=name)
    np.testing.assert_array_equal(BASE_TOKENS[: t + 1], tokens[: t + 1])


@settings(max_examples=60, deadline=None)
@given(t=st.integers(0, N - 2), factor=st.floats(0.2, 5.0), which=st.integers(0, 3),
       extra=st.integers(1, 30))
def test_altering_a_later_bar_leaves_earlier_features_and_tokens_unchanged(
    t, factor, which, extra
) -> None:
    later = min(N - 1, t + extra)
    ohlc = OHLC.copy()
    ohlc[which, later] *= factor
    ohlc[1, later] = ohlc[:, later].max()  # keep the bar a valid candle
    ohlc[2, later] = ohlc[:, later].min()
    assume(not np.array_equal(ohlc[:, later], OHLC[:, later]))
    feats = candle_features(*ohlc)
    assert any(  # the test only means something if the change reached bar `later`
        not np.array_equal(BASE[name][later:], feats[name][later:], equal_nan=True)
        for name in BASE
    ), "altering a later bar changed none of its features"
    _same_up_to(t, feats, TOKENIZER.encode(feats))


@settings(max_examples=40, deadline=None)
@given(t=st.integers(1, N - 1))
def test_deleting_later_bars_leaves_earlier_features_and_tokens_unchanged(t) -> None:
    feats = candle_features(*OHLC[:, : t + 1])
    _same_up_to(t, feats, TOKENIZER.encode(feats))


def _shocked(parts, after: pd.Timestamp, seed: int):
    """Copies of the parts with every bar on/after `after` replaced by other random bars."""
    rng = np.random.default_rng(seed)
    out = []
    for p in parts:
        bars = p.bars.copy()
        late = (bars["timestamp"] >= after).to_numpy()
        noise = np.exp(rng.normal(0, 0.05, size=late.sum()))
        for col in ("open", "high", "low", "close"):
            bars.loc[late, col] = bars.loc[late, col].to_numpy() * noise
        bars.loc[late, "high"] = bars.loc[late, ["open", "high", "low", "close"]].max(axis=1)
        bars.loc[late, "low"] = bars.loc[late, ["open", "high", "low", "close"]].min(axis=1)
        out.append(type(p)(p.symbol, bars, p.info))
    return out


def test_changing_validation_and_test_data_leaves_bin_edges_unchanged(synthetic) -> None:
    parts = [synthetic(2000, seed=3, symbol="AAA"), synthetic(2000, seed=4, symbol="BBB")]
    base = assemble(parts)
    after = pd.Timestamp(base.meta["cuts"]["train_end"])
    for seed in (1, 2):
        other = assemble(_shocked(parts, after, seed))
        assert other.tokenizer == base.tokenizer
        assert other.meta["return_bucket_edges"] == base.meta["return_bucket_edges"]
        assert other.meta["range_bucket_edges"] == base.meta["range_bucket_edges"]
        train = (base.table["split"] == "train").to_numpy()
        np.testing.assert_array_equal(base.table["token"][train], other.table["token"][train])
        assert not np.array_equal(base.table["token"][~train], other.table["token"][~train])


def test_no_training_target_reaches_the_embargo_or_a_later_split(small_dataset) -> None:
    t = small_dataset.table
    split = t["split"].to_numpy()
    sym = t["symbol"].to_numpy()
    for name in SPLITS:
        ends = small_dataset.window_ends(name, length=3)
        assert len(ends) > 100
        for k in range(1, HORIZON + 1):
            assert (split[ends + k] == name).all()
            assert (sym[ends + k] == sym[ends]).all()
    train_end = pd.Timestamp(small_dataset.meta["cuts"]["train_end"])
    last_target = t["timestamp"].to_numpy()[small_dataset.window_ends("train") + HORIZON].max()
    assert last_target < train_end.to_datetime64()


def test_splits_are_cut_at_the_same_dates_for_every_symbol(small_dataset) -> None:
    t = small_dataset.table
    cuts = {k: pd.Timestamp(v) for k, v in small_dataset.meta["cuts"].items()}
    ts = t["timestamp"]
    expected = np.select(
        [ts < cuts["train_end"], (ts >= cuts["val_start"]) & (ts < cuts["val_end"]),
         ts >= cuts["test_start"]],
        ["train", "val", "test"], "embargo")
    np.testing.assert_array_equal(t["split"].to_numpy(), expected)
    assert set(t.loc[t["symbol"] == "BBB", "split"]) == {"train", "val", "test", "embargo"}
