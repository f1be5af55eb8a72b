"""What the encoder sees of a window ending at bar t: candle tokens and causal context.

Tokens alone lose the volatility level, and the next bar's range is mostly driven by it.
So each bar also carries the continuous context a practitioner would look at, all from
bars up to and including t:

- har1, har5, har22  ln(mean log range over the last 1, 5, 22 bars / the symbol's training
                     median log range): the inputs of a HAR model, on a log scale
- ret                ln(close_t / close_{t-1}) in units of the 004 volatility scale
- ret5               ln(close_t / close_{t-5}) in units of scale_t * sqrt(5)
- gap, body, upper, lower, regime   the 004 candle features (gap 0 where masked)

The only statistic is the training median of each symbol's log range (the pooled median
for a symbol without training rows): fitted on split == "train", so no normalisation
reads a bar after the training period. Values are clipped to +-CLIP.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from dlip.patterns.targets import log_range

CONTEXT_FEATURES = ("har1", "har5", "har22", "ret", "ret5",
                    "gap", "body", "upper", "lower", "regime")
CLIP = 6.0
RANGE_FLOOR = 1e-5  # a bar with high == low still has a finite log


def training_medians(table: pd.DataFrame) -> dict[str, float]:
    """Median ln(high/low) of each symbol's training rows, plus the pooled one under '*'."""
    lr = np.maximum(log_range(table), RANGE_FLOOR)
    train = table["split"].to_numpy() == "train"
    symbols = table["symbol"].to_numpy()
    out = {"*": float(np.median(lr[train])) if train.any() else float(np.median(lr))}
    for s in dict.fromkeys(symbols):
        rows = train & (symbols == s)
        if rows.sum() >= 5:
            out[str(s)] = float(np.median(lr[rows]))
    return out


def _trailing_mean(x: np.ndarray, w: int) -> np.ndarray:
    c = np.concatenate([[0.0], np.cumsum(x)])
    idx = np.arange(1, len(x) + 1)
    lo = np.maximum(0, idx - w)
    return (c[idx] - c[lo]) / (idx - lo)


def context_features(table: pd.DataFrame, medians: dict[str, float]) -> np.ndarray:
    """(n_rows, len(CONTEXT_FEATURES)) float32; row t uses bars up to t of its symbol."""
    n = len(table)
    out = np.zeros((n, len(CONTEXT_FEATURES)), dtype=np.float64)
    symbols = table["symbol"].to_numpy()
    lr_all = np.maximum(log_range(table), RANGE_FLOOR)
    close_all = table["close"].to_numpy(float)
    scale_all = table["scale"].to_numpy(float)
    for s in dict.fromkeys(symbols):
        rows = np.flatnonzero(symbols == s)
        med = medians.get(str(s), medians["*"])
        lr = lr_all[rows]
        for j, w in enumerate((1, 5, 22)):
            out[rows, j] = np.log(_trailing_mean(lr, w) / med)
        logc = np.log(close_all[rows])
        scale = scale_all[rows]
        r1 = np.zeros(len(rows))
        r1[1:] = np.diff(logc)
        r5 = np.zeros(len(rows))
        r5[5:] = logc[5:] - logc[:-5]
        out[rows, 3] = r1 / scale
        out[rows, 4] = r5 / (scale * np.sqrt(5.0))
    for j, name in enumerate(CONTEXT_FEATURES[5:], start=5):
        out[:, j] = table[name].to_numpy(float)
    out = np.nan_to_num(out, nan=0.0, posinf=CLIP, neginf=-CLIP)
    return np.clip(out, -CLIP, CLIP).astype(np.float32)


def _check_order(table: pd.DataFrame) -> None:
    """Windows and targets read neighbouring rows: each symbol's bars must be one run,
    in time order (as `dlip dataset build` writes them)."""
    symbols = table["symbol"].to_numpy()
    runs = symbols[np.r_[True, symbols[1:] != symbols[:-1]]]
    if len(runs) != len(set(runs)):
        raise ValueError("dataset rows are not grouped by symbol")
    ts = pd.DatetimeIndex(table["timestamp"]).asi8
    same = symbols[1:] == symbols[:-1]
    if (same & (ts[1:] <= ts[:-1])).any():
        raise ValueError("dataset rows are not in time order within a symbol")


def window_starts(table: pd.DataFrame) -> np.ndarray:
    """Row number of each row's symbol's first bar (windows never cross symbols)."""
    symbols = table["symbol"].to_numpy()
    first = np.ones(len(symbols), dtype=bool)
    first[1:] = symbols[1:] != symbols[:-1]
    return np.maximum.accumulate(np.where(first, np.arange(len(symbols)), 0))


def gather_windows(
    tokens: np.ndarray, feats: np.ndarray, starts: np.ndarray, ends: np.ndarray,
    length: int, pad: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Windows of `length` bars ending at each row in `ends`, left-padded with `pad`
    tokens and zero features where the symbol has fewer bars (or a warm-up token -1)."""
    ends = np.asarray(ends, dtype=np.int64)
    offs = ends[:, None] - np.arange(length - 1, -1, -1)[None, :]
    valid = offs >= starts[ends][:, None]
    safe = np.where(valid, offs, 0)
    tok = np.where(valid, tokens[safe], pad)
    tok = np.where(tok < 0, pad, tok)
    f = np.where(valid[..., None], feats[safe], 0.0).astype(np.float32)
    return tok.astype(np.int64), f


class Prepared:
    """Everything per row that encoding and walk-forward search need, computed once.

    Statistics (training medians, range edges) come from the training split only.
    """

    def __init__(self, dataset, embargo: int | None = None) -> None:
        from dlip.patterns import targets as T

        table = dataset.table
        _check_order(table)
        self.table = table
        self.vocab_size = int(dataset.tokenizer.vocab_size)
        self.tokens = table["token"].to_numpy().astype(np.int64)
        self.medians = training_medians(table)
        self.feats = context_features(table, self.medians)
        self.starts = window_starts(table)
        self.edges = T.range_edges(table)
        tg = T.compute_targets(table, self.edges)
        self.next_up = tg["next_up"].to_numpy()
        self.range_class = tg["range_class"].to_numpy()
        self.next_return = tg["next_return"].to_numpy()
        self.cal = T.calendar_index(table)
        self.outcome_cal = T.outcome_calendar_index(table)
        self.split = table["split"].to_numpy()
        self.symbols = table["symbol"].to_numpy()
        self.timestamps = table["timestamp"].to_numpy()
        self.embargo = T.embargo_of(dataset.meta) if embargo is None else embargo
        nxt_split = np.empty(len(table), dtype=object)
        nxt_split[:-1] = self.split[1:]
        nxt_split[-1] = ""
        self.next_split = np.where(self.next_up >= 0, nxt_split, "")
        self.has_outcome = (self.next_up >= 0) & (self.range_class >= 0)
        self.real = self.tokens >= 0  # past the 004 warm-up

    def windows(self, ends: np.ndarray, length: int) -> tuple[np.ndarray, np.ndarray]:
        return gather_windows(self.tokens, self.feats, self.starts, ends, length,
                              pad=self.vocab_size)

    def examples(self, split: str) -> np.ndarray:
        """Rows of `split` whose outcome bar is in the same split: labelled examples."""
        return np.flatnonzero(self.real & self.has_outcome & (self.split == split)
                              & (self.next_split == split))

    def analog_rows(self) -> np.ndarray:
        """Every row that may serve as an analog once its outcome is in the past."""
        return np.flatnonzero(self.real & self.has_outcome)
