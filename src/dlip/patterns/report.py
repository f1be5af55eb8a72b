"""Every model against every baseline on the same bars, with intervals and a verdict per target.

`compare` scores each prediction frame (`scoring.score_frame`), takes the per-bar losses on
the bars every frame covers, and for each model and each baseline the block-bootstrap
interval of the loss difference; then the SPA test (and StepM) over all models tried,
against the base rate (every outcome known before the split) for direction and against HAR
for the range, and the model confidence set of the range. The verdicts follow one rule
(`scoring.edge_verdict`): an interval wholly below zero AND a multiple-comparison test that
names the model.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from dlip.patterns import scoring as sc

RANGE_BASELINES = ("har", "garch", "knn_raw", "unconditional")
DIRECTION_BASELINES = ("base_rate", "coin")
BENCHMARK = {"direction": "base_rate", "range": "har"}
LABELS = {
    "model": "fine-tuned model",
    "pretrained": "pretrained only",
    "knn_raw": "kNN, raw windows",
    "har": "HAR (Corsi)",
    "garch": "GARCH(1,1)-t",
    "unconditional": "unconditional (training shares)",
    "base_rate": "base rate (all outcomes before the split)",
    "coin": "coin flip",
}


@dataclass
class Comparison:
    scores: dict[str, dict]
    range_diffs: dict[tuple[str, str], sc.Difference]
    direction_diffs: dict[tuple[str, str], sc.Difference]
    spa_direction: dict
    spa_range: dict
    mcs_range: dict[str, float]
    n_bars: int
    verdicts: dict[str, str] = field(default_factory=dict)

    def range_table(self) -> str:
        return _table(self, "range_logloss", self.range_diffs, RANGE_BASELINES)

    def direction_table(self) -> str:
        return _table(self, "direction_logloss", self.direction_diffs, DIRECTION_BASELINES)


def _fmt_diff(d: sc.Difference) -> str:
    text = f"{d.mean:+.4f} [{d.lo:+.4f}, {d.hi:+.4f}]"
    return f"**{text}**" if d.excludes_zero else text


def _table(c: Comparison, key: str, diffs, baselines) -> str:
    present = [b for b in baselines if b in c.scores]
    head = ["model", "log-loss", *[f"minus {LABELS.get(b, b)}" for b in present]]
    lines = ["| " + " | ".join(head) + " |", "| --- | ---: |" + " ---: |" * len(present)]
    order = sorted(c.scores, key=lambda name: c.scores[name][key])
    for name in order:
        cells = [LABELS.get(name, name), f"{c.scores[name][key]:.4f}"]
        for b in present:
            cells.append("" if b == name else _fmt_diff(diffs[(name, b)]))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def compare(
    frames: dict[str, pd.DataFrame], table: pd.DataFrame, targets: pd.DataFrame,
    *, subject: str = "model", reps: int = 1000, seed: int = 0,
) -> Comparison:
    """Score every frame, compare each with each baseline, and give the verdicts for
    `subject` (the model whose edge is claimed or not)."""
    direction, rng = sc.per_bar_losses(frames, table, targets)
    common = direction.index.intersection(rng.index)
    direction, rng = direction.loc[common], rng.loc[common]
    keys = pd.DataFrame(common.to_list(), columns=sc.KEY)
    scores = {}
    for name, f in frames.items():
        f = f.astype({"symbol": str}).assign(timestamp=pd.to_datetime(f["timestamp"]))
        scores[name] = sc.score_frame(f.merge(keys, on=sc.KEY), table, targets)
    range_diffs = {
        (m, b): sc.bootstrap_difference(rng[m], rng[b], reps=reps, seed=seed)
        for m in frames for b in RANGE_BASELINES if b in frames and b != m
    }
    direction_diffs = {
        (m, b): sc.bootstrap_difference(direction[m], direction[b], reps=reps, seed=seed)
        for m in frames for b in DIRECTION_BASELINES if b in frames and b != m
    }
    if subject in frames and "pretrained" in frames:
        range_diffs[(subject, "pretrained")] = sc.bootstrap_difference(
            rng[subject], rng["pretrained"], reps=reps, seed=seed)
    spa_direction = sc.spa_pvalues(direction, BENCHMARK["direction"], reps=reps, seed=seed)
    spa_range = sc.spa_pvalues(rng, "har", reps=reps, seed=seed) if "har" in frames else {}
    mcs = sc.model_confidence_set(rng, reps=reps, seed=seed)
    c = Comparison(scores, range_diffs, direction_diffs, spa_direction, spa_range, mcs,
                   len(common))
    if subject in frames:
        c.verdicts["direction"] = sc.edge_verdict(
            direction_diffs[(subject, BENCHMARK["direction"])], spa_direction, subject)
        if "har" in frames:
            c.verdicts["range_vs_har"] = sc.edge_verdict(
                range_diffs[(subject, "har")], spa_range, subject)
    return c
