"""A seeded synthetic market whose rules are known, so the pipeline can be checked.

Daily log returns follow a GARCH(1,1) with Student-t shocks, and a hidden two-state
regime (calm or turbulent) switches the long-run volatility now and then. Each bar's
open, high, low and close come from a random intrabar path (a Brownian bridge from the
open to the close), after an overnight gap.

The optional planted pattern: after a bar with a strong falling body and a long lower
wick (a hammer-like bar, by the tokenizer's own bins), the next bar closes higher with
probability `planted_p`; after its mirror image (a strong rise with a long upper wick)
the next bar closes lower with the same probability, so the pattern adds no drift. It
is planted by mirroring the next bar around the previous close when its direction has
to change. Mirroring keeps every squared return, so the
volatility scale, and hence every other bar's features, stay exactly as they were.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from dlip.market.features import FeatureSettings, candle_features
from dlip.market.provenance import SYNTHETIC_INFO
from dlip.market.tokenizer import CandleTokenizer

__all__ = ["SYNTHETIC_INFO", "SyntheticMarket", "triggers"]
START = "1900-01-01"
MAX_DAILY_BARS = 130_000  # daily timestamps from 1900 stay inside what pandas can hold


def triggers(body_bin: np.ndarray, upper_bin: np.ndarray, lower_bin: np.ndarray) -> np.ndarray:
    """+1 after a strong fall with a long lower wick, -1 after its mirror image, else 0."""
    rise = (body_bin == 0) & (lower_bin == 1)
    fall = (body_bin == 4) & (upper_bin == 1)
    return rise.astype(np.int8) - fall.astype(np.int8)


@dataclass(frozen=True)
class SyntheticMarket:
    n_bars: int = 20_000
    seed: int = 7
    planted_p: float | None = None  # P(next bar closes up | trigger bar)
    t_dof: float = 5.0
    alpha: float = 0.08
    beta: float = 0.90
    calm_vol: float = 0.008  # long-run daily volatility in each regime
    turbulent_vol: float = 0.02
    switch_prob: float = 1 / 250
    gap_share: float = 0.2  # share of the daily variance that happens overnight
    drift: float = 0.0
    intrabar_steps: int = 16
    fit_share: float = 0.6  # the leading share of bars the trigger's bins are fitted on

    def describe(self) -> str:
        text = (f"synthetic market: {self.n_bars} bars, seed {self.seed}, GARCH(1,1)-t "
                f"(dof {self.t_dof:g}), regimes {self.calm_vol:g}/{self.turbulent_vol:g}")
        if self.planted_p is not None:
            text += (f"; planted: after a strong falling bar with a long lower wick the "
                     f"next bar rises with p = {self.planted_p:g} (and the mirror image)")
        return text

    def _log_bars(self, rng: np.random.Generator) -> np.ndarray:
        """Columns: open, high, low, close, each in log units relative to the previous close."""
        n = self.n_bars
        shocks = rng.standard_t(self.t_dof, size=(n, 2)) / np.sqrt(self.t_dof / (self.t_dof - 2))
        switches = rng.random(n) < self.switch_prob
        turbulent = (np.cumsum(switches) % 2).astype(bool)
        long_run = np.where(turbulent, self.turbulent_vol, self.calm_vol) ** 2
        omega = long_run * (1.0 - self.alpha - self.beta)
        var = np.empty(n)
        ret = np.empty(n)
        v = long_run[0]
        z_day = np.sqrt(self.gap_share) * shocks[:, 0] + np.sqrt(1 - self.gap_share) * shocks[:, 1]
        for t in range(n):  # the variance recursion is inherently sequential
            var[t] = v
            ret[t] = np.sqrt(v) * z_day[t]
            v = omega[t] + self.alpha * ret[t] ** 2 + self.beta * v
        sigma = np.sqrt(var)
        gap = self.drift * self.gap_share + sigma * np.sqrt(self.gap_share) * shocks[:, 0]
        body = ret - gap + self.drift
        k = self.intrabar_steps
        step_size = sigma * np.sqrt(1 - self.gap_share) / np.sqrt(k)
        steps = rng.standard_normal((n, k)) * step_size[:, None]
        walk = np.cumsum(steps, axis=1)
        frac = np.arange(1, k + 1) / k
        bridge = walk - frac * walk[:, -1:] + frac * body[:, None]
        high = np.maximum(bridge.max(axis=1), np.maximum(0.0, body))
        low = np.minimum(bridge.min(axis=1), np.minimum(0.0, body))
        return np.column_stack([gap, gap + high, gap + low, gap + body])

    @staticmethod
    def _prices(rel: np.ndarray, start: float = 100.0) -> np.ndarray:
        prev_close = np.log(start) + np.concatenate([[0.0], np.cumsum(rel[:-1, 3])])
        return np.exp(rel + prev_close[:, None])

    def _plant(self, rel: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        prices = self._prices(rel)
        feats = candle_features(*prices.T)
        settings = FeatureSettings()
        fit = feats["valid"] & (np.arange(self.n_bars) < int(self.fit_share * self.n_bars))
        _, b, u, w, _ = CandleTokenizer.fit(feats, fit).components(feats)
        valid = feats["valid"]
        draws = rng.random(self.n_bars)
        rel = rel.copy()
        for t in range(settings.warmup, self.n_bars - 1):
            if b[t] == 0 and w[t] == 1:
                should_rise = draws[t + 1] < self.planted_p
            elif b[t] == 4 and u[t] == 1:
                should_rise = draws[t + 1] >= self.planted_p
            else:
                continue
            if should_rise != (rel[t + 1, 3] > 0) and valid[t + 1]:
                o, h, lo, c = rel[t + 1]
                rel[t + 1] = (-o, -lo, -h, -c)  # mirror around the previous close
                b[t + 1] = 4 - b[t + 1]
                u[t + 1], w[t + 1] = w[t + 1], u[t + 1]
        return rel

    def arrays(self) -> dict[str, np.ndarray]:
        """open, high, low, close, volume as numpy arrays (no timestamps: any length)."""
        rng = np.random.default_rng(self.seed)
        rel = self._log_bars(rng)
        if self.planted_p is not None:
            rel = self._plant(rel, rng)
        prices = self._prices(rel)
        size = np.minimum(np.abs(rel[:, 3]) / np.maximum(np.abs(rel[:, 3]).mean(), 1e-12), 8.0)
        volume = np.round(1e6 * np.exp(0.3 * rng.standard_normal(self.n_bars) + 0.3 * size))
        return dict(zip(("open", "high", "low", "close"), prices.T, strict=True)) | {
            "volume": volume}

    def intraday_bars(self, bar_minutes: int = 1, start: str = "2021-01-04",
                      half_day_every: int = 40, overnight_vol: float = 2.0) -> pd.DataFrame:
        """`n_bars` intraday bars in sessions of 09:30-16:00 on weekdays (naive local time).

        Volatility and volume follow a U shape over the session (high at the open and the
        close, low at midday); each session opens after an overnight gap `overnight_vol`
        times a bar's typical move; every `half_day_every`-th session closes at 13:00.
        The GARCH-t bars of `arrays` supply the shocks, rescaled by the profile.
        """
        full = 390 // bar_minutes
        half = 210 // bar_minutes
        lengths: list[int] = []
        while sum(lengths) < self.n_bars:
            day = len(lengths) + 1
            lengths.append(half if day % half_day_every == 0 else full)
        lengths[-1] -= sum(lengths) - self.n_bars
        days = pd.bdate_range(start, periods=len(lengths))
        minute = np.concatenate([np.arange(k) * bar_minutes for k in lengths])
        first = np.concatenate([[True] + [False] * (k - 1) for k in lengths])
        day_of_bar = np.repeat(days.to_numpy(), lengths)
        stamps = day_of_bar + np.timedelta64(9 * 60 + 30, "m") + minute.astype("timedelta64[m]")
        x = (minute + bar_minutes / 2) / 390.0  # 0 at the open, 1 at the close
        profile = 0.6 + 2.4 * (x - 0.5) ** 2 / 0.25 * 0.5  # U: 1.8 at the ends, 0.6 midday
        rng = np.random.default_rng(self.seed + 1)
        rel = self._log_bars(np.random.default_rng(self.seed)) * profile[:, None]
        rel[first] += (overnight_vol * self.calm_vol * rng.standard_normal(first.sum()))[:, None]
        prices = self._prices(rel)
        volume = np.round(1e4 * profile * np.exp(0.3 * rng.standard_normal(self.n_bars)))
        frame = pd.DataFrame(prices, columns=["open", "high", "low", "close"])
        frame["volume"] = volume
        frame.insert(0, "timestamp", stamps)
        return frame

    def bars(self) -> pd.DataFrame:
        """The bars as a frame with daily timestamps from 1900."""
        if self.n_bars > MAX_DAILY_BARS:
            raise ValueError(f"at most {MAX_DAILY_BARS} daily bars; use arrays() for more")
        frame = pd.DataFrame(self.arrays())
        frame.insert(0, "timestamp", pd.date_range(START, periods=self.n_bars, freq="D"))
        return frame
