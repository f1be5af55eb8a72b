"""What is predicted, and what a prediction may know: the shared contract of milestone 005.

Targets of bar t of a symbol (NaN, or -1 for the integer ones, where there is no next bar):

- next_up        1 if close[t+1] > close[t] else 0
- next_return    ln(close[t+1] / close[t])
- next_log_range ln(high[t+1] / low[t+1])
- range_class    0 (low), 1 (mid), 2 (high): next_log_range cut at the terciles of THAT
                 symbol's training-split ln(high / low), fitted on rows with split == "train"
                 only (a symbol with no training rows falls back to the pooled training edges)

Walk-forward rule: a prediction for bar t may use only outcomes of bars s whose outcome bar
s+1 lies strictly before t minus the embargo, counted on the union calendar of every symbol
(the 004 splits' calendar, so no symbol's future sits in another's past).
`latest_analog` is the timestamp of the most recent bar s whose outcome a prediction used;
it must be strictly before the predicted bar's timestamp.

Every model and baseline hands its probabilities over as one frame with PREDICTION_COLUMNS,
so one scorer scores them all.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

RANGE_CLASSES = ("low", "mid", "high")
TARGET_COLUMNS = ("next_up", "next_return", "next_log_range", "range_class")
PROB_COLUMNS = ("p_up", "p_range_low", "p_range_mid", "p_range_high")
RANGE_PROB_COLUMNS = PROB_COLUMNS[1:]
PREDICTION_COLUMNS = ("symbol", "timestamp", *PROB_COLUMNS, "latest_analog")
SPLITS = ("train", "val", "test")
POOLED = "*"  # key of the pooled training edges in `range_edges`


def _next(values: np.ndarray, symbols: np.ndarray) -> np.ndarray:
    """values[t+1] where bar t+1 exists and belongs to the same symbol, else NaN."""
    out = np.full(len(values), np.nan)
    same = symbols[1:] == symbols[:-1]
    out[:-1] = np.where(same, values[1:], np.nan)
    return out


def log_range(table: pd.DataFrame) -> np.ndarray:
    """ln(high / low) of every bar."""
    return np.log(table["high"].to_numpy(float) / table["low"].to_numpy(float))


def range_edges(table: pd.DataFrame) -> dict[str, tuple[float, float]]:
    """Per symbol, the 1/3 and 2/3 quantiles of ln(high/low) over its training rows.

    Also the pooled edges under the key POOLED, used for a symbol without training rows.
    Fitted on split == "train" only: nothing after the training period moves an edge.
    """
    lr = log_range(table)
    train = (table["split"].to_numpy() == "train") & np.isfinite(lr)
    symbols = table["symbol"].to_numpy()
    if not train.any():
        raise ValueError("no training rows to fit the range terciles on")
    edges = {POOLED: tuple(float(q) for q in np.quantile(lr[train], (1 / 3, 2 / 3)))}
    for s in dict.fromkeys(symbols):
        rows = train & (symbols == s)
        if rows.sum() >= 3:
            edges[str(s)] = tuple(float(q) for q in np.quantile(lr[rows], (1 / 3, 2 / 3)))
    return edges


def range_class_of(
    values: np.ndarray, symbols: np.ndarray, edges: dict[str, tuple[float, float]]
) -> np.ndarray:
    """Class 0/1/2 of each log range against its symbol's edges; -1 where the value is NaN."""
    values = np.asarray(values, float)
    symbols = np.asarray(symbols)
    out = np.full(len(values), -1, dtype=np.int8)
    for s in dict.fromkeys(symbols):
        rows = symbols == s
        lo, hi = edges.get(str(s), edges[POOLED])
        v = values[rows]
        cls = np.digitize(v, (lo, hi)).astype(np.int8)
        out[rows] = np.where(np.isfinite(v), cls, -1)
    return out


def compute_targets(
    table: pd.DataFrame, edges: dict[str, tuple[float, float]] | None = None
) -> pd.DataFrame:
    """The four targets of every row of a 004 dataset table (same index, same order).

    The table is sorted by symbol then time, as `dlip dataset build` writes it.
    """
    edges = range_edges(table) if edges is None else edges
    symbols = table["symbol"].to_numpy()
    close = table["close"].to_numpy(float)
    next_close = _next(close, symbols)
    next_lr = _next(log_range(table), symbols)
    has_next = np.isfinite(next_close)
    next_up = np.where(has_next, (next_close > close).astype(np.int8), -1).astype(np.int8)
    return pd.DataFrame(
        {
            "next_up": next_up,
            "next_return": np.log(next_close / close),
            "next_log_range": next_lr,
            "range_class": range_class_of(next_lr, symbols, edges),
        },
        index=table.index,
    )


def calendar_index(table: pd.DataFrame) -> np.ndarray:
    """Each bar's position on the union calendar of all symbols (0 = the earliest date)."""
    ts = pd.DatetimeIndex(table["timestamp"])
    calendar = ts.unique().sort_values()
    return calendar.get_indexer(ts).astype(np.int64)


def outcome_calendar_index(table: pd.DataFrame) -> np.ndarray:
    """Calendar position of each bar's outcome bar (its next bar); a large sentinel where
    there is none, so a bar without an outcome is never usable as an analog."""
    cal = calendar_index(table).astype(float)
    nxt = _next(cal, table["symbol"].to_numpy())
    big = np.iinfo(np.int64).max // 4
    return np.where(np.isfinite(nxt), nxt, big).astype(np.int64)


def usable_mask(
    outcome_cal: np.ndarray, query_cal: int, embargo: int
) -> np.ndarray:
    """Bars whose outcome a query at calendar position `query_cal` may use:
    outcome bar strictly before query_cal - embargo."""
    return np.asarray(outcome_cal) < query_cal - embargo


def embargo_of(meta: dict) -> int:
    """The embargo (calendar dates) the 004 dataset was split with."""
    return int(meta["settings"]["splits"]["embargo"])


def check_predictions(frame: pd.DataFrame) -> None:
    """Raise ValueError (one line) if a prediction frame breaks the contract."""
    missing = [c for c in PREDICTION_COLUMNS if c not in frame.columns]
    if missing:
        raise ValueError(f"prediction frame lacks column(s) {', '.join(missing)}")
    p = frame[list(PROB_COLUMNS)].to_numpy(float)
    if not np.isfinite(p).all() or (p < 0).any() or (p > 1).any():
        raise ValueError("probabilities must be finite and within [0, 1]")
    sums = p[:, 1:].sum(axis=1)
    if len(sums) and np.abs(sums - 1.0).max() > 1e-6:
        raise ValueError("p_range_low + p_range_mid + p_range_high must sum to 1")
    late = pd.to_datetime(frame["latest_analog"]) >= pd.to_datetime(frame["timestamp"])
    if late.any():
        i = int(np.flatnonzero(late.to_numpy())[0])
        raise ValueError(f"row {i}: latest_analog is not strictly before timestamp")
