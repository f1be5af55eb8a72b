"""The candle charts stay legible at the site's content width, however many bars they show."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from dlip.market.plots import MONTH, WIDTH, chart_with_tokens, token_rows


def _bars(start: str, n: int, freq: str = "B") -> pd.DataFrame:
    t = pd.date_range(start, periods=n, freq=freq)
    close = 100 + np.cumsum(np.sin(np.arange(n)))
    return pd.DataFrame({"timestamp": t, "open": close - 0.5, "high": close + 1,
                         "low": close - 1, "close": close, "token": np.arange(n) % 180 - 1})


def test_a_few_months_of_daily_bars_get_one_row_per_month() -> None:
    stamps = pd.DatetimeIndex(_bars("2008-09-01", 65)["timestamp"])
    rows = token_rows(stamps)
    assert [title for _, title in rows] == ["September 2008", "October 2008", "November 2008"]
    assert np.concatenate([r for r, _ in rows]).tolist() == list(range(65))
    assert all(len({(t.year, t.month) for t in stamps[r]}) == 1 for r, _ in rows)


@pytest.mark.parametrize("n, freq", [(400, "B"), (20, "B"), (300, "h"), (1, "B")])
def test_long_or_odd_spans_get_even_rows_that_cover_every_bar_once(n, freq) -> None:
    rows = token_rows(pd.DatetimeIndex(_bars("2017-01-02", n, freq)["timestamp"]))
    assert np.concatenate([r for r, _ in rows]).tolist() == list(range(n))
    assert max(len(r) for r, _ in rows) <= 2 * MONTH
    if n > MONTH:
        assert len(rows) > 1


@pytest.mark.parametrize("n", [65, 400])
def test_the_chart_is_drawn_at_the_content_width(tmp_path, n) -> None:
    path = chart_with_tokens(_bars("2008-09-01", n), tmp_path / "chart.png", title="t")
    width, height = Image.open(path).size
    assert width == pytest.approx(WIDTH * 200, abs=2)  # 6.9 in at 200 dpi, not n-wide
    assert height > width / 3
