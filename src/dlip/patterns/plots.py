"""Analog charts: the query window beside its most similar past windows and what followed.

Each panel draws a window's bars as candlesticks, rebased so its last close is 100 (so
windows of any price level compare), with the next bar after a dashed line. The query's
next bar is drawn only if it is already known, faded, because it was not used.

Sized for the site's content width (6.9 in at 200 dpi, no text under 9 pt): the query
across the top, the analogs two to a row under it, so a phone still shows every candle.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from dlip.market.plots import DPI, WIDTH, _pyplot, draw_candles


def _panel(ax, table: pd.DataFrame, rows: np.ndarray, title: str, show_next: bool,
           faded: bool = False) -> None:
    end = rows[-1]
    base = float(table["close"].iloc[end])
    w = table.iloc[rows]
    x = np.arange(len(rows))
    k = 100.0 / base
    draw_candles(ax, x, w["open"] * k, w["high"] * k, w["low"] * k, w["close"] * k)
    nxt = end + 1
    if show_next and nxt < len(table) and table["symbol"].iloc[nxt] == table["symbol"].iloc[end]:
        b = table.iloc[[nxt]]
        lines, patches = len(ax.lines), len(ax.patches)
        draw_candles(ax, [len(rows)], b["open"] * k, b["high"] * k, b["low"] * k, b["close"] * k)
        if faded:  # the next bar's wick and body only
            for a in [*ax.lines[lines:], *ax.patches[patches:]]:
                a.set_alpha(0.35)
    ax.axvline(len(rows) - 0.5, color="#888", ls="--", lw=0.8)
    ax.set_title(title, fontsize=10, fontweight="normal")
    ax.set_xlim(-1, len(rows) + 1)
    ax.tick_params(labelsize=9)
    ax.set_xticks([])
    ax.grid(axis="x", visible=False)


def analog_chart(table: pd.DataFrame, query_rows: np.ndarray, analogs: list[np.ndarray],
                 titles: list[str], query_title: str, path: Path) -> Path:
    """Draw the query window and up to 8 analog windows (with their next bars) to `path`."""
    plt = _pyplot()
    analogs, titles = analogs[:8], titles[:8]
    rows = 1 + (len(analogs) + 1) // 2
    fig = plt.figure(figsize=(WIDTH, 2.5 * rows + 0.5), layout="constrained")
    grid = fig.add_gridspec(rows, 2)
    query = fig.add_subplot(grid[0, :])
    _panel(query, table, query_rows, query_title, show_next=True, faded=True)
    query.set_facecolor("#f3f6fb")
    query.set_title(query_title, fontsize=11, fontweight="bold")
    for i, (rows_i, title) in enumerate(zip(analogs, titles, strict=True)):
        _panel(fig.add_subplot(grid[1 + i // 2, i % 2]), table, rows_i, title, show_next=True)
    fig.suptitle("The query (shaded) and its most similar past windows;\n"
                 "the next bar after the dashed line. Prices rebased: last close = 100",
                 fontsize=11)
    fig.savefig(path, dpi=DPI)
    plt.close(fig)
    return Path(path)
