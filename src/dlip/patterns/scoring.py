"""One scorer for every model and baseline: log-loss, calibration, and whether a gap is real.

- log-loss per bar: direction -[y ln p + (1-y) ln(1-p)], range -ln p(true class)
- ECE with 15 equal-width bins: sum over bins of (bin share) * |observed frequency - mean p|,
  for p_up and for each range class one-against-the-rest; the bins are also the data of a
  reliability diagram
- the difference of mean log-loss between two models with a 95% block-bootstrap interval:
  bars are summed per date first (every symbol's bar of a date moves together), then dates
  are resampled in blocks (`arch.bootstrap.StationaryBootstrap`), so neither the cross-section
  nor the serial dependence of losses makes the interval too narrow
- Hansen's SPA test (`arch.bootstrap.SPA`) of "no model beats the benchmark" over every model
  tried, and the model confidence set (`arch.bootstrap.MCS`), on per-date mean losses

An edge is claimed only when the interval against the benchmark lies wholly below zero AND
the SPA test rejects at 5% AND its stepwise version (StepM) names that very model among
those that beat the benchmark: one lucky model among many does not count, and another
model's edge does not lend its significance.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from dlip.patterns.targets import RANGE_CLASSES, RANGE_PROB_COLUMNS

ECE_BINS = 15
EPS = 1e-12
ALPHA = 0.05
KEY = ["symbol", "timestamp"]


def direction_losses(p_up: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Per-bar log-loss (nats) of P(up) = p_up when the outcome is y (1 up, 0 not)."""
    p = np.clip(np.asarray(p_up, float), EPS, 1 - EPS)
    y = np.asarray(y)
    return -np.where(y == 1, np.log(p), np.log(1 - p))


def range_losses(p: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Per-bar log-loss (nats) of class probabilities p (n x 3) when the class is y."""
    p = np.asarray(p, float)
    y = np.asarray(y, int)
    return -np.log(np.clip(p[np.arange(len(y)), y], EPS, 1.0))


def reliability(p: np.ndarray, y: np.ndarray, bins: int = ECE_BINS) -> pd.DataFrame:
    """Per equal-width bin of predicted probability: count, mean prediction, observed rate."""
    p = np.asarray(p, float)
    y = np.asarray(y, float)
    which = np.minimum((p * bins).astype(int), bins - 1)
    count = np.bincount(which, minlength=bins)
    sum_p = np.bincount(which, weights=p, minlength=bins)
    sum_y = np.bincount(which, weights=y, minlength=bins)
    with np.errstate(invalid="ignore", divide="ignore"):
        return pd.DataFrame({
            "lo": np.arange(bins) / bins,
            "hi": np.arange(1, bins + 1) / bins,
            "count": count,
            "mean_p": np.where(count > 0, sum_p / count, np.nan),
            "observed": np.where(count > 0, sum_y / count, np.nan),
        })


def ece(p: np.ndarray, y: np.ndarray, bins: int = ECE_BINS) -> float:
    """Expected calibration error over equal-width bins (0 = perfectly calibrated)."""
    r = reliability(p, y, bins)
    used = r["count"] > 0
    gap = (r["observed"] - r["mean_p"]).abs()[used]
    return float((r["count"][used] * gap).sum() / max(int(r["count"].sum()), 1))


def attach_targets(frame: pd.DataFrame, table: pd.DataFrame, targets: pd.DataFrame) -> pd.DataFrame:
    """The prediction frame joined to its outcomes (y_up, y_range) on symbol and timestamp;
    rows without an outcome (a symbol's last bar) are dropped."""
    truth = pd.DataFrame({
        "symbol": table["symbol"].astype(str).to_numpy(),
        "timestamp": pd.to_datetime(table["timestamp"]).to_numpy(),
        "y_up": targets["next_up"].to_numpy(),
        "y_range": targets["range_class"].to_numpy(),
    })
    f = frame.copy()
    f["symbol"] = f["symbol"].astype(str)
    f["timestamp"] = pd.to_datetime(f["timestamp"])
    out = f.merge(truth, on=KEY, how="inner", validate="one_to_one")
    return out[(out["y_up"] >= 0) & (out["y_range"] >= 0)].reset_index(drop=True)


def score_frame(frame: pd.DataFrame, table: pd.DataFrame, targets: pd.DataFrame) -> dict:
    """Log-loss and ECE of one prediction frame against the dataset's outcomes."""
    s = attach_targets(frame, table, targets)
    p_rng = s[list(RANGE_PROB_COLUMNS)].to_numpy(float)
    ece_rng = [ece(p_rng[:, c], (s["y_range"] == c).to_numpy()) for c in range(3)]
    return {
        "n": len(s),
        "direction_logloss": float(direction_losses(s["p_up"], s["y_up"]).mean()),
        "range_logloss": float(range_losses(p_rng, s["y_range"]).mean()),
        "ece_direction": ece(s["p_up"].to_numpy(float), s["y_up"].to_numpy()),
        **{f"ece_range_{name}": v for name, v in zip(RANGE_CLASSES, ece_rng, strict=True)},
        "ece_range_max": max(ece_rng),
    }


def per_bar_losses(
    frames: dict[str, pd.DataFrame], table: pd.DataFrame, targets: pd.DataFrame
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Direction and range log-loss per bar for every model, on the bars all of them cover.

    Returns two frames indexed by (symbol, timestamp), one column per model.
    """
    direction, rng = {}, {}
    for name, frame in frames.items():
        s = attach_targets(frame, table, targets).set_index(KEY)
        direction[name] = pd.Series(direction_losses(s["p_up"], s["y_up"]), index=s.index)
        rng[name] = pd.Series(
            range_losses(s[list(RANGE_PROB_COLUMNS)].to_numpy(float), s["y_range"]), index=s.index)
    d = pd.DataFrame(direction).dropna()
    r = pd.DataFrame(rng).dropna()
    return d.sort_index(level="timestamp"), r.sort_index(level="timestamp")


def _per_date(values: pd.Series | pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Sums and counts of per-bar values per date (dates in time order)."""
    ts = values.index.get_level_values("timestamp")
    g = values.groupby(ts)
    return g.sum().to_numpy(float), g.count().to_numpy(float)


def block_size(series: np.ndarray) -> int:
    """The stationary bootstrap's mean block length (Politis-White), at least 5 dates."""
    from arch.bootstrap import optimal_block_length

    series = np.asarray(series, float)
    if np.ptp(series) == 0:
        return 5
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        b = float(optimal_block_length(series).iloc[0]["stationary"])
    return int(max(5, min(np.ceil(b) if np.isfinite(b) else 5, len(series) // 4 or 5)))


@dataclass(frozen=True)
class Difference:
    """mean loss(a) - mean loss(b) per bar, and its 95% block-bootstrap interval."""

    mean: float
    lo: float
    hi: float
    block: int
    n_bars: int

    @property
    def excludes_zero(self) -> bool:
        return self.hi < 0 or self.lo > 0


def bootstrap_difference(
    loss_a: pd.Series, loss_b: pd.Series, reps: int = 2000, seed: int = 0,
    block: int | None = None, level: float = 0.95,
) -> Difference:
    """Block-bootstrap interval of mean(loss_a - loss_b) over bars (negative: a is better).

    The losses are per bar, indexed by (symbol, timestamp) on the same bars.
    """
    from arch.bootstrap import StationaryBootstrap

    diff = (loss_a - loss_b).dropna()
    if len(diff) < 10:
        raise ValueError(f"only {len(diff)} common bars to compare")
    sums, counts = _per_date(diff)
    block = block or block_size(sums / counts)
    bs = StationaryBootstrap(block, sums, counts, seed=seed)
    draws = bs.apply(lambda s, c: np.array([s.sum() / c.sum()]), reps)[:, 0]
    tail = (1 - level) / 2 * 100
    lo, hi = np.percentile(draws, [tail, 100 - tail])
    return Difference(float(diff.mean()), float(lo), float(hi), int(block), len(diff))


def _date_means(losses: pd.DataFrame) -> pd.DataFrame:
    ts = losses.index.get_level_values("timestamp")
    return losses.groupby(ts).mean()


def spa_pvalues(
    losses: pd.DataFrame, benchmark: str, reps: int = 2000, seed: int = 0,
    block: int | None = None, size: float = ALPHA,
) -> dict:
    """Hansen's SPA test of 'no other model has lower expected loss than the benchmark', and
    the stepwise version (Romano-Wolf StepM) naming which models beat it at `size`.

    `losses`: per-bar losses, one column per model tried. Models whose losses equal the
    benchmark's on every bar (the same forecast) add nothing and are left out.
    Returns the lower, consistent and upper p-values, the models compared and the superior
    ones.
    """
    from arch.bootstrap import SPA, StepM

    daily = _date_means(losses)
    bench = daily[benchmark]
    others = [c for c in daily.columns
              if c != benchmark and not np.allclose(daily[c], bench, rtol=0, atol=1e-12)]
    if not others:
        return {"lower": 1.0, "consistent": 1.0, "upper": 1.0, "models": [], "superior": [],
                "block": 0}
    block = block or block_size((daily[others].mean(axis=1) - bench).to_numpy())
    spa = SPA(bench.to_numpy(), daily[others], block_size=block, reps=reps, seed=seed)
    spa.compute()
    p = spa.pvalues
    step = StepM(bench.to_numpy(), daily[others], size=size, block_size=block, reps=reps,
                 seed=seed)
    step.compute()
    return {"lower": float(p["lower"]), "consistent": float(p["consistent"]),
            "upper": float(p["upper"]), "models": others,
            "superior": [str(x) for x in step.superior_models], "block": int(block)}


def model_confidence_set(
    losses: pd.DataFrame, size: float = 0.10, reps: int = 1000, seed: int = 0,
    block: int | None = None,
) -> dict[str, float]:
    """MCS p-value of every model (in the set at level `size` when p > size).

    Models with identical losses (the same forecast) enter once and share the p-value.
    """
    from arch.bootstrap import MCS

    daily = _date_means(losses)
    distinct: dict[str, list[str]] = {}
    for col in daily.columns:
        twin = next((k for k in distinct
                     if np.allclose(daily[k], daily[col], rtol=0, atol=1e-12)), None)
        distinct.setdefault(twin or col, []).append(col)
    if len(distinct) < 2:
        return {str(c): 1.0 for c in daily.columns}
    kept = daily[list(distinct)]
    block = block or block_size((kept.iloc[:, 0] - kept.mean(axis=1)).to_numpy())
    mcs = MCS(kept, size=size, reps=reps, block_size=block, seed=seed)
    mcs.compute()
    p = mcs.pvalues.iloc[:, 0]
    return {str(twin): float(p[k]) for k, twins in distinct.items() for twin in twins}


def edge_verdict(difference: Difference, spa: dict, subject: str) -> str:
    """'yes' only when the interval of `subject` against the benchmark is wholly below zero,
    the SPA test over every model tried rejects at 5% and its stepwise version names
    `subject` among the models that beat the benchmark; otherwise 'no'."""
    agrees = spa["consistent"] < ALPHA and subject in spa.get("superior", [])
    return "yes" if difference.hi < 0 and agrees else "no"
