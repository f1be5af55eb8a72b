"""How often does SGD solve XOR? 100 seeds each for 2-4-1 and 2-2-1, and why 2-2-1 gets stuck.

"Solved" means every one of the four outputs is within 0.1 of its target. A run stops at
the first epoch where that holds, or after --epochs epochs.

Run it:  python seed_sweep.py            (about 20 seconds on one free CPU core)
"""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from nn_SGD import (
    COSTS,
    SOLVED_TOLERANCE,
    XOR_INPUTS,
    XOR_TARGETS,
    Network,
    plot_decision_surface,
    sigmoid_prime,
    train,
)
from results_io import results_dir, use_house_style, write_metrics
from tqdm import tqdm

# (name used in metrics.json, layer sizes, cost). The quadratic row shows the learning
# slowdown that cross-entropy removes.
CONFIGS = (
    ("2_4_1", [2, 4, 1], "cross-entropy"),
    ("2_2_1", [2, 2, 1], "cross-entropy"),
    ("2_4_1_quadratic", [2, 4, 1], "quadratic"),
)
# Cross-entropy of a net that is exactly right on two inputs and says 0.5 on the other two:
# each undecided input costs ln 2, averaged over four inputs.
HALF_SOLVED_COST = math.log(2) / 2
# Three inputs on one hidden code (targets 0, 1, 1 or 1, 0, 0): the best output is their
# mean, 2/3 or 1/3, and each of the three costs ln 3 - (2/3) ln 2.
THREE_SHARE_COST = 3 * (math.log(3) - 2 / 3 * math.log(2)) / 4


@dataclass
class Run:
    seed: int
    net: Network
    costs: list[float]
    solved_at: int | None


def sweep(sizes: list[int], cost: str, seeds: Sequence[int], epochs: int, lr: float,
          batch_size: int, label: str) -> list[Run]:
    runs = []
    # disable=None: a bar at a terminal, none when the output goes to a log file.
    for seed in tqdm(seeds, desc=label, unit="seed", disable=None, file=sys.stdout):
        net = Network(sizes, seed=seed, cost=COSTS[cost])
        log = train(net, XOR_INPUTS, XOR_TARGETS, epochs, lr, batch_size, stop_when_solved=True)
        runs.append(Run(seed, net, log.costs, log.solved_at))
    return runs


def hidden_code_groups(hidden: np.ndarray, tol: float = 0.05) -> list[list[int]]:
    """Inputs whose hidden activations agree to within tol in every unit, grouped."""
    groups: list[list[int]] = []
    for i, code in enumerate(hidden):
        for group in groups:
            if np.max(np.abs(hidden[group[0]] - code)) < tol:
                group.append(i)
                break
        else:
            groups.append([i])
    return groups


def cost_floor(hidden: np.ndarray) -> float:
    """The lowest cross-entropy ANY output layer can reach on top of this hidden code.

    Inputs that share a hidden code get the same output; the best it can be is the mean of
    their targets p, and each of them then costs -p ln p - (1 - p) ln(1 - p). Two inputs
    with opposite targets on one code cost ln 2 each: ln(2)/2 averaged over four inputs.
    """
    total = 0.0
    for group in hidden_code_groups(hidden):
        p = float(np.mean(XOR_TARGETS[group, 0]))
        if 0.0 < p < 1.0:
            total += len(group) * -(p * math.log(p) + (1 - p) * math.log(1 - p))
    return total / len(hidden)


@dataclass
class StuckDiagnosis:
    undecided: int  # inputs whose output is within 0.2 of 0.5
    collapsed: bool  # two inputs with opposite targets share (almost) the same hidden code
    floor: float  # the best cost the hidden code allows, see cost_floor
    twin_units: bool  # two hidden units that respond (almost) alike to all four inputs
    hidden_slope: float  # mean sigmoid'(z) of the hidden units on those two inputs
    gradient_norm: float


def diagnose(net: Network) -> StuckDiagnosis:
    """What a stuck 2-H-1 network looks like from the inside."""
    zs, activations = net.forward(XOR_INPUTS)
    outputs, hidden = activations[-1][:, 0], activations[1]
    closest = (np.inf, 0, 1)
    for i in range(4):
        for j in range(i + 1, 4):
            if XOR_TARGETS[i, 0] != XOR_TARGETS[j, 0]:
                gap = float(np.max(np.abs(hidden[i] - hidden[j])))
                closest = min(closest, (gap, i, j))
    gap, i, j = closest
    grad_w, grad_b = net.backprop(XOR_INPUTS, XOR_TARGETS)
    return StuckDiagnosis(
        undecided=int(np.sum(np.abs(outputs - 0.5) < 0.2)),
        collapsed=gap < 0.05,
        floor=cost_floor(hidden),
        twin_units=any(np.max(np.abs(hidden[:, u] - hidden[:, v])) < 0.05
                       for u in range(hidden.shape[1]) for v in range(u + 1, hidden.shape[1])),
        hidden_slope=float(np.mean(sigmoid_prime(zs[0][[i, j]]))),
        gradient_norm=float(np.sqrt(sum(np.sum(g**2) for g in grad_w + grad_b))),
    )


def symmetric_start(seed: int, epochs: int, lr: float, batch_size: int) -> tuple[bool, float]:
    """Train a 2-2-1 whose two hidden units start identical. Returns (solved, how far apart
    the two hidden units' incoming weights ended up)."""
    net = Network([2, 2, 1], seed=seed)
    net.weights[0][1] = net.weights[0][0]
    net.biases[0][1] = net.biases[0][0]
    net.weights[1][0, 1] = net.weights[1][0, 0]
    log = train(net, XOR_INPUTS, XOR_TARGETS, epochs, lr, batch_size, stop_when_solved=True)
    spread = float(np.max(np.abs(net.weights[0][0] - net.weights[0][1])))
    return log.solved_at is not None, spread


def plot_epochs_histogram(results: dict[str, list[Run]], epochs: int, path: str) -> None:
    import matplotlib.pyplot as plt

    use_house_style()
    fig, ax = plt.subplots(figsize=(6.9, 5.0))
    bins = np.linspace(0, epochs, 41)
    for (key, sizes, cost), color in zip(CONFIGS, ("tab:blue", "tab:orange", "tab:gray"),
                                         strict=True):
        runs = results[key]
        solved = [r.solved_at for r in runs if r.solved_at is not None]
        label = (f"{'-'.join(map(str, sizes))} {cost}: {len(solved)}/{len(runs)} solved, "
                 f"median {np.median(solved):g} epochs" if solved else "none solved")
        ax.hist(solved, bins=bins, histtype="step", linewidth=2, color=color, label=label)
    ax.set_xlabel(f"epochs to solve (runs stopped at {epochs})")
    ax.set_ylabel("seeds")
    seeds = max(len(runs) for runs in results.values())
    ax.set_title(f"Epochs until every output is within 0.1 of its target\n"
                 f"{seeds} seeds each")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.18))
    fig.savefig(path)
    plt.close(fig)


def plot_stuck_evidence(runs: list[Run], path: str) -> None:
    """Top: final cost of every 2-2-1 seed. Bottom: the cost curves of the failed seeds."""
    import matplotlib.pyplot as plt

    use_house_style()
    fig, (ax_hist, ax_curves) = plt.subplots(2, 1, figsize=(6.9, 8.4))
    solved = [r.costs[-1] for r in runs if r.solved_at is not None]
    failed = [r.costs[-1] for r in runs if r.solved_at is None]
    bins = np.logspace(np.log10(min(solved + failed)) - 0.1, 0.1, 40)
    ax_hist.hist([solved, failed], bins=bins, stacked=True, color=["tab:blue", "tab:red"],
                 label=[f"solved ({len(solved)})", f"not solved ({len(failed)})"])
    ax_hist.axvline(HALF_SOLVED_COST, color="black", linestyle="--", label="ln(2)/2")
    ax_hist.axvline(THREE_SHARE_COST, color="black", linestyle=":", label="three share a code")
    ax_hist.set_xscale("log")
    ax_hist.set_xlabel("cost when the run stopped")
    ax_hist.set_ylabel("seeds")
    ax_hist.set_title("2-2-1: final cost of each seed")
    ax_hist.legend(loc="upper left", bbox_to_anchor=(0.22, 1.0))  # between the two groups
    for run in runs:
        if run.solved_at is None:
            ax_curves.plot(run.costs, color="tab:red", alpha=0.3, linewidth=1)
    ax_curves.axhline(HALF_SOLVED_COST, color="black", linestyle="--",
                      label="ln(2)/2: two inputs share a hidden code")
    ax_curves.axhline(THREE_SHARE_COST, color="black", linestyle=":",
                      label="three inputs share a hidden code")
    ax_curves.set_ylim(0, 1)
    ax_curves.set_xlabel("epoch")
    ax_curves.set_ylabel("cost")
    ax_curves.set_title("2-2-1: cost curves of the seeds that got stuck")
    ax_curves.legend(loc="upper right")
    fig.savefig(path)
    plt.close(fig)


def plot_stuck_vs_solved(stuck: Run, solved: Run, path: str) -> None:
    """Output over the unit square, and where the four inputs land in hidden space."""
    import matplotlib.pyplot as plt

    use_house_style()
    fig, axes = plt.subplots(2, 2, figsize=(6.9, 7.0))
    for row, (run, word) in enumerate(((solved, "solved"), (stuck, "stuck"))):
        plot_decision_surface(run.net, f"seed {run.seed} ({word}): output",
                              path="", ax=axes[row, 0], title_size=11)
        hidden = run.net.forward(XOR_INPUTS)[1][1]
        ax = axes[row, 1]
        ones = XOR_TARGETS[:, 0] == 1
        # Big red circles for target 1, small blue squares for target 0: overlaps stay visible.
        ax.scatter(hidden[ones, 0], hidden[ones, 1], color="tab:red", edgecolors="black",
                   s=160, label="target 1")
        ax.scatter(hidden[~ones, 0], hidden[~ones, 1], color="tab:blue", edgecolors="black",
                   marker="s", s=50, label="target 0")
        for group in hidden_code_groups(hidden):
            names = " and ".join(f"({x1:.0f},{x2:.0f})" for x1, x2 in XOR_INPUTS[group])
            ax.annotate(names, tuple(hidden[group[0]]), textcoords="offset points",
                        xytext=(8, 8), fontsize=10)
        ax.legend(loc="center", fontsize=10, frameon=True)
        ax.set_xlim(-0.1, 1.1)
        ax.set_ylim(-0.1, 1.1)
        ax.set_aspect("equal")
        ax.set_xlabel("hidden unit 1")
        ax.set_ylabel("hidden unit 2")
        ax.set_title(f"seed {run.seed}: inputs in hidden space", fontsize=11)
    fig.suptitle("2-2-1 networks, solved (top) and stuck (bottom)")
    fig.savefig(path)
    plt.close(fig)


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Seed sweep: how often does SGD solve XOR?")
    parser.add_argument("--seeds", type=int, default=100, help="seeds 0..N-1 per network")
    parser.add_argument("--epochs", type=int, default=2000, help="budget per run")
    parser.add_argument("--lr", type=float, default=2.0)
    parser.add_argument("--batch-size", type=int, default=2)
    parser.add_argument("--longer", type=int, default=10_000,
                        help="epochs to give the first few stuck 2-2-1 seeds a second chance")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.seeds < 1 or args.epochs < 1 or args.lr <= 0 or args.batch_size < 1:
        print("seed_sweep.py: error: --seeds, --epochs, --batch-size must be >= 1 and --lr > 0",
              file=sys.stderr)
        return 2
    print(f"{args.seeds} seeds per network, up to {args.epochs} epochs, lr {args.lr}, "
          f"batch size {args.batch_size}; solved = every output within {SOLVED_TOLERANCE}")

    results: dict[str, list[Run]] = {}
    metrics: dict[str, float | int | str] = {"sweep_seeds": args.seeds,
                                             "sweep_epoch_budget": args.epochs}
    for key, sizes, cost in CONFIGS:
        runs = sweep(sizes, cost, range(args.seeds), args.epochs, args.lr, args.batch_size,
                     label=f"{'-'.join(map(str, sizes))} {cost}")
        results[key] = runs
        solved = [r.solved_at for r in runs if r.solved_at is not None]
        rate = len(solved) / len(runs)
        median = float(np.median(solved)) if solved else float("nan")
        metrics[f"solve_rate_{key}"] = rate
        metrics[f"median_epochs_{key}"] = median if solved else "none solved"
        print(f"  {'-'.join(map(str, sizes))} {cost:13s}: solved {len(solved)}/{len(runs)} "
              f"({rate:.0%}), median {median:g} epochs to solve")

    # Why 2-2-1 gets stuck: look inside the failed runs.
    stuck = [r for r in results["2_2_1"] if r.solved_at is None]
    if stuck:
        diagnoses = [diagnose(r.net) for r in stuck]
        at_half = sum(abs(r.costs[-1] - HALF_SOLVED_COST) < 0.01 for r in stuck)
        at_floor = sum(abs(r.costs[-1] - d.floor) < 0.01
                       for r, d in zip(stuck, diagnoses, strict=True))
        two_undecided = sum(d.undecided == 2 for d in diagnoses)
        collapsed = sum(d.collapsed for d in diagnoses)
        slope = float(np.median([d.hidden_slope for d in diagnoses]))
        grad = float(np.median([d.gradient_norm for d in diagnoses]))
        drift = float(np.median([abs(r.costs[-1] - r.costs[len(r.costs) // 2]) for r in stuck]))
        print(f"the {len(stuck)} stuck 2-2-1 seeds:")
        print(f"  {at_half} end with cost within 0.01 of ln(2)/2 = {HALF_SOLVED_COST:.4f}")
        print(f"  {two_undecided} have exactly two outputs near 0.5 (right on the other two)")
        print(f"  {collapsed} map two inputs with opposite targets to the same hidden code "
              f"(every hidden unit within 0.05)")
        print(f"  {at_floor} end within 0.01 of the lowest cost their hidden code allows")
        twins = sum(d.twin_units for d in diagnoses)
        print(f"  {twins} have two hidden units that respond alike (within 0.05) to all inputs")
        print(f"  median sigmoid'(z) of the hidden units on that pair: {slope:.1e} (max is 0.25)")
        print(f"  median gradient norm at the end: {grad:.1e}; median cost change over the "
              f"second half of training: {drift:.1e}")
        metrics.update({
            "stuck_2_2_1": len(stuck),
            "stuck_2_2_1_at_ln2_over_2": at_half,
            "stuck_2_2_1_collapsed_pair": collapsed,
            "stuck_2_2_1_at_hidden_code_floor": at_floor,
            "stuck_2_2_1_twin_hidden_units": twins,
            "stuck_2_2_1_median_hidden_slope": slope,
            "stuck_2_2_1_median_gradient_norm": grad,
        })

        second_chance = stuck[:5]
        escaped = 0
        for run in second_chance:
            log = train(run.net, XOR_INPUTS, XOR_TARGETS, args.longer - args.epochs, args.lr,
                        args.batch_size, stop_when_solved=True)
            escaped += log.solved_at is not None
        print(f"  given {args.longer} epochs in all, {escaped} of the first "
              f"{len(second_chance)} stuck seeds got out")
        metrics["stuck_2_2_1_escaped_with_more_epochs"] = f"{escaped} of {len(second_chance)}"

    solved_sym, spread = symmetric_start(0, args.epochs, args.lr, args.batch_size)
    verdict = "solved" if solved_sym else "not solved"
    print(f"2-2-1 whose two hidden units start identical: {verdict}; after training their "
          f"incoming weights differ by at most {spread:.1e}")
    metrics["symmetric_start_2_2_1_solved"] = int(solved_sym)

    out_dir = results_dir()
    plot_epochs_histogram(results, args.epochs, str(out_dir / "epochs_to_solve.png"))
    figures = ["epochs_to_solve.png"]
    solved_2_2_1 = [r for r in results["2_2_1"] if r.solved_at is not None]
    if stuck and solved_2_2_1:
        plot_stuck_evidence(results["2_2_1"], str(out_dir / "stuck_2_2_1_final_cost.png"))
        plot_stuck_vs_solved(stuck[0], solved_2_2_1[0], str(out_dir / "stuck_vs_solved_2_2_1.png"))
        figures += ["stuck_2_2_1_final_cost.png", "stuck_vs_solved_2_2_1.png"]
    write_metrics(metrics)
    print(f"wrote {', '.join(figures)} and metrics to {out_dir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
