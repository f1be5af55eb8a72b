"""Nearest-neighbour indexes over unit vectors: exact on numpy, exact or approximate on faiss.

Similarity is the inner product (cosine for unit vectors). Every index answers
`search(queries, k, limit=None)`: the k most similar of the first `limit[i]` stored
vectors for query i (all of them when `limit` is None). Stored vectors are kept in the
order they were added, so a database sorted by outcome time turns the walk-forward rule
into a prefix: query i may only see rows 0..limit[i]-1.
"""

from __future__ import annotations

import numpy as np

CHUNK = 512  # queries per matrix product: 512 x 100,000 float32 is 200 MB


def top_k(scores: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Row-wise k largest scores, best first; index -1 where a row has fewer than k finite."""
    n, m = scores.shape
    kk = min(k, m)
    if kk == 0:
        return np.full((n, k), -1, np.int64), np.full((n, k), -np.inf, np.float32)
    part = np.argpartition(-scores, kk - 1, axis=1)[:, :kk]
    vals = np.take_along_axis(scores, part, axis=1)
    order = np.argsort(-vals, axis=1, kind="stable")
    idx = np.take_along_axis(part, order, axis=1).astype(np.int64)
    vals = np.take_along_axis(vals, order, axis=1).astype(np.float32)
    idx[~np.isfinite(vals)] = -1
    if kk < k:
        idx = np.pad(idx, ((0, 0), (0, k - kk)), constant_values=-1)
        vals = np.pad(vals, ((0, 0), (0, k - kk)), constant_values=-np.inf)
    return idx, vals


class ExactIndex:
    """Brute force: one matrix product per chunk of queries, then argpartition."""

    def __init__(self, vectors: np.ndarray) -> None:
        self.vectors = np.ascontiguousarray(vectors, dtype=np.float32)

    def __len__(self) -> int:
        return len(self.vectors)

    def search(self, queries: np.ndarray, k: int,
               limit: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        q = np.ascontiguousarray(queries, dtype=np.float32)
        out_i = np.empty((len(q), k), np.int64)
        out_s = np.empty((len(q), k), np.float32)
        cols = np.arange(len(self.vectors))
        for a in range(0, len(q), CHUNK):
            s = q[a:a + CHUNK] @ self.vectors.T
            if limit is not None:
                s[cols[None, :] >= np.asarray(limit)[a:a + CHUNK, None]] = -np.inf
            out_i[a:a + CHUNK], out_s[a:a + CHUNK] = top_k(s, k)
        return out_i, out_s


class FaissIndex:
    """faiss on the CPU: 'flat' (exact inner product), 'hnsw' or 'ivf' (approximate).

    A prefix limit is passed as an IDSelectorRange, so walk-forward search stays a
    filter inside faiss rather than a post-filter that could return too few rows.
    """

    def __init__(self, vectors: np.ndarray, kind: str = "flat", *, hnsw_m: int = 32,
                 ef_search: int = 64, nlist: int | None = None, nprobe: int = 8) -> None:
        import faiss

        self.faiss = faiss
        x = np.ascontiguousarray(vectors, dtype=np.float32)
        d = x.shape[1]
        self.kind = kind
        if kind == "flat":
            self.index = faiss.IndexFlatIP(d)
        elif kind == "hnsw":
            self.index = faiss.IndexHNSWFlat(d, hnsw_m, faiss.METRIC_INNER_PRODUCT)
            self.index.hnsw.efConstruction = 80
            self.index.hnsw.efSearch = ef_search
        elif kind == "ivf":
            nlist = nlist or max(1, int(4 * np.sqrt(len(x))))
            quantizer = faiss.IndexFlatIP(d)
            self.index = faiss.IndexIVFFlat(quantizer, d, nlist, faiss.METRIC_INNER_PRODUCT)
            # k-means on at most 64 points per list: enough for the centroids, and fast
            sample = np.random.default_rng(0).permutation(len(x))[: 64 * nlist]
            self.index.train(x[np.sort(sample)])
            self.index.nprobe = nprobe
            self._quantizer = quantizer
        else:
            raise ValueError(f"unknown faiss index kind {kind!r} (flat, hnsw, ivf)")
        self.index.add(x)
        self.ef_search = ef_search
        self.nprobe = nprobe

    def __len__(self) -> int:
        return int(self.index.ntotal)

    def _params(self, selector):
        f = self.faiss
        if self.kind == "hnsw":
            return f.SearchParametersHNSW(sel=selector, efSearch=self.ef_search)
        if self.kind == "ivf":
            return f.SearchParametersIVF(sel=selector, nprobe=self.nprobe)
        return f.SearchParameters(sel=selector)

    def search(self, queries: np.ndarray, k: int,
               limit: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        q = np.ascontiguousarray(queries, dtype=np.float32)
        if limit is None:
            s, i = self.index.search(q, k)
        else:
            i = np.full((len(q), k), -1, np.int64)
            s = np.full((len(q), k), -np.inf, np.float32)
            limit = np.asarray(limit)
            for n in np.unique(limit):  # queries sharing a limit are searched together
                rows = np.flatnonzero(limit == n)
                if n <= 0:
                    continue
                sel = self.faiss.IDSelectorRange(0, int(n))
                s[rows], i[rows] = self.index.search(q[rows], k, params=self._params(sel))
        i = np.asarray(i, np.int64)
        s = np.where(i >= 0, s, -np.inf).astype(np.float32)
        return i, s


def recall(approx: np.ndarray, exact: np.ndarray) -> float:
    """Share of the exact top-k found by the approximate search (per query, then averaged)."""
    hits = [len(set(a[a >= 0]) & set(e[e >= 0])) / max(1, (e >= 0).sum())
            for a, e in zip(approx, exact, strict=True)]
    return float(np.mean(hits)) if hits else float("nan")
