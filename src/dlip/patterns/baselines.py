"""The bar the pattern model must beat: coin, unconditional, HAR, GARCH(1,1)-t, kNN on raw windows.

Every baseline returns the shared prediction frame (`targets.PREDICTION_COLUMNS`), so one
scorer scores them all. All of them are causal and walk-forward:

- coin           p_up = 1/2, each range class 1/3
- unconditional  each symbol's training frequencies of an up close and of each range class
                 (the range shares are about 1/3 each by construction of the terciles)
- base_rate      the same frequencies over every outcome known when the split begins (its
                 first date minus the embargo): training for validation, training and
                 validation for test, as milestone 004 scored its base rate. This is the
                 benchmark of the direction verdict: a model calibrated on validation must
                 beat a base rate that has seen validation too
- har            Corsi's heterogeneous autoregression of the next log range (in logs) on its
                 1, 5 and 22-bar averages (`arch.univariate.HARX`), fitted per symbol on
                 training bars; the training residuals' empirical distribution around the
                 forecast gives the three class probabilities
- garch          GARCH(1,1) with Student-t shocks on close-to-close returns
                 (`arch.arch_model`), fitted per symbol on training bars and filtered forward
                 with those parameters; a linear link from log forecast volatility to the
                 log next range, fitted on training bars, and its residuals give the classes;
                 p_up is the t distribution's P(next return > 0)
- knn_raw        the k nearest windows of z-normalised log closes (length WINDOW) plus the
                 volatility level, searched over every symbol's past bars whose outcome lies
                 before the query minus the embargo; k and the level's weight are chosen on
                 validation

Parametric baselines use outcomes of training bars only, so their `latest_analog` is the
symbol's last training bar whose outcome also lies in training. HAR and GARCH read the bars
up to t as inputs (as the model reads its window), never anything after t.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from dlip.patterns import targets as tg

WINDOW = 20  # bars in a kNN window
HAR_LAGS = (1, 5, 22)
LEVEL_BARS = 5  # bars averaged for the kNN volatility level
KNN_K = (25, 50, 100, 200, 400, 800, 1600)
KNN_LEVEL_WEIGHT = (0.0, 1.0, 3.0, 10.0, 30.0, 100.0)
KNN_PRIOR = 2.0  # pseudo-counts pulling analog shares toward the symbol's base rate
MIN_TRAIN_BARS = 60  # a symbol with fewer training outcomes uses the pooled unconditional
RANGE_FLOOR = 1e-5  # ln(high/low) floor before taking logs (a bar with high == low)
P_FLOOR = 1e-4
MODELS = ("coin", "unconditional", "base_rate", "har", "garch", "knn_raw")


@dataclass
class Market:
    """A 004 table with the contract's targets and calendar positions, ready for baselines."""

    table: pd.DataFrame
    targets: pd.DataFrame
    embargo: int
    cal: np.ndarray = field(init=False)
    outcome_cal: np.ndarray = field(init=False)
    fit_rows: np.ndarray = field(init=False)  # training bars whose outcome is a training bar

    def __post_init__(self) -> None:
        self.table = self.table.reset_index(drop=True)
        self.targets = self.targets.reset_index(drop=True)
        self.cal = tg.calendar_index(self.table)
        self.outcome_cal = tg.outcome_calendar_index(self.table)
        split = self.table["split"].to_numpy()
        sym = self.table["symbol"].to_numpy()
        nxt_train = np.zeros(len(split), dtype=bool)
        nxt_train[:-1] = (split[1:] == "train") & (sym[1:] == sym[:-1])
        self.fit_rows = (split == "train") & nxt_train & (self.targets["next_up"].to_numpy() >= 0)

    @classmethod
    def from_table(cls, table: pd.DataFrame, embargo: int) -> Market:
        table = table.reset_index(drop=True)
        return cls(table, tg.compute_targets(table), embargo)

    @classmethod
    def from_dataset(cls, dataset) -> Market:
        """From a `dlip.market.dataset.Dataset` (its table and the embargo it was split with)."""
        return cls.from_table(dataset.table, tg.embargo_of(dataset.meta))

    def rows(self, split: str) -> np.ndarray:
        return np.flatnonzero(self.table["split"].to_numpy() == split)

    def symbols(self) -> list[str]:
        return list(dict.fromkeys(self.table["symbol"].astype(str)))


def _frame(m: Market, rows: np.ndarray, p_up, p_range, latest) -> pd.DataFrame:
    p_range = np.clip(np.asarray(p_range, float), P_FLOOR, None)
    p_range = p_range / p_range.sum(axis=1, keepdims=True)
    p_up = np.clip(np.broadcast_to(np.asarray(p_up, float), len(rows)), P_FLOOR, 1 - P_FLOOR)
    return pd.DataFrame({
        "symbol": m.table["symbol"].to_numpy()[rows],
        "timestamp": m.table["timestamp"].to_numpy()[rows],
        "p_up": p_up,
        "p_range_low": p_range[:, 0],
        "p_range_mid": p_range[:, 1],
        "p_range_high": p_range[:, 2],
        "latest_analog": np.asarray(latest),
    })


def _last_fit_timestamp(m: Market) -> dict[str, pd.Timestamp]:
    """Per symbol (and pooled, under targets.POOLED), the last training bar used for fitting."""
    ts = m.table["timestamp"]
    sym = m.table["symbol"].astype(str)
    out = {tg.POOLED: ts[m.fit_rows].max()}
    out.update(ts[m.fit_rows].groupby(sym[m.fit_rows]).max().to_dict())
    return out


def _train_shares(
    m: Market, known: np.ndarray | None = None
) -> tuple[dict[str, float], dict[str, np.ndarray]]:
    """Per symbol: the share of up closes and of each range class (one pseudo-count each)
    over the `known` rows (default: training bars whose outcome is a training bar)."""
    up = m.targets["next_up"].to_numpy()
    cls = m.targets["range_class"].to_numpy()
    sym = m.table["symbol"].astype(str).to_numpy()
    ok = (m.fit_rows if known is None else known) & (cls >= 0) & (up >= 0)

    def shares(rows):
        return (float((up[rows] == 1).sum() + 1) / (rows.sum() + 2),
                (np.bincount(cls[rows], minlength=3) + 1.0) / (rows.sum() + 3))

    p_up, p_rng = {}, {}
    p_up[tg.POOLED], p_rng[tg.POOLED] = shares(ok)
    for s in dict.fromkeys(sym):
        rows = ok & (sym == s)
        if rows.sum() >= MIN_TRAIN_BARS:
            p_up[s], p_rng[s] = shares(rows)
    return p_up, p_rng


def _per_row(m: Market, rows: np.ndarray, by_symbol: dict, fallback_key=tg.POOLED):
    sym = m.table["symbol"].astype(str).to_numpy()[rows]
    return [by_symbol.get(s, by_symbol[fallback_key]) for s in sym]


def coin(m: Market, split: str) -> pd.DataFrame:
    """A fair coin and equal range classes: uses no outcome, so latest_analog is the epoch."""
    rows = m.rows(split)
    return _frame(m, rows, 0.5, np.full((len(rows), 3), 1 / 3),
                  np.full(len(rows), pd.Timestamp("1677-09-22"), dtype="datetime64[ns]"))


def unconditional(m: Market, split: str) -> pd.DataFrame:
    """Each symbol's training frequencies: the base rate of up closes and of each range class."""
    rows = m.rows(split)
    p_up, p_rng = _train_shares(m)
    last = _last_fit_timestamp(m)
    return _frame(m, rows, np.array(_per_row(m, rows, p_up)),
                  np.array(_per_row(m, rows, p_rng)), _per_row(m, rows, last))


def base_rate(m: Market, split: str) -> pd.DataFrame:
    """Each symbol's frequencies over every outcome known when the split begins."""
    rows = m.rows(split)
    known = m.outcome_cal < m.cal[rows].min() - m.embargo
    p_up, p_rng = _train_shares(m, known)
    ts = m.table["timestamp"]
    sym = m.table["symbol"].astype(str)
    last = {tg.POOLED: ts[known].max(), **ts[known].groupby(sym[known]).max().to_dict()}
    return _frame(m, rows, np.array(_per_row(m, rows, p_up)),
                  np.array(_per_row(m, rows, p_rng)), _per_row(m, rows, last))


# --- location models of the log range (HAR, GARCH link) -------------------------------------


def _log_range(m: Market) -> np.ndarray:
    return np.log(np.maximum(tg.log_range(m.table), RANGE_FLOOR))


def _class_probs(loc: np.ndarray, resid: np.ndarray, lo: float, hi: float) -> np.ndarray:
    """P(class) of log range = loc + e, with e drawn from the empirical residuals."""
    r = np.sort(resid[np.isfinite(resid)])
    n = len(r)

    def cdf(x):
        return (np.searchsorted(r, x, side="right") + 0.5) / (n + 1.0)

    a = cdf(np.log(max(lo, RANGE_FLOOR)) - loc)
    b = cdf(np.log(max(hi, RANGE_FLOOR)) - loc)
    return np.column_stack([a, np.maximum(b - a, 0.0), 1.0 - b])


def _symbol_slices(m: Market):
    sym = m.table["symbol"].astype(str).to_numpy()
    for s in dict.fromkeys(sym):
        idx = np.flatnonzero(sym == s)
        yield s, idx


def _har_location(y: np.ndarray, n_fit: int) -> tuple[np.ndarray, np.ndarray]:
    """HAR forecast of y[t+1] made at t for every t, and the training residuals.

    y is one symbol's log range in time order; parameters from y[:n_fit] only.
    """
    from arch.univariate import HARX

    model = HARX(y, lags=list(HAR_LAGS), rescale=False)
    res = model.fit(last_obs=n_fit, disp="off")
    fc = res.forecast(horizon=1, start=max(HAR_LAGS) - 1, reindex=True)
    loc = np.asarray(fc.mean["h.1"], float)  # row t: forecast of y[t+1]
    resid = np.asarray(res.resid, float)[:n_fit]
    return loc, resid


def _garch(r: np.ndarray, n_fit: int) -> tuple[np.ndarray, np.ndarray, float]:
    """GARCH(1,1)-t on percent returns r[1:] (r[0] is NaN): for every t, the forecast
    volatility of r[t+1] made at t, P(r[t+1] > 0), and the t degrees of freedom."""
    from arch import arch_model

    x = r[1:]
    model = arch_model(x, mean="Constant", vol="GARCH", p=1, q=1, dist="t", rescale=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = model.fit(last_obs=max(n_fit - 1, 30), disp="off", show_warning=False)
    fc = res.forecast(horizon=1, start=0, reindex=True)
    sigma = np.sqrt(np.asarray(fc.variance["h.1"], float))  # row i: forecast of x[i+1]
    mu = float(res.params["mu"])
    nu = float(res.params["nu"])
    z = -mu / (sigma * np.sqrt((nu - 2.0) / nu))
    p_up = stats.t.sf(z, nu)
    # shift to the table's rows: x[i] is r[i+1], so row t of the table forecasts r[t+1] = x[t]
    out_sigma = np.full(len(r), np.nan)
    out_p = np.full(len(r), np.nan)
    out_sigma[1:] = sigma
    out_p[1:] = p_up
    # at table row 0 nothing is known beyond the unconditional: use the first forecast origin
    return out_sigma, out_p, nu


def _location_baseline(m: Market, splits: tuple[str, ...], kind: str) -> dict[str, pd.DataFrame]:
    """HAR or GARCH frames for the given splits (fitted once on training bars)."""
    edges = tg.range_edges(m.table)
    p_up_train, p_rng_train = _train_shares(m)
    last = _last_fit_timestamp(m)
    y = _log_range(m)
    close = m.table["close"].to_numpy(float)
    n = len(m.table)
    loc = np.full(n, np.nan)
    probs = np.full((n, 3), np.nan)
    p_up = np.full(n, np.nan)
    for s, idx in _symbol_slices(m):
        fit = m.fit_rows[idx]
        if fit.sum() < MIN_TRAIN_BARS:
            continue
        n_fit = int(np.flatnonzero(fit).max()) + 2  # bars up to the last training outcome
        ys = y[idx]
        if kind == "har":
            loc_s, resid = _har_location(ys, n_fit)
            pu = np.full(len(idx), p_up_train.get(s, p_up_train[tg.POOLED]))
        else:
            r = np.full(len(idx), np.nan)
            r[1:] = 100.0 * np.diff(np.log(close[idx]))
            sigma, pu, _ = _garch(r, n_fit)
            x = np.log(np.maximum(sigma, 1e-8))
            nxt = np.full(len(idx), np.nan)
            nxt[:-1] = ys[1:]
            ok = fit & np.isfinite(x) & np.isfinite(nxt)
            slope, intercept = np.polyfit(x[ok], nxt[ok], 1)
            loc_s = intercept + slope * x
            resid = np.where(ok, nxt - loc_s, np.nan)
        lo, hi = edges.get(s, edges[tg.POOLED])
        good = np.isfinite(loc_s)
        pr = np.full((len(idx), 3), np.nan)
        pr[good] = _class_probs(loc_s[good], resid, lo, hi)
        loc[idx], probs[idx], p_up[idx] = loc_s, pr, pu
    out = {}
    for split in splits:
        rows = m.rows(split)
        fallback_rng = np.array(_per_row(m, rows, p_rng_train))
        fallback_up = np.array(_per_row(m, rows, p_up_train))
        pr = probs[rows]
        missing = ~np.isfinite(pr).all(axis=1)
        pr[missing] = fallback_rng[missing]
        pu = np.where(np.isfinite(p_up[rows]), p_up[rows], fallback_up)
        out[split] = _frame(m, rows, pu, pr, _per_row(m, rows, last))
    return out


def har(m: Market, splits: tuple[str, ...] = ("val", "test")) -> dict[str, pd.DataFrame]:
    """HAR (Corsi) on the log range: frames per split."""
    return _location_baseline(m, splits, "har")


def garch(m: Market, splits: tuple[str, ...] = ("val", "test")) -> dict[str, pd.DataFrame]:
    """GARCH(1,1)-t on returns, linked to the log range: frames per split."""
    return _location_baseline(m, splits, "garch")


# --- kNN on raw z-normalised windows ----------------------------------------------------------


def knn_features(m: Market, window: int = WINDOW) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per row: the z-normalised log closes of the last `window` bars (scaled by 1/sqrt(window)
    so the shape part has unit norm), the volatility level (log mean ln(high/low) of the last
    LEVEL_BARS bars minus the log of the symbol's median training ln(high/low)), and whether
    the row has a full window."""
    n = len(m.table)
    logc = np.log(m.table["close"].to_numpy(float))
    lr = np.maximum(tg.log_range(m.table), RANGE_FLOOR)
    shape = np.zeros((n, window))
    level = np.zeros(n)
    ok = np.zeros(n, dtype=bool)
    train = m.table["split"].to_numpy() == "train"
    for _, idx in _symbol_slices(m):
        if len(idx) < window:
            continue
        w = np.lib.stride_tricks.sliding_window_view(logc[idx], window)
        z = w - w.mean(axis=1, keepdims=True)
        sd = z.std(axis=1, keepdims=True)
        z = np.where(sd > 0, z / np.where(sd > 0, sd, 1.0), 0.0) / np.sqrt(window)
        shape[idx[window - 1:]] = z
        ok[idx[window - 1:]] = True
        tr = train[idx]
        ref = np.median(lr[idx][tr]) if tr.sum() >= 3 else np.median(lr[train])
        mean_lr = pd.Series(lr[idx]).rolling(LEVEL_BARS, min_periods=1).mean().to_numpy()
        level[idx] = np.log(mean_lr) - np.log(ref)
    return shape, level, ok


def _neighbours(
    m: Market, queries: np.ndarray, pool: np.ndarray, feats: np.ndarray, k_max: int,
    chunk: int = 256,
) -> np.ndarray:
    """For each query row, the pool rows of its k_max nearest usable analogs (nearest first;
    -1 where fewer are usable). Usable: outcome bar strictly before the query minus the embargo.
    Exact search (squared Euclidean distance, float32) with torch's top-k.
    """
    import torch

    pf = torch.from_numpy(np.ascontiguousarray(feats[pool], dtype=np.float32))
    pn = (pf ** 2).sum(dim=1)
    pool_out = torch.from_numpy(m.outcome_cal[pool])
    pool_t = torch.from_numpy(np.asarray(pool, dtype=np.int64))
    out = np.full((len(queries), k_max), -1, dtype=np.int64)
    kk = min(k_max, len(pool))
    if kk == 0:
        return out
    for a in range(0, len(queries), chunk):
        q = queries[a:a + chunk]
        qf = torch.from_numpy(np.ascontiguousarray(feats[q], dtype=np.float32))
        d = torch.addmm(pn.unsqueeze(0), qf, pf.T, alpha=-2.0)  # |p|^2 - 2 q.p (+ |q|^2)
        limit = torch.from_numpy(m.cal[q] - m.embargo).unsqueeze(1)
        d.masked_fill_(pool_out.unsqueeze(0) >= limit, float("inf"))
        dist, best = torch.topk(d, kk, dim=1, largest=False, sorted=True)
        rows = torch.where(torch.isfinite(dist), pool_t[best], torch.tensor(-1))
        out[a:a + chunk, :kk] = rows.numpy()
    return out


def _analog_sums(m: Market, nbrs: np.ndarray):
    """Running counts over each query's neighbours in order: analogs, ups, each range class,
    and the most recent analog timestamp (int64 ns; int64 min where none)."""
    have = nbrs >= 0
    safe = np.where(have, nbrs, 0)
    up = (m.targets["next_up"].to_numpy()[safe] == 1) & have
    cls = m.targets["range_class"].to_numpy()[safe]
    n_have = np.cumsum(have, axis=1, dtype=np.int32)
    n_up = np.cumsum(up, axis=1, dtype=np.int32)
    n_cls = np.stack([np.cumsum((cls == c) & have, axis=1, dtype=np.int32) for c in range(3)],
                     axis=2)
    ts = m.table["timestamp"].to_numpy().astype("datetime64[ns]").view(np.int64)
    none = np.iinfo(np.int64).min
    latest = np.maximum.accumulate(np.where(have, ts[safe], none), axis=1)
    return n_have, n_up, n_cls, latest


def _knn_probs(sums, k, prior_up, prior_rng):
    n_have, n_up, n_cls, latest = sums
    cnt = n_have[:, k - 1].astype(float)
    p_up = (n_up[:, k - 1] + KNN_PRIOR * prior_up) / (cnt + KNN_PRIOR)
    p_rng = (n_cls[:, k - 1] + KNN_PRIOR * prior_rng) / (cnt + KNN_PRIOR)[:, None]
    lat = latest[:, k - 1]
    none = np.iinfo(np.int64).min
    return p_up, p_rng, np.where(lat == none, np.datetime64("NaT"), lat.astype("datetime64[ns]"))


@dataclass
class KnnChoice:
    k_range: int
    k_direction: int
    level_weight: float
    val_scores: dict = field(default_factory=dict)


def knn_raw(
    m: Market, splits: tuple[str, ...] = ("val", "test"),
    ks: tuple[int, ...] = KNN_K, weights: tuple[float, ...] = KNN_LEVEL_WEIGHT,
    window: int = WINDOW,
) -> tuple[dict[str, pd.DataFrame], KnnChoice]:
    """kNN frames per split; k (separately per target) and the level weight chosen on val."""
    shape, level, ok = knn_features(m, window)
    valid_out = m.targets["next_up"].to_numpy() >= 0
    pool = np.flatnonzero(ok & valid_out & (m.targets["range_class"].to_numpy() >= 0))
    p_up_train, p_rng_train = _train_shares(m)
    last = _last_fit_timestamp(m)
    k_max = max(ks)

    def run(split, weight):
        rows = m.rows(split)
        q = rows[ok[rows]]
        feats = np.column_stack([shape, weight * level])
        return rows, q, _analog_sums(m, _neighbours(m, q, pool, feats, k_max))

    def frame(rows, q, sums, k_rng, k_dir):
        prior_up = np.array(_per_row(m, q, p_up_train))
        prior_rng = np.array(_per_row(m, q, p_rng_train))
        pu_r, pr, lat_r = _knn_probs(sums, k_rng, prior_up, prior_rng)
        pu, _, lat_d = _knn_probs(sums, k_dir, prior_up, prior_rng)
        latest = np.maximum(pd.to_datetime(lat_r).to_numpy(), pd.to_datetime(lat_d).to_numpy())
        # rows without a full window (a symbol's first bars) or without any analog yet
        full_up = np.array(_per_row(m, rows, p_up_train), float)
        full_rng = np.array(_per_row(m, rows, p_rng_train), float)
        full_latest = np.array(_per_row(m, rows, last), dtype="datetime64[ns]")
        where = np.searchsorted(rows, q)
        full_up[where], full_rng[where] = pu, pr
        found = ~pd.isna(latest)
        full_latest[where[found]] = latest[found]
        return _frame(m, rows, full_up, full_rng, full_latest)

    from dlip.patterns.scoring import score_frame

    best = None
    val_scores = {}
    for w in weights:
        rows, q, sums = run("val", w)
        for k in ks:
            f = frame(rows, q, sums, k, k)
            s = score_frame(f, m.table, m.targets)
            val_scores[(w, k)] = s
        if best is None or min(val_scores[(w, k)]["range_logloss"] for k in ks) < best[0]:
            best = (min(val_scores[(w, k)]["range_logloss"] for k in ks), w)
    w = best[1]
    k_rng = min(ks, key=lambda k: val_scores[(w, k)]["range_logloss"])
    k_dir = min(ks, key=lambda k: val_scores[(w, k)]["direction_logloss"])
    choice = KnnChoice(k_rng, k_dir, w, {f"w={a:g},k={b}": v for (a, b), v in val_scores.items()})
    out = {}
    for split in splits:
        rows, q, sums = run(split, w)
        out[split] = frame(rows, q, sums, k_rng, k_dir)
    return out, choice


def all_baselines(
    m: Market, splits: tuple[str, ...] = ("val", "test"), **knn_kw
) -> tuple[dict[str, dict[str, pd.DataFrame]], KnnChoice]:
    """{model name: {split: frame}} for every baseline in MODELS, and the kNN choice."""
    knn, choice = knn_raw(m, splits, **knn_kw)
    out = {
        "coin": {s: coin(m, s) for s in splits},
        "unconditional": {s: unconditional(m, s) for s in splits},
        "base_rate": {s: base_rate(m, s) for s in splits},
        "har": har(m, splits),
        "garch": garch(m, splits),
        "knn_raw": knn,
    }
    return out, choice
