"""Sources: the real packaged data, user files with odd column names, time zones."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from dlip.market.errors import MarketDataError
from dlip.market.sources import COLUMNS, load


def _sane(bars: pd.DataFrame) -> None:
    assert list(bars.columns) == list(COLUMNS)
    ts = pd.DatetimeIndex(bars["timestamp"])
    assert ts.is_monotonic_increasing and ts.is_unique
    o, h, lo, c = (bars[k].to_numpy() for k in ("open", "high", "low", "close"))
    assert (lo > 0).all()
    assert (h >= np.maximum(o, c) * (1 - 1e-9)).all()
    assert (lo <= np.minimum(o, c) * (1 + 1e-9)).all()


@pytest.mark.parametrize(
    ("name", "symbol", "rows", "first", "last"),
    [
        ("sp500", "SP500", 5031, "1999-01-04", "2018-12-31"),
        ("nasdaq", "NASDAQ", 5031, "1999-01-04", "2018-12-31"),
        ("aapl", "AAPL", 3270, "2000-03-01", "2013-03-01"),
        ("ibm", "IBM", 3270, "2000-03-01", "2013-03-01"),
        ("msft", "MSFT", 3270, "2000-03-01", "2013-03-01"),
        ("goog", "GOOG", 2148, "2004-08-19", "2013-03-01"),
        ("msft_pmdarima", "MSFT_PMDARIMA", 7983, "1986-03-13", "2017-11-10"),
    ],
)
def test_packaged_sources_load_real_data(name, symbol, rows, first, last) -> None:
    (part,) = load(name)
    assert part.symbol == symbol
    assert len(part.bars) == rows
    assert str(part.bars["timestamp"].iloc[0].date()) == first
    assert str(part.bars["timestamp"].iloc[-1].date()) == last
    _sane(part.bars)
    assert part.info.licence


def test_bokeh_prices_are_split_adjusted() -> None:
    """AAPL split 2:1 on 2005-02-28; unadjusted closes halve overnight, adjusted ones don't."""
    import bokeh_sampledata.stocks as stocks

    raw = pd.DataFrame(stocks.AAPL)
    (part,) = load("aapl")
    at = int(np.flatnonzero(raw["date"] == "2005-02-28")[0])
    raw_move = raw["close"].iloc[at] / raw["close"].iloc[at - 1]
    adjusted_move = part.bars["close"].iloc[at] / part.bars["close"].iloc[at - 1]
    assert raw_move < 0.55
    assert 0.9 < adjusted_move < 1.1
    np.testing.assert_allclose(part.bars["close"], raw["adj_close"], rtol=1e-12)


def test_group_name_loads_every_packaged_source() -> None:
    symbols = [p.symbol for p in load("packaged")]
    assert symbols == ["SP500", "NASDAQ", "AAPL", "IBM", "MSFT", "GOOG", "MSFT_PMDARIMA"]


def test_csv_columns_are_normalized_case_insensitively(make_csv) -> None:
    path = make_csv("my ticker.csv", """
DATE,OPEN,high,Low,CLOSE,adj_close,VOL
2024-01-02,10,11,9.5,10.5,5.25,1000
2024-01-03,10.5,11.2,10.1,11,5.5,1200
""")
    (part,) = load(str(path))
    assert part.symbol == "MY_TICKER"
    np.testing.assert_allclose(part.bars["close"], [5.25, 5.5])  # adjusted by the ratio
    np.testing.assert_allclose(part.bars["volume"], [2000, 2400])


def test_timezone_aware_timestamps_are_kept(make_csv) -> None:
    path = make_csv("fx.csv", """
timestamp,open,high,low,close,volume
2024-03-01 09:30:00-05:00,1,1.2,0.9,1.1,5
2024-03-01 10:30:00-05:00,1.1,1.3,1.0,1.2,5
""")
    (part,) = load(str(path))
    ts = part.bars["timestamp"]
    assert ts.dt.tz is not None
    assert ts.iloc[0] == pd.Timestamp("2024-03-01 14:30", tz="UTC")


def test_parquet_with_symbol_column_gives_one_part_per_symbol(tmp_path) -> None:
    frame = pd.DataFrame({
        "Ticker": ["a", "a", "b"],
        "Datetime": pd.to_datetime(["2024-01-02", "2024-01-03", "2024-01-02"]).tz_localize(
            "Europe/Berlin"),
        "Open": [1.0, 1.1, 5.0], "High": [1.2, 1.2, 5.5], "Low": [0.9, 1.0, 4.9],
        "Close": [1.1, 1.15, 5.2], "Volume": [1, 2, 3],
    })
    path = tmp_path / "two.parquet"
    frame.to_parquet(path)
    parts = load(str(path))
    assert [p.symbol for p in parts] == ["A", "B"]
    assert str(parts[0].bars["timestamp"].dt.tz) == "Europe/Berlin"


def test_unknown_source_is_a_clear_error() -> None:
    with pytest.raises(MarketDataError, match="unknown source"):
        load("no_such_market")


def test_synthetic_is_seeded() -> None:
    (a,) = load("synthetic")
    (b,) = load("synthetic")
    pd.testing.assert_frame_equal(a.bars, b.bars)
    _sane(a.bars)
