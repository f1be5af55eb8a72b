"""Search returns exact neighbours, and only neighbours whose outcome was already known."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dlip.patterns.analogs import AnalogDatabase, analog_probs
from dlip.patterns.index import ExactIndex, FaissIndex, recall, top_k
from dlip.patterns.targets import usable_mask


def _unit(n: int, d: int, seed: int) -> np.ndarray:
    x = np.random.default_rng(seed).normal(size=(n, d)).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def _brute(x, q, k, limit):
    out = []
    for i, v in enumerate(q):
        s = x[: limit[i]] @ v
        out.append(list(np.argsort(-s, kind="stable")[:k]))
    return out


@settings(max_examples=25, deadline=None)
@given(n=st.integers(1, 300), k=st.integers(1, 12), seed=st.integers(0, 10_000))
def test_exact_index_is_brute_force(n, k, seed) -> None:
    x, q = _unit(n, 8, seed), _unit(7, 8, seed + 1)
    limit = np.random.default_rng(seed).integers(0, n + 1, len(q))
    idx, sims = ExactIndex(x).search(q, k, limit)
    for i, want in enumerate(_brute(x, q, k, limit)):
        got = [j for j in idx[i] if j >= 0]
        assert got == want
        assert all(j < limit[i] for j in got)
        assert (idx[i][len(got):] == -1).all()
        np.testing.assert_allclose(sims[i][: len(got)], x[got] @ q[i], rtol=1e-5, atol=1e-6)


def test_faiss_flat_matches_exact_and_honours_the_limit() -> None:
    x, q = _unit(2000, 16, 0), _unit(50, 16, 1)
    limit = np.random.default_rng(2).integers(0, 2001, 50)
    e, _ = ExactIndex(x).search(q, 10, limit)
    for kind in ("flat", "hnsw"):
        f, _ = FaissIndex(x, kind).search(q, 10, limit)
        assert ((f < limit[:, None]) | (f == -1)).all()
        if kind == "flat":
            assert recall(f, e) == 1.0
        else:
            assert recall(f, e) > 0.8


def test_top_k_pads_when_rows_are_short() -> None:
    idx, s = top_k(np.array([[0.5, -np.inf, 0.9]]), 4)
    assert list(idx[0]) == [2, 0, -1, -1]
    assert np.isneginf(s[0, 2:]).all()


def test_database_neighbours_follow_the_walk_forward_rule() -> None:
    rng = np.random.default_rng(0)
    n = 500
    vectors = _unit(n, 8, 3)
    outcome_cal = rng.integers(0, 400, n)
    rows = np.flatnonzero(rng.random(n) < 0.8)
    db = AnalogDatabase.build(vectors, rows, outcome_cal)
    q_rows = rng.choice(n, 40)
    q_cal = rng.integers(0, 420, 40)
    idx, sims = db.neighbours(vectors[q_rows], q_cal, embargo=10, k=5)
    for i in range(40):
        allowed = np.intersect1d(rows, np.flatnonzero(usable_mask(outcome_cal, q_cal[i], 10)))
        s = vectors[allowed] @ vectors[q_rows[i]]
        want = allowed[np.argsort(-s, kind="stable")[:5]]
        got = idx[i][idx[i] >= 0]
        assert set(got) == set(want)
        assert (outcome_cal[got] < q_cal[i] - 10).all()


def test_analog_probs_shrink_to_the_prior() -> None:
    prior = np.array([0.5, 0.5])
    labels = np.array([1, 1, 1, 1])
    none = analog_probs(np.array([[-1, -1]]), np.array([[-np.inf, -np.inf]]), labels, 2, prior,
                        0.1, 10.0)
    assert none[0] == pytest.approx(prior)
    many = analog_probs(np.array([[0, 1, 2, 3]]), np.ones((1, 4)), labels, 2, prior, 0.1, 4.0)
    assert many[0, 1] == pytest.approx((4 + 4 * 0.5) / 8)
