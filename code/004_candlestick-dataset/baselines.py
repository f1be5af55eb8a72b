"""The bar a model must beat, walk-forward per asset, and the planted-pattern check.

Direction of the next bar and its range bucket, scored by log-loss and Brier score for:
a coin flip, each asset's training base rate, and Markov n-grams over tokens (orders
1 to 3 with backoff; order and smoothing chosen on validation, scored on test).

    python baselines.py
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
from results_io import results_dir, update_metrics

from dlip.figures import use_house_style
from dlip.market.baselines import evaluate, markdown_table, planted_recovery
from dlip.market.dataset import build
from dlip.market.synthetic import SyntheticMarket

PLANTED_SYMBOL = "SYNTH_PLANTED"


def _figure(ev, path: Path) -> None:
    import matplotlib.pyplot as plt

    use_house_style()
    s = ev.scores[(ev.scores.step == "test")]
    fig, axes = plt.subplots(2, 1, figsize=(6.9, 8.4))  # stacked: house width, two panels
    for ax, target in zip(axes, ("direction", "range"), strict=True):
        d = s[s.target == target].pivot(index="symbol", columns="model", values="logloss")
        d = d.loc[list(dict.fromkeys(s[s.target == target]["symbol"]))]
        gain = d.sub(d["coin flip"], axis=0).drop(columns=["coin flip", "best n-gram"])
        x = np.arange(len(gain))
        for i, model in enumerate(gain.columns):
            ax.bar(x + (i - 1.5) * 0.2, -gain[model], width=0.2, label=model)
        ax.axhline(0, color="#333", lw=0.8)
        ax.set_xticks(x, gain.index, rotation=30, ha="right")
        ax.set_title(f"next-bar {target}: log-loss below the coin flip (test)")
        ax.set_ylabel("nats per bar (higher is better)")
    axes[0].legend()
    fig.savefig(path)
    plt.close(fig)


def main() -> None:
    out = results_dir()
    with tempfile.TemporaryDirectory() as tmp:
        real = build(["packaged"], Path(tmp) / "real")
        synth = build(["synthetic_planted"], Path(tmp) / "synthetic")
    ev_real = evaluate(real)
    ev_synth = evaluate(synth)
    found = planted_recovery(synth, PLANTED_SYMBOL)
    planted_p = SyntheticMarket(planted_p=0.7).planted_p

    sections = ["# Baselines: the bar a model must beat", ""]
    for title, ev in (("Real assets", ev_real), ("Synthetic market with a planted pattern",
                                                  ev_synth)):
        for target in ("direction", "range"):
            order, strength = ev.chosen[target]
            sections += [
                f"## {title}: next-bar {target}, test split",
                "",
                f"Log-loss (Brier score); lowest in bold. Best n-gram: order {order}, "
                f"smoothing {strength:g}, chosen on validation.",
                "",
                markdown_table(ev, target, "test"),
                "",
            ]
    sections += [
        "## Validation split (where the n-gram order was chosen)",
        "",
        markdown_table(ev_real, "direction", "val"),
        "",
        "## Planted pattern",
        "",
        f"Planted: after a strong falling bar with a long lower wick the next bar rises with "
        f"p = {planted_p}. The 1-gram fitted on train + validation predicts "
        f"{found['predicted_p_up_after_trigger']:.3f} on the {found['trigger_bars_test']:,} "
        f"such test bars (observed share rising: {found['observed_p_up_after_trigger']:.3f}). "
        f"Mirror image: predicted P(fall) {found['predicted_p_down_after_mirror']:.3f}, "
        f"observed {found['observed_p_down_after_mirror']:.3f}.",
        "",
    ]
    text = "\n".join(sections)
    (out / "baselines.md").write_text(text)
    ev_real.scores.to_csv(out / "baselines_real.csv", index=False)
    ev_synth.scores.to_csv(out / "baselines_synthetic.csv", index=False)
    _figure(ev_real, out / "baselines_real.png")

    metrics = {
        "planted_pattern_p": planted_p,
        "planted_pattern_recovered_p": round(found["predicted_p_up_after_trigger"], 4),
        "planted_pattern_observed_p": round(found["observed_p_up_after_trigger"], 4),
        "planted_mirror_recovered_p": round(found["predicted_p_down_after_mirror"], 4),
    }
    s = ev_real.scores
    test = s[(s.step == "test") & (s.target == "direction")]
    for symbol in real.symbols + ["ALL"]:
        rows = test[test.symbol == symbol].set_index("model")["logloss"]
        key = symbol.lower()
        metrics[f"{key}_direction_logloss_coin_flip"] = round(rows["coin flip"], 5)
        metrics[f"{key}_direction_logloss_base_rate"] = round(rows["base rate"], 5)
        metrics[f"{key}_direction_logloss_best_ngram"] = round(rows["best n-gram"], 5)
    rng = s[(s.step == "test") & (s.target == "range") & (s.symbol == "ALL")].set_index("model")
    metrics["all_range_logloss_base_rate"] = round(rng.at["base rate", "logloss"], 5)
    metrics["all_range_logloss_best_ngram"] = round(rng.at["best n-gram", "logloss"], 5)
    update_metrics(metrics)
    print(text)


if __name__ == "__main__":
    main()
