"""Walk-forward analogs: the most similar past windows whose outcomes were already known.

The database is every bar with a next bar, sorted by the calendar position of that next
bar (its outcome). A query at calendar position c may use rows whose outcome position is
< c - embargo: a prefix of the sorted database, so any index answers it with a `limit`.

From the neighbours' outcomes come the analog probabilities: softmax weights on
similarity / tau, shrunk toward the training base rate by `prior_strength` pseudo-bars
(weighted by the neighbours' effective number), so a query with few or scattered analogs
falls back to the base rate instead of to a handful of noisy outcomes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from dlip.patterns.index import ExactIndex


@dataclass
class AnalogDatabase:
    """Vectors of past windows, sorted by outcome time, with their table rows."""

    rows: np.ndarray  # table row of each stored vector
    outcome_cal: np.ndarray  # ascending
    vectors: np.ndarray

    @classmethod
    def build(cls, vectors: np.ndarray, rows: np.ndarray,
              outcome_cal: np.ndarray) -> AnalogDatabase:
        order = np.argsort(outcome_cal[rows], kind="stable")
        r = np.asarray(rows)[order]
        return cls(r, outcome_cal[r], np.ascontiguousarray(vectors[r], dtype=np.float32))

    def limits(self, query_cal: np.ndarray, embargo: int) -> np.ndarray:
        """How many stored rows each query may see (outcome strictly before cal - embargo)."""
        return np.searchsorted(self.outcome_cal, np.asarray(query_cal) - embargo, side="left")

    def neighbours(self, queries: np.ndarray, query_cal: np.ndarray, embargo: int, k: int,
                   index=None) -> tuple[np.ndarray, np.ndarray]:
        """(table rows (n, k), similarities (n, k)); row -1 where fewer than k are allowed."""
        index = index if index is not None else ExactIndex(self.vectors)
        i, s = index.search(queries, k, limit=self.limits(query_cal, embargo))
        return np.where(i >= 0, self.rows[np.maximum(i, 0)], -1), s


def analog_probs(
    idx: np.ndarray, sims: np.ndarray, labels: np.ndarray, n_classes: int,
    prior: np.ndarray, tau: float, prior_strength: float,
) -> np.ndarray:
    """Class probabilities (n, n_classes) from neighbours' labels (labels[row])."""
    ok = idx >= 0
    s = np.where(ok, sims, -np.inf) / tau
    s = s - np.max(np.where(ok, s, -1e30), axis=1, keepdims=True)
    w = np.where(ok, np.exp(s), 0.0)
    y = np.where(ok, labels[np.maximum(idx, 0)], 0)
    counts = np.stack([(w * (y == c)).sum(1) for c in range(n_classes)], axis=1)
    total = w.sum(1, keepdims=True)
    share = counts / np.maximum(total, 1e-300)
    n_eff = total**2 / np.maximum((w**2).sum(1, keepdims=True), 1e-300)
    n_eff = np.where(total > 0, n_eff, 0.0)
    return (n_eff * share + prior_strength * prior[None, :]) / (n_eff + prior_strength)


def latest_used(idx: np.ndarray, timestamps: np.ndarray) -> np.ndarray:
    """Timestamp of the most recent analog of each query (NaT where none)."""
    ts = np.asarray(timestamps).astype("datetime64[ns]")
    vals = np.where(idx >= 0, ts[np.maximum(idx, 0)], np.datetime64("NaT"))
    out = np.full(len(idx), np.datetime64("NaT"), dtype="datetime64[ns]")
    for i, row in enumerate(vals):
        good = row[~np.isnat(row)]
        if len(good):
            out[i] = good.max()
    return out
