"""Fit the pattern model on the packaged bars and score it once on test against every baseline.

Builds the 004 dataset from the packaged sources (in a temporary folder: it is
deterministic, the content hash is the proof), runs the baselines (coin, unconditional,
HAR, GARCH(1,1)-t, kNN on raw windows), fits the model (pretrain, fine-tune for search,
calibrate on validation), and compares everything on the test split: log-loss, ECE,
block-bootstrap intervals of every difference, Hansen's SPA and the model confidence set.
Writes the tables, the figures and metrics.json.

    python evaluate.py                   # the frozen run (about ten minutes on 2 cores)
    python evaluate.py --baselines-only  # the baselines alone (about a minute)
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from results_io import results_dir, update_metrics

from dlip.figures import use_house_style
from dlip.market.dataset import build
from dlip.patterns import baselines as bl
from dlip.patterns.report import LABELS, compare
from dlip.patterns.scoring import reliability, score_frame
from dlip.patterns.targets import RANGE_CLASSES, RANGE_PROB_COLUMNS, check_predictions

SEED = 0
REPS = 1000
FAMOUS_DAYS = ("2008-10-10", "2010-05-06", "2011-08-08", "2015-08-24", "2018-02-05")
FAMOUS_SYMBOL = "SP500"
ANALOGS_SHOWN = 4
BARS_SHOWN = 20
ANCHORS = {"unconditional": 1.099, "knn_raw": 0.831, "garch": 0.771, "har": 0.737}
DIRECTION_ANCHORS = {"base_rate": 0.6910, "coin": 0.6931}


def fit_model(dataset, folder: Path):
    """The model of this milestone, through its public API (see dlip.patterns)."""
    from dlip.patterns.model import fit

    start = time.perf_counter()
    model = fit(dataset, seed=SEED)
    seconds = time.perf_counter() - start
    model.save(folder)
    return model, seconds


def model_frames(model, dataset) -> dict[str, dict[str, pd.DataFrame]]:
    out = {}
    for name, variant in (("model", "finetuned"), ("pretrained", "pretrained")):
        out[name] = {s: model.predict(dataset, split=s, variant=variant) for s in ("val", "test")}
    return out


# --- figures ---------------------------------------------------------------------------------


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


CURVE_LABELS = {"train_loss": "training (next-token loss)", "val_loss": "validation",
                "train_ce": "training, heads' cross-entropy", "train_nca": "training, NCA loss",
                "val_ce": "validation, heads' cross-entropy"}
STAGE_TITLES = {"pretrain_history": "Pretraining: the language model of candles",
                "finetune_history": "Fine-tuning for search"}


def _reliability_panel(ax, joined: dict, shown: list[str], col: str, truth, title: str) -> None:
    lo, hi = 1.0, 0.0
    for n in shown:
        s = joined[n]
        r = reliability(s[col].to_numpy(float), truth(s).to_numpy())
        r = r[r["count"] >= 20]
        ax.plot(r["mean_p"], r["observed"], "o-", ms=4, lw=1.6, label=LABELS.get(n, n))
        seen = pd.concat([r["mean_p"], r["observed"]])  # every point inside the panel
        lo, hi = min(lo, seen.min()), max(hi, seen.max())
    lo, hi = max(0.0, lo - 0.05), min(1.0, hi + 0.05)
    ax.plot([lo, hi], [lo, hi], color="#999", lw=1, ls="--")
    ax.set_xlim(lo, hi)
    ax.set_ylim(lo, hi)
    ax.set_title(title, fontsize=12)


def reliability_figures(frames: dict[str, pd.DataFrame], m: bl.Market, out: Path) -> None:
    """P(up) in one panel; the three range classes two by two, the legend in the fourth
    cell: 6.9 in wide, so every label stays legible at the page's width and on a phone."""
    from dlip.patterns.scoring import attach_targets

    plt = _pyplot()
    shown = [n for n in ("model", "pretrained", "har", "garch", "knn_raw", "base_rate")
             if n in frames]
    joined = {n: attach_targets(frames[n], m.table, m.targets) for n in shown}
    xlabel = "predicted probability (bins with 20+ bars)"
    fig, ax = plt.subplots(figsize=(6.9, 5.8))
    _reliability_panel(ax, joined, shown, "p_up", lambda s: s["y_up"] == 1,
                       "Next close up: reliability on test")
    ax.set_xlabel(xlabel)
    ax.set_ylabel("observed frequency")
    fig.legend(*ax.get_legend_handles_labels(), loc="outside lower center", ncol=2,
               fontsize=10)
    fig.savefig(out / "reliability_direction.png")
    plt.close(fig)

    fig, axes = plt.subplots(2, 2, figsize=(6.9, 6.9))
    for k, (ax, c, col) in enumerate(zip(axes.flat, RANGE_CLASSES, RANGE_PROB_COLUMNS,
                                         strict=False)):
        _reliability_panel(ax, joined, shown, col, lambda s, k=k: s["y_range"] == k,
                           f"next range {c}")
        ax.tick_params(labelsize=10)
    axes[1, 1].axis("off")
    axes[1, 1].legend(*axes[0, 0].get_legend_handles_labels(), loc="center", fontsize=10)
    fig.supxlabel(xlabel, fontsize=11)
    fig.supylabel("observed frequency", fontsize=11)
    fig.suptitle("Range classes: reliability on test", fontsize=13, fontweight="bold")
    fig.savefig(out / "reliability_range.png")
    plt.close(fig)


def difference_figure(c, out: Path) -> None:
    """The two verdicts' intervals, one above the other at the content width."""
    plt = _pyplot()
    fig, axes = plt.subplots(2, 1, figsize=(6.9, 7.6))
    for ax, diffs, base, title in (
        (axes[0], c.range_diffs, "har", "Next-bar range: log-loss minus HAR"),
        (axes[1], c.direction_diffs, "base_rate", "Direction: log-loss minus base rate"),
    ):
        rows = [(m, d) for (m, b), d in diffs.items() if b == base]
        rows.sort(key=lambda r: r[1].mean)
        y = np.arange(len(rows))
        for i, (_, d) in enumerate(rows):
            color = "#2a7" if d.hi < 0 else ("#c33" if d.lo > 0 else "#555")
            ax.plot([d.lo, d.hi], [i, i], color=color, lw=2.5)
            ax.plot([d.mean], [i], "o", color=color, ms=7)
        ax.axvline(0, color="#333", lw=1)
        ax.set_yticks(y, [LABELS.get(m, m) for m, _ in rows], fontsize=10)
        ax.tick_params(axis="x", labelsize=10)
        ax.grid(axis="y", visible=False)
        ax.set_title(title, fontsize=12)
        ax.set_xlabel("nats per bar (below 0: better)", fontsize=11)
    fig.suptitle("Differences with their 95% block-bootstrap intervals on test\n"
                 "green: interval below 0, red: above 0, grey: it includes 0",
                 fontsize=11)
    fig.savefig(out / "loss_differences.png")
    plt.close(fig)


def learning_curves(report: dict, out: Path) -> bool:
    """Pretraining and fine-tuning curves from the model's report, when it has them,
    one above the other; a dotted line marks the step whose weights were kept."""
    plt = _pyplot()
    series = [(k, v) for k, v in report.items()
              if k.endswith("history") and isinstance(v, list) and v and isinstance(v[0], dict)]
    if not series:
        return False
    fig, axes = plt.subplots(len(series), 1, figsize=(6.9, 3.6 * len(series)), squeeze=False)
    for ax, (name, rows) in zip(axes[:, 0], series, strict=True):
        frame = pd.DataFrame(rows)
        x = frame["step"] if "step" in frame else np.arange(len(frame))
        for col in frame.columns:
            curve = col.endswith(("loss", "_ce", "_nca")) and not col.startswith("best")
            if curve and pd.api.types.is_numeric_dtype(frame[col]):
                ax.plot(x, frame[col], label=CURVE_LABELS.get(col, col.replace("_", " ")))
        if "best_step" in frame and frame["best_step"].notna().any():
            ax.axvline(float(frame["best_step"].dropna().iloc[-1]), color="#555", ls=":",
                       lw=1.5, label="step kept (best validation)")
        ax.set_title(STAGE_TITLES.get(name, name.replace("_", " ")), fontsize=12)
        ax.set_xlabel("step", fontsize=11)
        ax.set_ylabel("nats", fontsize=11)
        ax.tick_params(labelsize=10)
        ax.legend(fontsize=10)
    fig.savefig(out / "learning_curves.png")
    plt.close(fig)
    return True


def analog_charts(model, dataset, out: Path) -> list[str]:
    """For a few well-known days: the query window beside its nearest analogs and their
    next bar, found walk-forward (only history before the day minus the embargo)."""
    from dlip.patterns.plots import analog_chart

    t = dataset.table
    ts = pd.to_datetime(t["timestamp"]).to_numpy()
    sym = t["symbol"].astype(str).to_numpy()
    written = []
    for day in FAMOUS_DAYS:
        rows = np.flatnonzero((sym == FAMOUS_SYMBOL) & (ts == np.datetime64(day)))
        if not len(rows):
            continue
        row = int(rows[0])
        idx, sim = model.neighbours(dataset, rows, k=ANALOGS_SHOWN, variant="finetuned")
        found = [(int(r), float(s)) for r, s in zip(idx[0], sim[0], strict=True) if r >= 0]

        def window(end: int) -> np.ndarray:
            w = np.arange(max(0, end - BARS_SHOWN + 1), end + 1)
            return w[sym[w] == sym[end]]

        titles = [f"{sym[r]} {pd.Timestamp(ts[r]).date()}, sim. {s:.3f}" for r, s in found]
        name = f"analogs_{FAMOUS_SYMBOL.lower()}_{day}.png"
        analog_chart(t, window(row), [window(r) for r, _ in found], titles,
                     f"query: {FAMOUS_SYMBOL} {day}", out / name)
        written.append(name)
    return written


# --- tables and metrics --------------------------------------------------------------------


def sp500_table(frames: dict[str, pd.DataFrame], m: bl.Market) -> str:
    lines = ["| model | range log-loss | anchor | direction log-loss | anchor |",
             "| --- | ---: | ---: | ---: | ---: |"]
    rows = []
    for name, f in frames.items():
        s = score_frame(f[f["symbol"].astype(str) == "SP500"], m.table, m.targets)
        rows.append((s["range_logloss"], name, s))
    for _, name, s in sorted(rows, key=lambda r: r[0]):
        anchor = f"{ANCHORS[name]:.3f}" if name in ANCHORS else ""
        d_anchor = f"{DIRECTION_ANCHORS[name]:.4f}" if name in DIRECTION_ANCHORS else ""
        lines.append(f"| {LABELS.get(name, name)} | {s['range_logloss']:.4f} | {anchor} | "
                     f"{s['direction_logloss']:.4f} | {d_anchor} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baselines-only", action="store_true",
                        help="skip the model (for a quick look at the baselines)")
    args = parser.parse_args()
    use_house_style()
    out = results_dir()
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        dataset = build(["packaged"], Path(tmp) / "real")
        m = bl.Market.from_dataset(dataset)
        frames, knn_choice = bl.all_baselines(m)
        print(f"baselines: {time.perf_counter() - start:.0f} s (kNN: k {knn_choice.k_range} for "
              f"the range, {knn_choice.k_direction} for direction, level weight "
              f"{knn_choice.level_weight:g}, chosen on validation)", flush=True)
        model = None
        report: dict = {}
        fit_seconds = None
        if not args.baselines_only:
            model, fit_seconds = fit_model(dataset, Path(tmp) / "model")
            print(f"model fitted: {fit_seconds:.0f} s", flush=True)
            t_pred = time.perf_counter()
            frames.update(model_frames(model, dataset))
            print(f"model predictions: {time.perf_counter() - t_pred:.0f} s", flush=True)
            report = dict(getattr(model, "report", {}) or {})
        for by_split in frames.values():
            for f in by_split.values():
                check_predictions(f)
        test = {name: by_split["test"] for name, by_split in frames.items()}
        t_compare = time.perf_counter()
        c = compare(test, m.table, m.targets, subject="model", reps=REPS, seed=SEED)
        print(f"comparison: {time.perf_counter() - t_compare:.0f} s", flush=True)
        val = {name: score_frame(by_split["val"], m.table, m.targets)
               for name, by_split in frames.items()}
        analogs = analog_charts(model, dataset, out) if model is not None else []

    reliability_figures(test, m, out)
    difference_figure(c, out)
    curves = learning_curves(report, out)
    write_outputs(c, val, test, m, knn_choice, report, fit_seconds, analogs, curves, out)
    print(f"total: {time.perf_counter() - start:.0f} s")


def _r(x, n=4):
    return None if x is None else round(float(x), n)


def write_outputs(c, val, test, m, knn_choice, report, fit_seconds, analogs, curves, out):
    s = c.scores
    verdict_dir = c.verdicts.get("direction", "not measured")
    lines = [
        "# Every model against every baseline (test split, scored once)",
        "",
        f"{c.n_bars:,} test bars that every model covers. Differences are mean log-loss per "
        "bar (nats) of the row's model minus the column's baseline, with a 95% stationary "
        "block-bootstrap interval over dates; bold where the interval excludes zero "
        "(negative: the row's model is better).",
        "",
        "## Next-bar range (three classes at each symbol's training terciles)",
        "",
        c.range_table(),
        "",
        f"SPA test against HAR over every other model: p = {c.spa_range.get('consistent', 1):.3f}"
        f" (consistent); stepwise, beating HAR: "
        f"{', '.join(LABELS.get(k, k) for k in c.spa_range.get('superior', [])) or 'no model'}. "
        "Model confidence set (10%) p-values: "
        + ", ".join(f"{LABELS.get(k, k)} {v:.3f}" for k, v in
                    sorted(c.mcs_range.items(), key=lambda kv: -kv[1])) + ".",
        "",
        "## Direction of the next close",
        "",
        c.direction_table(),
        "",
        f"SPA test against the base rate over every other model "
        f"({', '.join(LABELS.get(k, k) for k in c.spa_direction['models'])}): "
        f"p = {c.spa_direction['consistent']:.3f} (consistent); its stepwise version names "
        f"{', '.join(LABELS.get(k, k) for k in c.spa_direction['superior']) or 'no model'} "
        f"as beating the base rate. Edge of the fine-tuned model: **{verdict_dir}**.",
        "",
        "## Calibration (ECE, 15 bins, test)",
        "",
        "| model | direction | range low | range mid | range high |",
        "| --- | ---: | ---: | ---: | ---: |",
        *[f"| {LABELS.get(n, n)} | {v['ece_direction']:.4f} | {v['ece_range_low']:.4f} | "
          f"{v['ece_range_mid']:.4f} | {v['ece_range_high']:.4f} |" for n, v in s.items()],
        "",
        "## S&P 500 alone (test), beside the anchors measured beforehand with another protocol",
        "",
        sp500_table(test, m),
        "",
        "## Validation split (where choices were made)",
        "",
        "| model | range log-loss | direction log-loss |",
        "| --- | ---: | ---: |",
        *[f"| {LABELS.get(n, n)} | {v['range_logloss']:.4f} | {v['direction_logloss']:.4f} |"
          for n, v in val.items()],
        "",
        f"kNN on raw windows: k = {knn_choice.k_range} (range) and {knn_choice.k_direction} "
        f"(direction), volatility-level weight {knn_choice.level_weight:g}, chosen on validation.",
        "",
    ]
    (out / "comparison.md").write_text("\n".join(lines))
    (out / "comparison.json").write_text(json.dumps({
        "scores": s,
        "validation": val,
        "range_differences": {f"{a} - {b}": vars(d) for (a, b), d in c.range_diffs.items()},
        "direction_differences": {f"{a} - {b}": vars(d)
                                  for (a, b), d in c.direction_diffs.items()},
        "spa_direction": c.spa_direction,
        "spa_range": c.spa_range,
        "mcs_range": c.mcs_range,
        "verdicts": c.verdicts,
        "knn_choice": {"k_range": knn_choice.k_range, "k_direction": knn_choice.k_direction,
                       "level_weight": knn_choice.level_weight},
        "analog_charts": analogs,
        "learning_curves": curves,
    }, indent=2, default=str) + "\n")
    if report:
        (out / "model_report.json").write_text(json.dumps(report, indent=2, default=str) + "\n")

    metrics: dict = {
        "direction_logloss_training_share": _r(s["unconditional"]["direction_logloss"]),
        "direction_spa_pvalue": _r(c.spa_direction["consistent"], 3),
        "range_spa_pvalue_vs_har": _r(c.spa_range.get("consistent"), 3),
        "test_bars_scored": c.n_bars,
    }
    # every model (its name gives the contract's range_logloss_model, ..._base_rate, ...):
    # scores, and differences from the two benchmarks with their intervals
    for key, v in s.items():
        metrics[f"range_logloss_{key}"] = _r(v["range_logloss"])
        metrics[f"direction_logloss_{key}"] = _r(v["direction_logloss"])
        metrics[f"ece_direction_{key}"] = _r(v["ece_direction"])
        metrics[f"ece_range_max_{key}"] = _r(v["ece_range_max"])
        for diffs, base, target, digits in ((c.range_diffs, "har", "range", 4),
                                            (c.direction_diffs, "base_rate", "direction", 5)):
            if (key, base) in diffs:
                d = diffs[(key, base)]
                stem = f"{target}_{key}_minus_{base}"
                metrics.update({stem: _r(d.mean, digits), f"{stem}_ci_low": _r(d.lo, digits),
                                f"{stem}_ci_high": _r(d.hi, digits)})
    if "model" in s:
        rg = c.range_diffs[("model", "garch")]
        metrics.update({
            "direction_edge": c.verdicts["direction"],
            "range_edge_over_har": c.verdicts["range_vs_har"],
            "ece_direction": _r(s["model"]["ece_direction"]),
            "ece_range_max": _r(s["model"]["ece_range_max"]),
            "range_model_minus_garch": _r(rg.mean),
            "range_model_minus_garch_ci_low": _r(rg.lo),
            "range_model_minus_garch_ci_high": _r(rg.hi),
            "range_model_minus_knn_raw": _r(c.range_diffs[("model", "knn_raw")].mean),
            "range_model_minus_knn_raw_ci_high": _r(c.range_diffs[("model", "knn_raw")].hi),
            "range_model_minus_pretrained": _r(c.range_diffs[("model", "pretrained")].mean),
            "range_model_minus_pretrained_ci_high":
                _r(c.range_diffs[("model", "pretrained")].hi),
            "fit_seconds": _r(fit_seconds, 1),
        })
        for key, value in report.items():
            if not key.startswith(("pretrain_", "ngram_")):
                continue
            if isinstance(value, int | float):
                metrics[key] = _r(value)
            elif isinstance(value, dict):  # e.g. n-gram bits per token by order
                metrics.update({f"{key}_{k}": _r(v) for k, v in value.items()
                                if isinstance(v, int | float)})
    update_metrics({k: v for k, v in metrics.items() if v is not None})
    print((out / "comparison.md").read_text())


if __name__ == "__main__":
    main()
