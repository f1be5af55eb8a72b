"""Shared fixtures for the pattern model's tests: two small synthetic symbols, a tiny model."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest


def synthetic_bars(n_bars: int, seed: int, planted_p=None):
    from dlip.market.synthetic import SyntheticMarket

    return SyntheticMarket(n_bars=n_bars, seed=seed, planted_p=planted_p).bars()


def rewrite(bars: pd.DataFrame, after: pd.Timestamp, seed: int = 99) -> pd.DataFrame:
    """Every bar later than `after` scaled by its own random factor (still a valid bar)."""
    bars = bars.copy()
    late = bars["timestamp"] > after
    f = np.exp(np.random.default_rng(seed).normal(0, 0.05, int(late.sum())))
    for col in ("open", "high", "low", "close"):
        bars.loc[late, col] = bars.loc[late, col].to_numpy() * f
    return bars


def make_dataset(n_bars: int = 1500, rewrite_after: pd.Timestamp | None = None):
    """Two synthetic symbols on overlapping calendars, assembled in memory; optionally
    with every bar after `rewrite_after` rewritten."""
    from dlip.market.dataset import assemble
    from dlip.market.sources import SymbolBars
    from dlip.market.synthetic import SYNTHETIC_INFO

    a = SymbolBars("AAA", synthetic_bars(n_bars, 1, planted_p=0.8), SYNTHETIC_INFO)
    b = SymbolBars("BBB", synthetic_bars(n_bars - 200, 2, planted_p=0.8), SYNTHETIC_INFO)
    b.bars["timestamp"] = b.bars["timestamp"] + pd.Timedelta(days=150)
    if rewrite_after is not None:
        for part in (a, b):
            part.bars[:] = rewrite(part.bars, rewrite_after)
    return assemble([a, b])


@pytest.fixture(scope="session")
def small_dataset():
    return make_dataset()


@pytest.fixture(scope="session")
def tiny_model(small_dataset):
    from dlip.patterns.model import fit
    from dlip.patterns.train import FitSettings

    return fit(small_dataset, seed=0, settings=FitSettings.tiny(), progress=False)


@pytest.fixture(scope="session")
def dataset_maker():
    """`dataset_maker(rewrite_after=...)`: the small dataset with its future rewritten."""
    return make_dataset
