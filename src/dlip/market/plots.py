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


def chart_with_tokens(bars: pd.DataFrame, path: Path, title: str = "") -> Path:
    """A candlestick chart with each bar's token printed under it."""
    plt = _pyplot()
    n = len(bars)
    fig, ax = plt.subplots(figsize=(max(WIDTH, 0.16 * n + 1), 4.6), layout="constrained")
    x = np.arange(n)
    draw_candles(ax, x, *(bars[k].to_numpy() for k in ("open", "high", "low", "close")))
    low = bars["low"].min()
    span = bars["high"].max() - low
    for xi, tok in zip(x, bars["token"], strict=True):
        ax.text(xi, low - 0.04 * span, str(tok) if tok >= 0 else "-", ha="center", va="top",
                fontsize=9, rotation=90)
    ax.set_ylim(low - 0.18 * span, bars["high"].max() + 0.03 * span)
    step = max(1, n // 10)
    ax.set_xticks(x[::step], [str(pd.Timestamp(t).date()) for t in bars["timestamp"]][::step],
                  fontsize=10, rotation=30, ha="right")
    ax.set_title(title or "Bars and their tokens", fontsize=12)
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
