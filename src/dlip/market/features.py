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


class FeatureStream:
    """The features of one symbol fed in consecutive pieces, with its state carried across.

    Feeding a series whole or in any number of pieces gives the same numbers bit for bit
    (a test checks it), so a symbol larger than memory streams through unchanged.
    State: the last log close, the two averages' filter states, the last `artifact_window`
    open-equals-close flags and the bar count.
    """

    def __init__(self, settings: FeatureSettings = FeatureSettings()):
        self.settings = settings
        self.position = 0
        self._prev_log_c: float | None = None
        self._fast_zi: np.ndarray | None = None
        self._slow_zi: np.ndarray | None = None
        self._last_fast = 0.0
        self._last_slow = 0.0
        self._same_tail = np.empty(0)

    def _ewma(self, x: np.ndarray, span: int, zi: np.ndarray | None) -> tuple[np.ndarray, ...]:
        """Exponential moving average, started at x[0]; y[t] depends on x[0..t] only."""
        a = 2.0 / (span + 1.0)
        if zi is None:
            zi = np.array([(1.0 - a) * x[0]])
        return lfilter([a], [1.0, a - 1.0], x, zi=zi)

    def push(self, open_, high, low, close) -> dict[str, np.ndarray]:
        """Features of the next bars (ascending time, continuing the bars pushed before)."""
        s = self.settings
        o, h, lo, c = (np.asarray(a, dtype=float) for a in (open_, high, low, close))
        n = len(c)
        if n == 0:
            empty = np.empty(0)
            return {k: empty for k in (*FEATURES, "scale")} | {
                "gap_masked": np.empty(0, bool), "valid": np.empty(0, bool)}
        first = self._prev_log_c is None
        log_c = np.log(c)
        r2 = np.empty(n)
        if first:
            r2[1:] = np.diff(log_c) ** 2
            r2[0] = np.log(h[0] / lo[0]) ** 2 / (4.0 * np.log(2.0))  # the first bar's own range
        else:
            r2[:] = np.diff(np.concatenate([[self._prev_log_c], log_c])) ** 2
        fast, self._fast_zi = self._ewma(r2, s.span, self._fast_zi)
        slow, self._slow_zi = self._ewma(r2, s.slow_span, self._slow_zi)
        # Bar t is scaled by the averages through t-1; a symbol's bar 0 by its own range.
        var = np.empty(n)
        var[0], var[1:] = (fast[0] if first else self._last_fast), fast[:-1]
        slow_var = np.empty(n)
        slow_var[0], slow_var[1:] = (slow[0] if first else self._last_slow), slow[:-1]
        floor2 = s.scale_floor**2
        scale = np.sqrt(np.maximum(var, floor2))
        regime = 0.5 * np.log(np.maximum(var, floor2) / np.maximum(slow_var, floor2))

        log_o, log_h, log_l = np.log(o), np.log(h), np.log(lo)
        gap = np.full(n, np.nan)
        gap[1:] = log_o[1:] - log_c[:-1]
        if not first:
            gap[0] = log_o[0] - self._prev_log_c
        same = np.zeros(n)
        with np.errstate(invalid="ignore"):
            same[:] = np.abs(gap) < 1e-9  # NaN (no previous close) counts as different
        extended = np.concatenate([self._same_tail, same])
        start = self.position - len(self._same_tail)
        masked = _trailing_mean(extended, s.artifact_window, start)[len(self._same_tail):]
        gap_masked = masked >= s.artifact_share
        if first:
            gap_masked[0] = True  # no previous close
        gap = np.where(gap_masked, np.nan, gap) / scale

        top = np.maximum(log_o, log_c)
        bottom = np.minimum(log_o, log_c)
        out = {
            "gap": gap,
            "body": (log_c - log_o) / scale,
            "upper": (log_h - top) / scale,
            "lower": (bottom - log_l) / scale,
            "regime": regime,
            "scale": scale,
            "gap_masked": gap_masked,
            "valid": self.position + np.arange(n) >= s.warmup,
        }
        self._prev_log_c = float(log_c[-1])
        self._last_fast, self._last_slow = float(fast[-1]), float(slow[-1])
        self._same_tail = extended[-(s.artifact_window - 1):] if s.artifact_window > 1 else (
            np.empty(0))
        self.position += n
        return out


def _trailing_mean(x: np.ndarray, window: int, start: int = 0) -> np.ndarray:
    """Mean of x over the last `window` values up to and including t; x[0] is bar `start`.

    x holds 0/1 flags, so the running sums are exact whatever piece they start in.
    """
    c = np.cumsum(x, dtype=float)
    out = c.copy()
    out[window:] = c[window:] - c[:-window]
    counts = np.minimum(start + np.arange(1, len(x) + 1), window)
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
    return FeatureStream(settings).push(open_, high, low, close)
