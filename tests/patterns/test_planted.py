"""The planted-motif market: the motif is where it says, and its probability is recoverable."""

from __future__ import annotations

import numpy as np
import pytest

from dlip.patterns import baselines as bl
from dlip.patterns.planted import (
    MOTIF,
    MotifMarket,
    candle_windows,
    observed_p,
    recall_at_k,
    recovered_p,
)


def _search(p: float):
    ds, ends = MotifMarket(n_bars=8000, seed=5, planted_p=p).dataset()
    m = bl.Market.from_dataset(ds)
    feats, ok = candle_windows(m.table, len(MOTIF))
    pool = np.flatnonzero(ok & (m.targets["next_up"].to_numpy() >= 0))
    queries = ends[m.table["split"].to_numpy()[ends] == "test"]
    return m, ends, queries, bl._neighbours(m, queries, pool, feats, 10)


def test_bars_are_valid_and_motifs_are_planted():
    bars, ends = MotifMarket(n_bars=5000, seed=2).build()
    o, h, lo, c = (bars[k].to_numpy() for k in ("open", "high", "low", "close"))
    assert (h >= np.maximum(o, c) - 1e-12).all() and (lo <= np.minimum(o, c) + 1e-12).all()
    assert len(ends) > 50 and (np.diff(ends) >= 30).all()
    body = np.log(c / o)
    assert (body[ends - 2] < 0).all() and (body[ends] > 0).all()  # fall ... rise


@pytest.mark.parametrize("p", [0.7, 0.5])
def test_raw_window_search_finds_the_motif_and_its_probability(p):
    m, ends, queries, nb = _search(p)
    assert len(queries) >= 20
    assert recall_at_k(nb, ends, 10) >= 0.9
    analog_p = (m.targets["next_up"].to_numpy()[nb] == 1).mean()
    assert abs(analog_p - p) < 0.08
    assert abs(observed_p(m.targets, ends) - p) < 0.08


def test_recovered_p_reads_the_frame_at_motif_ends():
    m, ends, queries, _ = _search(0.7)
    frame = bl.unconditional(m, "test")
    frame.loc[frame["timestamp"].isin(m.table["timestamp"].iloc[queries]), "p_up"] = 0.66
    got = recovered_p(frame, m.table, ends)
    assert got["n"] == len(queries) and got["p"] == pytest.approx(0.66)
    assert recall_at_k(np.full((3, 10), -1), ends) == 0.0
