"""Similar-window search: milliseconds per query at 10^5 (and 10^6) windows, against stumpy.

Every method searches the same windows: all length-M subsequences of one long price
series, z-normalised (the distance `stumpy.match` uses; on z-normalised windows scaled to
unit length, the smallest z-normalised Euclidean distance is the largest inner product,
so one ranking serves all). Reported, from one run on one core:

- numpy exact   one matrix product and argpartition (the library's `ExactIndex`)
- faiss exact   IndexFlatIP
- faiss HNSW    approximate; its recall@k against the exact top k is measured
- stumpy.match  the reference: z-normalised distance profile of the query over the series

Goals (issue 9): under 5 ms per query at 10^5 windows and at least 30x faster than
stumpy.match. Queries are answered one at a time (latency, like stumpy), and batched
throughput is printed beside it.

    python benchmarks/pattern_search.py            # 10^5 and 10^6 windows
    python benchmarks/pattern_search.py --quick    # seconds: small sizes, for the tests
"""

from __future__ import annotations

import os

for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
    os.environ.setdefault(var, "1")  # one core, before numpy loads

import argparse  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

from dlip.patterns.index import ExactIndex, FaissIndex, recall  # noqa: E402

try:  # one core for faiss too
    import faiss

    faiss.omp_set_num_threads(1)
except ImportError:  # the summary says which methods ran
    pass

M = 32  # bars per window (the model's context)
K = 10


def price_series(n: int, seed: int = 0) -> np.ndarray:
    """A log-price path with volatility clustering (slowly varying scale, t(4) shocks)."""
    rng = np.random.default_rng(seed)
    vol = np.exp(np.cumsum(rng.normal(0, 0.02, n)) * 0.5)
    vol = 0.01 * vol / np.median(vol)
    return np.cumsum(vol * rng.standard_t(4, n)).astype(np.float64)


def znorm_windows(series: np.ndarray, m: int = M) -> np.ndarray:
    """All length-m windows, z-normalised and scaled to unit length (float32)."""
    w = np.lib.stride_tricks.sliding_window_view(series, m)
    mu = w.mean(1, keepdims=True)
    sd = w.std(1, keepdims=True)
    z = (w - mu) / np.maximum(sd, 1e-12) / np.sqrt(m)
    return np.ascontiguousarray(z, dtype=np.float32)


def _per_query(search, queries: np.ndarray) -> tuple[float, np.ndarray]:
    """Milliseconds per query, answering one at a time; and the result indices."""
    out = []
    start = time.perf_counter()
    for q in queries:
        out.append(search(q[None, :])[0][0])
    return 1e3 * (time.perf_counter() - start) / len(queries), np.array(out)


def _batched(search, queries: np.ndarray) -> float:
    start = time.perf_counter()
    search(queries)
    return 1e3 * (time.perf_counter() - start) / len(queries)


def run_size(n: int, n_queries: int, n_stumpy: int, seed: int = 0,
             approx: str = "hnsw") -> dict:
    """Every method at n windows. Query windows are the series' own windows (positions
    drawn at random), so the exact top-1 is the query itself. `approx` is the faiss
    approximate index: HNSW, or IVF (whose build is much quicker at 10^6)."""
    series = price_series(n + M - 1, seed)
    x = znorm_windows(series)
    rng = np.random.default_rng(seed + 1)
    pos = rng.choice(n, n_queries, replace=False)
    queries = x[pos]
    res: dict = {"windows": n}

    t0 = time.perf_counter()
    exact = ExactIndex(x)
    res["numpy_build_s"] = time.perf_counter() - t0
    res["numpy_ms"], exact_idx = _per_query(lambda q: exact.search(q, K), queries)
    res["numpy_batched_ms"] = _batched(lambda q: exact.search(q, K), queries)
    assert (exact_idx[:, 0] == pos).all(), "exact search must find each query itself first"

    t0 = time.perf_counter()
    flat = FaissIndex(x, "flat")
    res["faiss_flat_build_s"] = time.perf_counter() - t0
    res["faiss_flat_ms"], flat_idx = _per_query(lambda q: flat.search(q, K), queries)
    res["faiss_flat_batched_ms"] = _batched(lambda q: flat.search(q, K), queries)
    res["faiss_flat_recall"] = recall(flat_idx, exact_idx)

    t0 = time.perf_counter()
    if approx == "hnsw":
        hnsw = FaissIndex(x, "hnsw", hnsw_m=16, ef_search=64)
    else:
        hnsw = FaissIndex(x, "ivf", nlist=1024, nprobe=32)
    res["faiss_approx_kind"] = approx
    res["faiss_hnsw_build_s"] = time.perf_counter() - t0
    res["faiss_hnsw_ms"], hnsw_idx = _per_query(lambda q: hnsw.search(q, K), queries)
    res["faiss_hnsw_batched_ms"] = _batched(lambda q: hnsw.search(q, K), queries)
    res["faiss_hnsw_recall"] = recall(hnsw_idx, exact_idx)

    if n_stumpy:
        import stumpy

        stumpy.match(series[:M], series[: 4 * M], max_matches=K)  # compile once, not timed
        start = time.perf_counter()
        for p in pos[:n_stumpy]:
            found = stumpy.match(series[p:p + M], series, max_matches=K)
            assert int(found[0][1]) == p, "stumpy's best match must be the query itself"
        res["stumpy_ms"] = 1e3 * (time.perf_counter() - start) / n_stumpy
    return res


def summary(res: dict) -> dict:
    """The milestone's three numbers: the fastest search whose recall against exact search
    is at least 0.95, its speed-up over stumpy.match, and the approximate index's recall."""
    options = [("numpy exact", res["numpy_ms"], 1.0), ("faiss exact", res["faiss_flat_ms"], 1.0),
               ("faiss HNSW", res["faiss_hnsw_ms"], res["faiss_hnsw_recall"])]
    name, ms, _ = min((o for o in options if o[2] >= 0.95), key=lambda o: o[1])
    out = {"search_ms_per_query_1e5": round(ms, 4), "search_method_1e5": name,
           "search_recall_vs_exact": round(res["faiss_hnsw_recall"], 4)}
    if "stumpy_ms" in res:
        out["search_speedup_vs_stumpy"] = round(res["stumpy_ms"] / ms, 1)
        out["search_stumpy_ms_per_query_1e5"] = round(res["stumpy_ms"], 3)
    return out


def measure(quick: bool = False, big: bool = False) -> dict:
    """Run the benchmark; returns the summary keys plus every raw figure (prefixed)."""
    n = 5_000 if quick else 100_000
    res = run_size(n, n_queries=20 if quick else 200, n_stumpy=2 if quick else 10)
    out = summary(res) | {f"bench_1e5_{k}": v for k, v in res.items()}
    if big and not quick:
        out |= {f"bench_1e6_{k}": v for k, v in
                run_size(1_000_000, n_queries=100, n_stumpy=2, approx="ivf").items()}
    return out


def _print(res: dict, tag: str) -> None:
    ref = res[f"{tag}_numpy_ms"]
    print(f"{res[f'{tag}_windows']:,} windows of {M} bars, k={K}, one query at a time "
          f"(batched per query in brackets):")
    rows = [("numpy exact", "numpy"), ("faiss exact (IndexFlatIP)", "faiss_flat"),
            (f"faiss {res[f'{tag}_faiss_approx_kind'].upper()} (approximate)", "faiss_hnsw")]
    for label, key in rows:
        ms = res[f"{tag}_{key}_ms"]
        extra = (f", recall@{K} vs exact {res[f'{tag}_{key}_recall']:.3f}"
                 if f"{tag}_{key}_recall" in res else "")
        print(f"  {label:<27} {ms:8.3f} ms  ({res[f'{tag}_{key}_batched_ms']:.3f} ms) "
              f"build {res[f'{tag}_{key}_build_s']:.2f} s, {ref / ms:5.1f}x numpy{extra}")
    if f"{tag}_stumpy_ms" in res:
        print(f"  {'stumpy.match':<27} {res[f'{tag}_stumpy_ms']:8.3f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes; runs in seconds")
    parser.add_argument("--skip-1e6", action="store_true", help="only 10^5 windows")
    args = parser.parse_args()
    out = measure(quick=args.quick, big=not args.skip_1e6)
    _print(out, "bench_1e5")
    if "bench_1e6_windows" in out:
        _print(out, "bench_1e6")
    print(f"fastest search with recall >= 0.95: {out['search_method_1e5']}, "
          f"{out['search_ms_per_query_1e5']:.3f} ms per query (goal < 5 ms: "
          f"{'met' if out['search_ms_per_query_1e5'] < 5 else 'MISSED'})")
    if "search_speedup_vs_stumpy" in out:
        s = out["search_speedup_vs_stumpy"]
        print(f"speed-up vs stumpy.match on the same windows: {s:.0f}x (goal >= 30x: "
              f"{'met' if s >= 30 else 'MISSED'}); HNSW recall vs exact "
              f"{out['search_recall_vs_exact']:.3f}")


if __name__ == "__main__":
    main()
