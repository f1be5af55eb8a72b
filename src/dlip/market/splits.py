"""Walk-forward splits cut at the same dates for every symbol, with an embargo between.

The calendar is the union of every symbol's timestamps. The first `train` share of its
dates is the training period, then `embargo` dates that belong to no split, then the
validation period, another embargo, and the test period. Cutting by date rather than by
each symbol's own row count means no symbol's future sits in another's past.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

SPLITS = ("train", "val", "test")
EMBARGO = "embargo"


@dataclass(frozen=True)
class SplitSettings:
    train: float = 0.6
    val: float = 0.2  # the test period is what is left
    embargo: int = 10  # calendar dates left out after the training and validation periods

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Cuts:
    """Where the periods start and end; the embargo is [train_end, val_start) and
    [val_end, test_start)."""

    train_end: pd.Timestamp  # first date not in train (the embargo starts here)
    val_start: pd.Timestamp
    val_end: pd.Timestamp
    test_start: pd.Timestamp

    def to_dict(self) -> dict:
        return {k: str(v) for k, v in asdict(self).items()}


def cut_dates(
    timestamps: pd.Series | np.ndarray, settings: SplitSettings = SplitSettings()
) -> Cuts:
    """Cut points on the union calendar of all symbols."""
    calendar = pd.DatetimeIndex(timestamps).unique().sort_values()
    n = len(calendar)
    e = settings.embargo
    train_end = int(n * settings.train)
    val_end = int(n * (settings.train + settings.val))
    if not (0 < train_end and train_end + e < val_end and val_end + e < n):
        raise ValueError(f"{n} dates are too few for the splits {settings}")
    pick = lambda i: pd.Timestamp(calendar[i])  # noqa: E731
    return Cuts(pick(train_end), pick(train_end + e), pick(val_end), pick(val_end + e))


def assign(timestamps: pd.Series | np.ndarray, cuts: Cuts) -> np.ndarray:
    """The split of each bar: 'train', 'val', 'test' or 'embargo'."""
    ts = pd.DatetimeIndex(timestamps)
    out = np.full(len(ts), EMBARGO, dtype=object)
    out[ts < cuts.train_end] = "train"
    out[(ts >= cuts.val_start) & (ts < cuts.val_end)] = "val"
    out[ts >= cuts.test_start] = "test"
    return out
