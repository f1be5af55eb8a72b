"""Causal candle features: what a bar looks like, in units of the volatility before it.

For bar t, everything here uses bars 0..t only. The volatility scale of bar t comes from
close-to-close returns up to bar t-1 (an exponential average, a recursive filter that
only looks back), so a big candle still looks big on the day it happens.

- gap   = ln(open_t / close_{t-1}) / scale_t   (NaN where masked, see below)
- body  = ln(close_t / open_t) / scale_t       (signed: positive is a rising bar)
- upper = ln(high_t / max(open_t, close_t)) / scale_t
- lower = ln(min(open_t, close_t) / low_t) / scale_t
- regime = ln(scale_t / slow_scale_t): the level of volatility that dividing removes

Some sources record the open as the previous close (the S&P 500 before about 2006).
The gap is meaningless there, so it is masked wherever most of the trailing bars show
open == previous close: found from the data, never from a hard-coded date.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
from scipy.signal import lfilter

FEATURES = ("gap", "body", "upper", "lower", "regime")


@dataclass(frozen=True)
class FeatureSettings:
    span: int = 20  # bars in the exponential average behind the volatility scale
    slow_span: int = 250  # the slower average the regime compares against
    warmup: int = 50  # first bars of each symbol whose scale has not settled: no token
    artifact_window: int = 20  # trailing bars checked for open == previous close
    artifact_share: float = 0.5  # mask the gap when at least this share of them match
    scale_floor: float = 1e-4  # a lower bound on the scale (log-return units)

    def to_dict(self) -> dict:
        return asdict(self)


def _ewma(x: np.ndarray, span: int) -> np.ndarray:
    """Exponential moving average, started at x[0]; y[t] depends on x[0..t] only."""
    a = 2.0 / (span + 1.0)
    y, _ = lfilter([a], [1.0, a - 1.0], x, zi=[(1.0 - a) * x[0]])
    return y


def _trailing_mean(x: np.ndarray, window: int) -> np.ndarray:
    """Mean of x over the last `window` values up to and including t."""
    c = np.cumsum(x, dtype=float)
    out = c.copy()
    out[window:] = c[window:] - c[:-window]
    counts = np.minimum(np.arange(1, len(x) + 1), window)
    return out / counts


def candle_features(
    open_: np.ndarray,
    high: np.ndarray,
    low: np.ndarray,
    close: np.ndarray,
    settings: FeatureSettings = FeatureSettings(),
) -> dict[str, np.ndarray]:
    """Features of one symbol's bars (ascending time), as float arrays of the same length.

    Also returns `scale` (the volatility scale), `gap_masked` and `valid` (past warm-up).
    """
    o, h, lo, c = (np.asarray(a, dtype=float) for a in (open_, high, low, close))
    n = len(c)
    if n == 0:
        empty = np.empty(0)
        return {k: empty for k in (*FEATURES, "scale")} | {
            "gap_masked": np.empty(0, bool), "valid": np.empty(0, bool)}
    log_c = np.log(c)
    r2 = np.empty(n)
    r2[1:] = np.diff(log_c) ** 2
    r2[0] = np.log(h[0] / lo[0]) ** 2 / (4.0 * np.log(2.0))  # the first bar's own range
    fast = _ewma(r2, settings.span)
    slow = _ewma(r2, settings.slow_span)
    # Bar t is scaled by the averages through t-1; bar 0 by its own range.
    var = np.empty(n)
    var[0], var[1:] = fast[0], fast[:-1]
    slow_var = np.empty(n)
    slow_var[0], slow_var[1:] = slow[0], slow[:-1]
    floor2 = settings.scale_floor**2
    scale = np.sqrt(np.maximum(var, floor2))
    regime = 0.5 * np.log(np.maximum(var, floor2) / np.maximum(slow_var, floor2))

    log_o, log_h, log_l = np.log(o), np.log(h), np.log(lo)
    gap = np.full(n, np.nan)
    gap[1:] = log_o[1:] - log_c[:-1]
    same = np.zeros(n)
    same[1:] = np.abs(gap[1:]) < 1e-9
    gap_masked = _trailing_mean(same, settings.artifact_window) >= settings.artifact_share
    gap_masked[0] = True  # no previous close
    gap = np.where(gap_masked, np.nan, gap) / scale

    top = np.maximum(log_o, log_c)
    bottom = np.minimum(log_o, log_c)
    return {
        "gap": gap,
        "body": (log_c - log_o) / scale,
        "upper": (log_h - top) / scale,
        "lower": (bottom - log_l) / scale,
        "regime": regime,
        "scale": scale,
        "gap_masked": gap_masked,
        "valid": np.arange(n) >= settings.warmup,
    }
