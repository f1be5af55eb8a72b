"""The search benchmark's quick mode runs, and its numbers are the ones the milestone reads."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np

BENCH = Path(__file__).resolve().parents[2] / "benchmarks" / "pattern_search.py"


def _load():
    spec = importlib.util.spec_from_file_location("pattern_search", BENCH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_quick_benchmark_reports_the_milestone_keys() -> None:
    out = _load().measure(quick=True)
    for key in ("search_ms_per_query_1e5", "search_speedup_vs_stumpy", "search_recall_vs_exact"):
        assert np.isfinite(out[key]) and out[key] > 0
    assert out["bench_1e5_faiss_flat_recall"] == 1.0
    assert 0.0 <= out["search_recall_vs_exact"] <= 1.0


def test_znormalised_inner_product_ranks_like_znormalised_distance() -> None:
    b = _load()
    series = b.price_series(400, seed=3)
    x = b.znorm_windows(series, 16)
    q = x[100]
    dist = np.linalg.norm((x - q) * np.sqrt(16), axis=1)  # z-normalised Euclidean
    np.testing.assert_array_equal(np.argsort(dist)[:5], np.argsort(-(x @ q))[:5])
