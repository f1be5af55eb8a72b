"""Intraday bars: sessions in the synthetic market, and session-open tokens (candle-s1)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from dlip.market.dataset import assemble, load_dataset, write_dataset
from dlip.market.sources import SymbolBars
from dlip.market.synthetic import SYNTHETIC_INFO, SyntheticMarket
from dlip.market.tokenizer import SESSION_VERSION, VERSION, VOCAB_SIZE, describe, mirror


@pytest.fixture(scope="module")
def bars() -> pd.DataFrame:
    return SyntheticMarket(n_bars=40 * 390, seed=4).intraday_bars(half_day_every=10)


@pytest.fixture(scope="module")
def intraday(bars):
    return assemble([SymbolBars("INTRA", bars, SYNTHETIC_INFO)])


def test_synthetic_sessions_have_a_u_shape_gaps_weekends_and_half_days(bars) -> None:
    ts = pd.DatetimeIndex(bars["timestamp"])
    assert ts.min().strftime("%H:%M") == "09:30" and (ts.day_of_week < 5).all()
    per_day = pd.Series(1, index=ts.normalize()).groupby(level=0).size()
    assert set(per_day.iloc[:-1]) == {390, 210}  # full days and half days (last: cut)
    ret = np.abs(np.diff(np.log(bars["close"].to_numpy())))
    minute = (ts.hour * 60 + ts.minute - 570)[1:]
    first = np.r_[False, np.diff(ts.normalize().asi8) > 0][1:]
    inside = ~first
    edges = inside & ((minute < 30) | (minute >= 360))
    midday = inside & (minute >= 165) & (minute < 225)
    assert ret[edges].mean() > 1.5 * ret[midday].mean()
    opens = np.abs(np.log(bars["open"].to_numpy()[1:] / bars["close"].to_numpy()[:-1]))
    assert opens[first].mean() > 3 * opens[inside].mean()  # overnight gaps


def test_intraday_dataset_marks_every_session_open(intraday) -> None:
    t = intraday.table
    assert intraday.tokenizer.version == SESSION_VERSION
    assert intraday.tokenizer.vocab_size == 2 * VOCAB_SIZE
    opens = t["session_open"].to_numpy()
    tokens = t["token"].to_numpy()
    valid = t["valid"].to_numpy()
    assert opens.sum() == pd.DatetimeIndex(t["timestamp"]).normalize().nunique()
    assert (tokens[opens & valid] >= VOCAB_SIZE).all()
    assert (tokens[~opens & valid] < VOCAB_SIZE).all()
    # No window of tokens crosses a session break unmarked.
    day = pd.DatetimeIndex(t["timestamp"]).normalize().asi8
    changes = np.flatnonzero(np.diff(day) > 0) + 1
    assert (tokens[changes[valid[changes]]] >= VOCAB_SIZE).all()


def test_session_tokens_read_as_words_and_mirror() -> None:
    assert describe(VOCAB_SIZE + 7) == "session open: " + describe(7)
    assert mirror(np.array([VOCAB_SIZE + 7]))[0] == VOCAB_SIZE + mirror(np.array([7]))[0]


def test_daily_bars_keep_candle_v1(small_dataset) -> None:
    assert small_dataset.tokenizer.version == VERSION
    assert "session_open" not in small_dataset.table.columns
    assert small_dataset.table["token"].max() < VOCAB_SIZE


def test_intraday_pieces_give_the_same_dataset(bars, tmp_path) -> None:
    path = tmp_path / "intraday.csv"
    bars.to_csv(path, index=False, float_format="%.6f")
    a = write_dataset([str(path)], tmp_path / "a")
    b = write_dataset([str(path)], tmp_path / "b", batch_rows=1000)
    assert a["content_hash"] == b["content_hash"] and a["vocab_size"] == 2 * VOCAB_SIZE
    assert "session-open copy of every token" in (tmp_path / "a" / "card.md").read_text()
    assert load_dataset(tmp_path / "a").tokenizer.version == SESSION_VERSION
