"""Shared fixtures: CSV writers, small synthetic markets and a dataset built once."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from dlip.market.sources import SymbolBars

GOOD_CSV = """Date,Open,High,Low,Close,Adj Close,Volume
2024-01-02,10,11,9.5,10.5,10.5,1000
2024-01-03,10.5,11.2,10.1,11,11,1200
2024-01-04,11,11.5,10.8,10.9,10.9,900
"""


@pytest.fixture
def make_csv(tmp_path: Path):
    """`make_csv("name.csv", text)` writes a file in a fresh folder and returns its path."""

    def make(name: str, text: str) -> Path:
        path = tmp_path / name
        path.write_text(text.strip("\n") + "\n", encoding="utf-8")
        return path

    return make


@pytest.fixture
def good_csv(make_csv) -> Path:
    return make_csv("abc.csv", GOOD_CSV)


def _synthetic(n_bars: int = 3000, seed: int = 1, planted_p=None, symbol="SYN"):
    from dlip.market.synthetic import SYNTHETIC_INFO, SyntheticMarket

    bars = SyntheticMarket(n_bars=n_bars, seed=seed, planted_p=planted_p).bars()
    return SymbolBars(symbol, bars, SYNTHETIC_INFO)


@pytest.fixture
def synthetic():
    """`synthetic(n_bars, seed, planted_p, symbol)` gives one SymbolBars."""
    return _synthetic


@pytest.fixture(scope="session")
def small_dataset():
    """Two synthetic symbols whose calendars overlap only in part."""
    from dlip.market.dataset import assemble

    a = _synthetic(3000, seed=1, symbol="AAA")
    b = _synthetic(2500, seed=2, symbol="BBB")
    b.bars["timestamp"] = b.bars["timestamp"] + pd.Timedelta(days=300)
    return assemble([a, b])


def write_synthetic_csv(path: Path, symbols: int, bars: int, seed: int = 5) -> Path:
    """One CSV of `symbols` synthetic markets (a symbol column), prices to 6 decimals."""
    from dlip.market.synthetic import SyntheticMarket

    frames = []
    for k in range(symbols):
        f = SyntheticMarket(n_bars=bars, seed=seed + k).bars()
        f.insert(0, "symbol", f"S{k:03d}")
        frames.append(f)
    pd.concat(frames).to_csv(path, index=False, float_format="%.6f")
    return path


@pytest.fixture(scope="session")
def synthetic_csv():
    """`synthetic_csv(path, symbols, bars)` writes a many-symbol CSV and returns its path."""
    return write_synthetic_csv
