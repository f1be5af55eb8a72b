"""Pictures of the candle language: the vocabulary, tokens under a chart, frequencies.

Sized for the site's content width (6.9 in at 200 dpi, about 690 px) with no text under
9 pt, so the labels stay legible on a phone too (the house style of dlip.figures).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from dlip.market.card import train_token_counts
from dlip.market.tokenizer import BODY, GAP, VOCAB_SIZE, WICK, CandleTokenizer, compose, decompose

UP, DOWN, FLAT = "#2a9d8f", "#e76f51", "#6c757d"
WIDTH, DPI = 6.9, 200


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def draw_candles(ax, x, o, h, lo, c, width: float = 0.6) -> None:
    """Plain candlesticks: a wick line and a body box, green up, red down."""
    for xi, oi, hi, li, ci in zip(x, o, h, lo, c, strict=True):
        color = UP if ci > oi else DOWN if ci < oi else FLAT
        ax.plot([xi, xi], [li, hi], color=color, lw=1, zorder=1)
        bottom, height = min(oi, ci), abs(ci - oi)
        ax.add_patch(_rect((xi - width / 2, bottom), width, max(height, 1e-9), color))


def _rect(xy, w, h, color):
    from matplotlib.patches import Rectangle

    return Rectangle(xy, w, h, facecolor=color, edgecolor=color, zorder=2)


def _short_gap(name: str) -> str:
    """'gap down' -> 'down', so twelve labels fit across the content width."""
    return name.replace("gap ", "") if name.startswith("gap ") else name


def vocabulary_gallery(tokenizer: CandleTokenizer, path: Path) -> Path:
    """Every candle shape (gap x body x wicks) drawn from `inverse`, one panel per body."""
    plt = _pyplot()
    fig, axes = plt.subplots(len(BODY), 1, figsize=(WIDTH, 12.5), sharey=True,
                             layout="constrained")
    for b, ax in enumerate(axes[::-1]):
        x = 0
        ticks, labels = [], []
        for g in range(len(GAP)):
            for u in range(2):
                for w in range(2):
                    tok = int(compose(g, b, u, w, 0))
                    f = tokenizer.inverse(np.array([tok]))
                    o = f["gap"][0]
                    c = o + f["body"][0]
                    h = max(o, c) + f["upper"][0]
                    lo = min(o, c) - f["lower"][0]
                    ax.plot([x - 0.45, x - 0.1], [0, 0], color="#999", lw=1)  # previous close
                    draw_candles(ax, [x + 0.15], [o], [h], [lo], [c], width=0.35)
                    ticks.append(x)
                    labels.append(f"{tok // 3}\n{_short_gap(GAP[g])}\n{WICK[u][0]}/{WICK[w][0]}")
                    x += 1.2
        ax.set_xticks(ticks, labels, fontsize=9)
        ax.set_ylabel(BODY[b], fontsize=11)
        ax.axhline(0, color="#ddd", lw=0.5, zorder=0)
    fig.suptitle("The candle vocabulary: 60 shapes (x 3 volatility regimes = "
                 f"{VOCAB_SIZE} tokens).\nGrey dash: previous close. Units: volatility scale.\n"
                 "Labels: shape id, gap (down, no gap, up), upper/lower wick (s = short, l = long)",
                 fontsize=11)
    fig.savefig(path, dpi=DPI)
    plt.close(fig)
    return path


MONTH = 23  # at most this many bars in a row of the token chart (a month of trading days)
ROWS_BY_MONTH = 8  # up to this many calendar months, one row each


def token_rows(stamps: pd.DatetimeIndex) -> list[tuple[np.ndarray, str]]:
    """Rows of the token chart: one per calendar month when there are a few months of
    daily bars, else even runs of at most two months' bars. (positions, row title)."""
    n = len(stamps)
    month = np.asarray(stamps.year * 12 + stamps.month)
    bounds = [0, *(np.flatnonzero(np.diff(month)) + 1), n]
    if (2 <= len(bounds) - 1 <= ROWS_BY_MONTH and np.diff(bounds).max() <= MONTH
            and (np.diff(month) >= 0).all()):
        return [(np.arange(a, z), f"{stamps[a]:%B %Y}")
                for a, z in zip(bounds[:-1], bounds[1:], strict=True)]
    per_row = MONTH if n <= ROWS_BY_MONTH * MONTH else 2 * MONTH
    size = -(-n // max(1, -(-n // per_row)))  # even rows of at most per_row bars
    runs = [np.arange(a, min(a + size, n)) for a in range(0, n, size)]
    return [(r, f"{_day(stamps[r[0]])} to {_day(stamps[r[-1]])}") for r in runs]


def _day(t: pd.Timestamp) -> str:
    return str(t.date()) if t == t.normalize() else str(t)


def chart_with_tokens(bars: pd.DataFrame, path: Path, title: str = "") -> Path:
    """A candlestick chart with each bar's token printed under it, in stacked rows.

    Rows of about a month (one per calendar month when that fits), so that a phone shows
    each token at a legible size; every row shares one price axis, so a fall across
    months reads as a fall down the rows.
    """
    plt = _pyplot()
    stamps = pd.DatetimeIndex(bars["timestamp"])
    rows = token_rows(stamps)
    width = max(len(r) for r, _ in rows)
    o, h, lo, c = (bars[k].to_numpy() for k in ("open", "high", "low", "close"))
    tokens = bars["token"].to_numpy()
    low, high = float(np.nanmin(lo)), float(np.nanmax(h))
    top = high + 0.03 * (high - low or 1.0)
    strip = 0.3  # the lowest 30 % of each row holds the tokens
    fig, axes = plt.subplots(len(rows), 1, figsize=(WIDTH, 0.6 + 2.1 * len(rows)),
                             sharey=True, squeeze=False, layout="constrained")
    for ax, (r, row_title) in zip(axes[:, 0], rows, strict=True):
        x = np.arange(len(r))
        draw_candles(ax, x, o[r], h[r], lo[r], c[r])
        on_x = ax.get_xaxis_transform()  # x in data, y as a fraction of the row's height
        for xi, tok in zip(x, tokens[r], strict=True):
            label = str(tok) if tok >= 0 else "-"
            if width <= MONTH:  # room for 10 pt across two bars: alternate two lines
                ax.text(xi, 0.16 if xi % 2 == 0 else 0.03, label, transform=on_x,
                        ha="center", va="bottom", fontsize=10)
            else:  # two months a row: one upright column of 9 pt digits per bar
                ax.text(xi, 0.03, label, transform=on_x, ha="center", va="bottom",
                        fontsize=9, rotation=90)
        ax.set_xlim(-0.7, width - 0.3)
        daily = bool((stamps[r] == stamps[r].normalize()).all())
        step = 5 if width <= MONTH else 10
        ax.set_xticks(x[::step], [f"{t:%b} {t.day}" if daily else str(t)
                                  for t in stamps[r][::step]], fontsize=10)
        ax.grid(axis="x", visible=False)
        ax.set_title(row_title, loc="left", fontsize=11, fontweight="normal")
    ax = axes[0, 0]
    ax.set_ylim((low - strip * top) / (1 - strip), top)
    ax.set_yticks([y for y in ax.get_yticks() if low <= y <= top])  # none in the token strip
    fig.suptitle(title or "Bars and their tokens", fontsize=12, fontweight="bold")
    fig.savefig(path, dpi=DPI)
    plt.close(fig)
    return path


def token_frequencies(table: pd.DataFrame, path: Path) -> Path:
    """How often each token occurs in the training split, sorted, coloured by body."""
    plt = _pyplot()
    counts = train_token_counts(table)
    order = np.argsort(-counts, kind="stable")
    _, body, *_ = decompose(order % VOCAB_SIZE)
    palette = [DOWN, "#f4a261", FLAT, "#8ecae6", UP]
    fig, ax = plt.subplots(figsize=(WIDTH, 4.2), layout="constrained")
    ax.bar(np.arange(len(counts)), counts[order] / max(counts.sum(), 1),
           color=[palette[b] for b in body], width=1.0)
    from matplotlib.patches import Patch

    ax.legend(handles=[Patch(color=palette[i], label=BODY[i]) for i in range(len(BODY))],
              fontsize=10, ncol=3)
    ax.set_xlabel("tokens, most frequent first")
    ax.set_ylabel("share of training bars")
    ax.axhline(1 / len(counts), color="#333", lw=0.8, ls="--")
    ax.set_title("Token frequencies on the training split (dashed: uniform)", fontsize=12)
    fig.savefig(path, dpi=DPI)
    plt.close(fig)
    return path
