"""The bar a model must beat: coin flip, training base rate, Markov n-grams over tokens.

Walk-forward, two steps: fit on the training split and predict the validation split;
then fit on training plus validation and predict the test split. Every model sees the
same examples (windows of three tokens whose target stays inside their split), so the
numbers compare. The n-gram's order and smoothing are chosen on validation, pooled over
assets, and only then scored on test.

The n-gram backs off recursively (a Dirichlet prior on each context's next-bar
distribution, centred on the next shorter context):

    P_k(y | last k tokens) = (N(context, y) + a * P_{k-1}(y | last k-1 tokens)) / (N(context) + a)

Counts are pooled over every symbol (one shared language); the last fallback, P_0, is
the asset's own base rate.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from dlip.market.tokenizer import VOCAB_SIZE

TARGETS = {"direction": ("next_direction", 2), "range": ("next_range_bucket", 3)}
ORDERS = (1, 2, 3)
STRENGTHS = (10.0, 100.0, 1000.0)
STEPS = (("val", ("train",)), ("test", ("train", "val")))
CONTEXT = max(ORDERS)


def context_keys(tokens: np.ndarray, order: int) -> np.ndarray:
    """An integer per row naming its last `order` tokens (rows t-order+1..t)."""
    t = tokens.astype(np.int64)
    key = np.zeros(len(t), dtype=np.int64)
    for i in range(order):
        shifted = np.zeros(len(t), dtype=np.int64)
        shifted[i:] = t[: len(t) - i]
        key = key * VOCAB_SIZE + shifted
    return key


def _lookup(keys_fit, y_fit, keys_eval, n_classes) -> np.ndarray:
    """Counts N(context, y) for each eval row and class."""
    combined = keys_fit * n_classes + y_fit
    uniq, cnt = np.unique(combined, return_counts=True)
    out = np.zeros((len(keys_eval), n_classes))
    for c in range(n_classes):
        q = keys_eval * n_classes + c
        pos = np.minimum(np.searchsorted(uniq, q), len(uniq) - 1)
        out[:, c] = np.where(uniq[pos] == q, cnt[pos], 0)
    return out


def base_rate(y_fit: np.ndarray, n_classes: int) -> np.ndarray:
    """Training class frequencies with one pseudo-count each."""
    return (np.bincount(y_fit, minlength=n_classes) + 1.0) / (len(y_fit) + n_classes)


def ngram_probs(tokens, fit_rows, y_fit, eval_rows, prior_eval, order, strength) -> np.ndarray:
    """P(y | last `order` tokens) for eval rows, backing off to `prior_eval` (rows x classes)."""
    probs = prior_eval
    n_classes = prior_eval.shape[1]
    for k in range(1, order + 1):
        keys = context_keys(tokens, k)
        counts = _lookup(keys[fit_rows], y_fit, keys[eval_rows], n_classes)
        probs = (counts + strength * probs) / (counts.sum(axis=1, keepdims=True) + strength)
    return probs


def log_loss(p: np.ndarray, y: np.ndarray) -> float:
    return float(-np.mean(np.log(np.clip(p[np.arange(len(y)), y], 1e-12, 1.0))))


def brier(p: np.ndarray, y: np.ndarray) -> float:
    """Binary: mean (p_up - y)^2 (a coin flip scores 0.25). Multi-class: summed over classes."""
    if p.shape[1] == 2:
        return float(np.mean((p[:, 1] - y) ** 2))
    onehot = np.eye(p.shape[1])[y]
    return float(np.mean(((p - onehot) ** 2).sum(axis=1)))


@dataclass
class Evaluation:
    scores: pd.DataFrame  # symbol, target, model, step, n, logloss, brier
    chosen: dict[str, tuple[int, float]]  # target -> (order, strength) chosen on validation


def evaluate(dataset, symbols: list[str] | None = None) -> Evaluation:
    """Walk-forward scores of every baseline, per asset and pooled ('ALL')."""
    table = dataset.table
    tokens = table["token"].to_numpy()
    sym = table["symbol"].to_numpy()
    symbols = symbols or dataset.symbols
    ends = {s: dataset.window_ends(s, length=CONTEXT) for s in ("train", "val", "test")}
    records = []
    chosen: dict[str, tuple[int, float]] = {}
    for target, (column, n_classes) in TARGETS.items():
        y_all = table[column].to_numpy().astype(np.int64)
        preds: dict[tuple[str, str], np.ndarray] = {}
        for step, fit_splits in STEPS:
            fit = np.concatenate([ends[s] for s in fit_splits])
            ev = ends[step]
            prior = np.empty((len(ev), n_classes))
            for s in symbols:
                rate = base_rate(y_all[fit][sym[fit] == s], n_classes)
                prior[sym[ev] == s] = rate
            preds[(step, "coin flip")] = np.full((len(ev), n_classes), 1.0 / n_classes)
            preds[(step, "base rate")] = prior
            for order in ORDERS:
                for a in STRENGTHS:
                    preds[(step, f"{order}-gram a={a:g}")] = ngram_probs(
                        tokens, fit, y_all[fit], ev, prior, order, a)
        val_y = y_all[ends["val"]]
        best, best_loss = {}, {}
        for order in ORDERS:
            losses = {a: log_loss(preds[("val", f"{order}-gram a={a:g}")], val_y)
                      for a in STRENGTHS}
            best[order] = min(losses, key=losses.get)
            best_loss[order] = losses[best[order]]
        order_best = min(ORDERS, key=best_loss.get)
        chosen[target] = (order_best, best[order_best])
        models = {"coin flip": "coin flip", "base rate": "base rate"}
        models |= {f"{o}-gram": f"{o}-gram a={best[o]:g}" for o in ORDERS}
        models["best n-gram"] = f"{order_best}-gram a={best[order_best]:g}"
        for step, _ in STEPS:
            ev = ends[step]
            y = y_all[ev]
            for name, key in models.items():
                p = preds[(step, key)]
                for s in [*symbols, "ALL"]:
                    rows = np.ones(len(ev), bool) if s == "ALL" else sym[ev] == s
                    if not rows.any():
                        continue
                    records.append({"symbol": s, "target": target, "model": name, "step": step,
                                    "n": int(rows.sum()), "logloss": log_loss(p[rows], y[rows]),
                                    "brier": brier(p[rows], y[rows])})
    return Evaluation(pd.DataFrame(records), chosen)


def markdown_table(ev: Evaluation, target: str, step: str = "test") -> str:
    """Per asset (rows) by model (columns): log-loss, Brier in brackets."""
    s = ev.scores[(ev.scores.target == target) & (ev.scores.step == step)]
    models = list(dict.fromkeys(s["model"]))
    lines = ["| asset | bars | " + " | ".join(models) + " |", "|---|---:|" + "---:|" * len(models)]
    for symbol, g in s.groupby("symbol", sort=False):
        by = g.set_index("model")
        best = by["logloss"].idxmin()
        cells = []
        for m in models:
            text = f"{by.at[m, 'logloss']:.4f} ({by.at[m, 'brier']:.4f})"
            cells.append(f"**{text}**" if m == best else text)
        lines.append(f"| {symbol} | {int(g['n'].iloc[0]):,} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def planted_recovery(dataset, symbol: str, order: int = 1, strength: float = 10.0) -> dict:
    """What the n-gram learned after the planted trigger bars, scored on the test split.

    Fit on train+val, then average the predicted P(next bar up) over test bars that are
    a trigger (strong fall, long lower wick); and P(next bar down) after the mirror image.
    """
    from dlip.market.synthetic import triggers
    from dlip.market.tokenizer import decompose

    table = dataset.table
    tokens = table["token"].to_numpy()
    sym = table["symbol"].to_numpy()
    y_all = table["next_direction"].to_numpy().astype(np.int64)
    fit = np.concatenate([dataset.window_ends(s, CONTEXT, symbol) for s in ("train", "val")])
    ev = dataset.window_ends("test", CONTEXT, symbol)
    prior = np.tile(base_rate(y_all[fit], 2), (len(ev), 1))
    p = ngram_probs(tokens, fit, y_all[fit], ev, prior, order, strength)
    _, b, u, w, _ = decompose(np.maximum(tokens[ev], 0))
    kind = triggers(b, u, w)
    rise, fall = kind == 1, kind == -1
    assert (sym[ev] == symbol).all()
    return {
        "predicted_p_up_after_trigger": float(p[rise, 1].mean()),
        "observed_p_up_after_trigger": float(y_all[ev][rise].mean()),
        "predicted_p_down_after_mirror": float(p[fall, 0].mean()),
        "observed_p_down_after_mirror": float(1 - y_all[ev][fall].mean()),
        "trigger_bars_test": int(rise.sum()),
        "mirror_bars_test": int(fall.sum()),
    }
