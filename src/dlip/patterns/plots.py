"""Analog charts: the query window beside its most similar past windows and what followed.

Each panel draws a window's bars as candlesticks, rebased so its last close is 100 (so
windows of any price level compare), with the next bar after a dashed line. The query's
next bar is drawn only if it is already known, faded, because it was not used.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from dlip.market.plots import _pyplot, draw_candles


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
        artists = len(ax.lines) + len(ax.patches)
        draw_candles(ax, [len(rows)], b["open"] * k, b["high"] * k, b["low"] * k, b["close"] * k)
        if faded:
            for a in (ax.lines + ax.patches)[artists:]:
                a.set_alpha(0.35)
    ax.axvline(len(rows) - 0.5, color="#888", ls="--", lw=0.8)
    ax.set_title(title, fontsize=8)
    ax.set_xlim(-1, len(rows) + 1)
    ax.tick_params(labelsize=6)
    ax.set_xticks([])


def analog_chart(table: pd.DataFrame, query_rows: np.ndarray, analogs: list[np.ndarray],
                 titles: list[str], query_title: str, path: Path) -> Path:
    """Draw the query window and up to 8 analog windows (with their next bars) to `path`."""
    plt = _pyplot()
    analogs, titles = analogs[:8], titles[:8]
    n = 1 + len(analogs)
    cols = min(3, n)
    nrows = int(np.ceil(n / cols))
    fig, axes = plt.subplots(nrows, cols, figsize=(4.2 * cols, 2.6 * nrows), squeeze=False)
    _panel(axes[0, 0], table, query_rows, query_title, show_next=True, faded=True)
    axes[0, 0].set_facecolor("#f3f6fb")
    for i, (rows, title) in enumerate(zip(analogs, titles, strict=True), start=1):
        _panel(axes[i // cols, i % cols], table, rows, title, show_next=True)
    for j in range(n, nrows * cols):
        axes[j // cols, j % cols].axis("off")
    fig.suptitle("query (shaded) and its most similar past windows; next bar after the dashed line",
                 fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return Path(path)
