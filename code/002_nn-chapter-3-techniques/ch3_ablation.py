"""Chapter 3, one technique at a time: the ablation behind this milestone's numbers.

Start from the chapter-1 network (quadratic cost, sigmoid output, N(0, 1) weights,
plain SGD) and try one technique per row on top of the stack kept so far. A technique
stays in the stack when the mean validation accuracy does not drop; the last stack
standing is the "full stack". Each row is trained on the MNIST 5k split (several seeds,
mean reported) and, where it is installed, on full Fashion-MNIST (one seed). Validation
images decide what is kept, the learning-rate schedule and early stopping; the test
images are only used to report.

    python ch3_ablation.py            # the frozen run
    python ch3_ablation.py --quick    # a smoke run in well under a minute

Writes metrics.json, ablation.md and validation-curve figures into $DLIP_RESULTS_DIR,
or ./results-local/ next to this file.
"""

from __future__ import annotations

import os

# One BLAS thread: the batches here are small, and on a shared 2-core machine extra
# threads spin against each other (measured: 15x slower per epoch with 2 threads).
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import argparse  # noqa: E402
import json  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from dataclasses import dataclass, replace  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
from ch3_data import DataMissing, Split, load_fashion, load_mnist5k  # noqa: E402
from ch3_gradcheck import check_all  # noqa: E402
from ch3_idx import IdxError  # noqa: E402
from ch3_network import NetConfig, Network  # noqa: E402
from ch3_training import TrainConfig, train  # noqa: E402

HERE = Path(__file__).resolve().parent


@dataclass(frozen=True)
class Setting:
    """Hyperparameters for one dataset, chosen on its validation split."""

    sizes: tuple[int, ...]
    epochs: int  # the most epochs any row may run
    batch_size: int
    eta_quadratic: float  # chapter-1 learning rate for the quadratic-cost rows
    eta: float  # learning rate once the cost is cross-entropy / log-likelihood
    eta_relu: float
    momentum: float
    lmbda_l2: float
    lmbda_l1: float
    dropout: float
    max_shift: int
    shift_share: float
    schedule_patience: int
    early_stop_patience: int


MNIST = Setting(
    sizes=(784, 100, 10), epochs=40, batch_size=10, eta_quadratic=3.0, eta=0.5,
    eta_relu=0.1, momentum=0.9, lmbda_l2=1.0, lmbda_l1=0.5, dropout=0.2,
    max_shift=1, shift_share=0.5, schedule_patience=3, early_stop_patience=8,
)
# Fashion-MNIST: 55,000 training images make an epoch 16x longer, so fewer epochs and a
# wider, deeper network.
FASHION = Setting(
    sizes=(784, 256, 128, 10), epochs=25, batch_size=32, eta_quadratic=3.0, eta=0.5,
    eta_relu=0.1, momentum=0.9, lmbda_l2=5.0, lmbda_l1=1.0, dropout=0.2,
    max_shift=1, shift_share=0.5, schedule_patience=2, early_stop_patience=5,
)


@dataclass(frozen=True)
class Step:
    key: str  # snake_case name used in metrics.json
    label: str  # what this step changes, for the table
    changes: dict  # NetConfig / TrainConfig fields this step sets
    eta_scale: float | None = None  # multiply the stack's learning rate by this


def steps_for(s: Setting) -> list[Step]:
    """The techniques, in the order they are tried on top of the chapter-1 network."""
    return [
        Step("cross_entropy", "cross-entropy cost", {"cost": "cross_entropy", "eta": s.eta}),
        Step("softmax", "softmax output, log-likelihood cost",
             {"cost": "log_likelihood", "output": "softmax", "eta": s.eta}),
        Step("init", "weights N(0, 1/n_in)", {"init": "scaled"}),
        Step("standardize", "standardized inputs", {"standardize": True}),
        Step("l2", "L2 regularization", {"regularizer": "l2", "lmbda": s.lmbda_l2}),
        Step("dropout", "dropout on hidden units", {"dropout": s.dropout}),
        Step("expanded_data", "expanded data (random shifts)",
             {"max_shift": s.max_shift, "shift_share": s.shift_share}),
        Step("relu", "rectified linear hidden units", {"hidden": "relu", "eta": s.eta_relu}),
        # eta * (1 - mu): the same long-run step size as before, now with a smoothed direction
        Step("momentum", "momentum", {"momentum": s.momentum}, eta_scale=1 - s.momentum),
        Step("lr_schedule", "halve eta on a plateau", {"schedule_patience": s.schedule_patience}),
        Step("early_stopping", "early stopping", {"early_stop_patience": s.early_stop_patience}),
    ]


def describe(s: Setting) -> str:
    """The hyperparameters behind the table's rows, as one Markdown bullet per dataset."""
    return (
        f"layers {'-'.join(map(str, s.sizes))}, at most {s.epochs} epochs, batch {s.batch_size}; "
        f"eta {s.eta_quadratic:g} (quadratic), {s.eta:g} (cross-entropy / log-likelihood), "
        f"{s.eta_relu:g} (ReLU); momentum mu {s.momentum:g} with eta x {1 - s.momentum:g}; "
        f"L2 lambda {s.lmbda_l2:g}, L1 lambda {s.lmbda_l1:g}; dropout p {s.dropout:g}; "
        f"{s.shift_share:.0%} of images shifted by up to {s.max_shift} px each epoch; "
        f"eta halved after {s.schedule_patience} epochs without a new best validation "
        f"accuracy; stop after {s.early_stop_patience} such epochs"
    )


def apply(net: NetConfig, tr: TrainConfig, changes: dict) -> tuple[NetConfig, TrainConfig]:
    net_fields = {k: v for k, v in changes.items() if hasattr(net, k)}
    train_fields = {k: v for k, v in changes.items() if k not in net_fields}
    return replace(net, **net_fields), replace(tr, **train_fields)


@dataclass
class RowResult:
    key: str
    label: str
    net: NetConfig
    train: TrainConfig
    test_accuracy: list[float]
    val_accuracy: list[float]  # of the final model, the number that decides "kept"
    epochs: list[int]
    curves: list[list[float]]  # validation accuracy per epoch, one list per seed
    seconds: float
    kept: bool = True
    variant: bool = False  # a side variant of the full stack, not a step of the ladder


def run_config(key: str, label: str, net_cfg: NetConfig, tr: TrainConfig, data: Split,
               seeds: list[int], progress) -> RowResult:
    result = RowResult(key, label, net_cfg, tr, [], [], [], [], 0.0)
    start = time.perf_counter()
    for seed in seeds:
        net = Network(net_cfg, seed=seed)
        history = train(net, data.x_train, data.y_train, data.x_val, data.y_val, tr,
                        seed=seed, on_epoch=lambda e, a: progress.update(1))
        progress.update(tr.epochs - history.epochs_run)  # epochs skipped by stopping
        result.test_accuracy.append(net.accuracy(data.x_test, data.y_test))
        result.val_accuracy.append(net.accuracy(data.x_val, data.y_val))
        result.epochs.append(history.epochs_run)
        result.curves.append(history.val_accuracy)
    result.seconds = time.perf_counter() - start
    return result


def run_dataset(name: str, data: Split, s: Setting, seeds: list[int]) -> list[RowResult]:
    """Try each technique on top of the stack kept so far; keep it when the mean
    validation accuracy does not drop. The test split plays no part in the choice."""
    from tqdm import tqdm

    steps = steps_for(s)
    total = s.epochs * (len(steps) + 2) * len(seeds)
    with tqdm(total=total, desc=f"{name} epochs", unit="ep", file=sys.stdout,
              mininterval=10) as progress:

        def report(r: RowResult) -> None:
            verdict = "variant" if r.variant else ("kept" if r.kept else "dropped")
            tqdm.write(f"  {r.key:<15} val {np.mean(r.val_accuracy):.2%}  "
                       f"test {np.mean(r.test_accuracy):.2%}  epochs {np.mean(r.epochs):.1f}  "
                       f"{verdict}  ({r.seconds:.0f} s)", file=sys.stdout)

        net_cfg = NetConfig(sizes=s.sizes)
        tr = TrainConfig(epochs=s.epochs, batch_size=s.batch_size, eta=s.eta_quadratic)
        best = run_config("baseline", "chapter 1: quadratic cost, sigmoid, N(0,1), plain SGD",
                          net_cfg, tr, data, seeds, progress)
        results = [best]
        report(best)
        for step in steps:
            changes = dict(step.changes)
            if step.eta_scale is not None:
                changes["eta"] = best.train.eta * step.eta_scale
            cand_net, cand_tr = apply(best.net, best.train, changes)
            row = run_config(step.key, "+ " + step.label, cand_net, cand_tr, data, seeds,
                             progress)
            row.kept = np.mean(row.val_accuracy) >= np.mean(best.val_accuracy)
            if row.kept:
                best = row
            results.append(row)
            report(row)
        # L1 in place of L2 (or on top, if L2 was dropped) as a side variant
        l1_net, l1_tr = apply(best.net, best.train, {"regularizer": "l1", "lmbda": s.lmbda_l1})
        l1 = run_config("l1", "full stack with L1 as its regularizer",
                        l1_net, l1_tr, data, seeds, progress)
        l1.variant, l1.kept = True, False
        results.append(l1)
        report(l1)
        progress.update(total - progress.n)
    full = RowResult(**{**best.__dict__, "key": FULL_STACK, "label": "full stack"})
    return results + [full]


FULL_STACK = "full_stack"


# ----- outputs -------------------------------------------------------------------
def write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)


HOUSE_STYLE = Path(__file__).resolve().parents[2] / "src" / "dlip" / "house.mplstyle"


def use_house_style() -> None:
    """Draw in the project's house style, read from its one file in the repo
    (src/dlip/house.mplstyle, declared in milestone.yml's `inputs` so a change of style
    re-keys this milestone): 6.9 in wide at 200 dpi, no text under 10 pt. Nothing is
    imported from src/; outside the repo the figures use matplotlib's defaults."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    if HOUSE_STYLE.is_file():
        plt.style.use(str(HOUSE_STYLE))
    else:
        print(f"note: {HOUSE_STYLE} not found; figures use matplotlib's defaults",
              file=sys.stderr)


def plot_curves(results: list[RowResult], title: str, path: Path) -> None:
    """Validation accuracy per epoch of every row; the legend sits below the axes in three
    columns, so the plot keeps the full content width."""
    use_house_style()
    import matplotlib.pyplot as plt

    rows = [r for r in results if r.key != FULL_STACK]
    fig, ax = plt.subplots(figsize=(6.9, 7.0))
    cmap = plt.get_cmap("viridis")
    for i, r in enumerate(rows):
        longest = max(len(c) for c in r.curves)
        # mean over the seeds still running at each epoch
        mean = [np.mean([c[e] for c in r.curves if len(c) > e]) for e in range(longest)]
        style: dict = {"color": cmap(i / max(len(rows) - 1, 1))}
        if r.variant:
            style = {"color": "crimson", "linestyle": "--"}
        elif not r.kept:
            style["linestyle"] = ":"
        name = r.key + ("" if r.kept or r.variant else " (dropped)")
        ax.plot(range(1, longest + 1), np.array(mean) * 100, label=name, linewidth=1.6,
                **style)
    ax.xaxis.get_major_locator().set_params(integer=True)  # epochs are whole
    ax.set_xlabel("epoch")
    ax.set_ylabel("validation accuracy (%)")
    ax.set_ylim(max(min(min(min(c) for c in r.curves) for r in rows) * 100 - 1, 50), 100)
    ax.set_title(title, fontsize=12)
    fig.legend(loc="outside lower center", ncol=3, fontsize=10)
    tmp = path.with_name(path.stem + ".tmp.png")
    fig.savefig(tmp)
    plt.close(fig)
    tmp.replace(path)


def verdict(r: RowResult) -> str:
    return "side variant" if r.variant else ("kept" if r.kept else "dropped")


def markdown_table(
    mnist: list[RowResult], fashion: list[RowResult] | None, seeds: int, mnist_setting: Setting
) -> str:
    """One row per technique; test accuracy reported, validation accuracy decides.
    Settings for each dataset follow the table."""
    head = (f"| row | technique | MNIST 5k test acc (mean of {seeds} seeds) | MNIST val acc "
            "| MNIST epochs | MNIST verdict |")
    rule = "|---|---|---|---|---|---|"
    if fashion:
        head += " Fashion test acc (1 seed) | Fashion val acc | Fashion epochs | Fashion verdict |"
        rule += "---|---|---|---|"
    lines = [head, rule]
    fashion_by_key = {r.key: r for r in fashion or []}
    for r in mnist:
        accs = np.array(r.test_accuracy) * 100
        spread = f" ± {accs.std(ddof=1):.2f}" if len(accs) > 1 else ""
        name = f"**{r.key}**" if r.key == FULL_STACK else f"`{r.key}`"
        label = r.label if r.key != FULL_STACK else "every kept technique (the best row above)"
        line = (f"| {name} | {label} | {accs.mean():.2f}%{spread} | "
                f"{np.mean(r.val_accuracy) * 100:.2f}% | {np.mean(r.epochs):.1f} | "
                f"{'' if r.key == FULL_STACK else verdict(r)} |")
        if fashion:
            f = fashion_by_key[r.key]
            line += (f" {f.test_accuracy[0] * 100:.2f}% | {f.val_accuracy[0] * 100:.2f}% | "
                     f"{f.epochs[0]} | {'' if f.key == FULL_STACK else verdict(f)} |")
        lines.append(line)
    lines += ["", f"- MNIST 5k: {describe(mnist_setting)}."]
    if fashion:
        lines.append(f"- Fashion-MNIST: {describe(FASHION)}.")
    return "\n".join(lines) + "\n"


def dataset_metrics(prefix: str, results: list[RowResult]) -> dict[str, float | str]:
    """`<prefix>_<technique>_accuracy` (test, mean over seeds) and epochs for every row."""
    out: dict[str, float | str] = {}
    for r in results:
        if r.key == FULL_STACK:
            continue
        out[f"{prefix}_{r.key}_accuracy"] = float(np.mean(r.test_accuracy))
        out[f"{prefix}_{r.key}_val_accuracy"] = float(np.mean(r.val_accuracy))
        out[f"{prefix}_{r.key}_epochs"] = float(np.mean(r.epochs))
    kept = [r.key for r in results if r.kept and not r.variant and r.key != FULL_STACK]
    out[f"{prefix}_full_stack_techniques"] = ", ".join(kept[1:])  # baseline is not a technique
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, default=3, help="MNIST 5k seeds per row")
    parser.add_argument("--quick", action="store_true",
                        help="2 epochs per row on 700 images, 1 seed, no Fashion: a smoke test")
    parser.add_argument("--no-fashion", action="store_true", help="skip Fashion-MNIST")
    parser.add_argument("--fashion-dir", default=None, help="folder with the Fashion IDX files")
    args = parser.parse_args(argv)

    base_seed = int(os.environ.get("DLIP_SEED", "0"))
    out = Path(os.environ.get("DLIP_RESULTS_DIR") or HERE / "results-local")
    out.mkdir(parents=True, exist_ok=True)
    mnist_setting = replace(MNIST, epochs=2) if args.quick else MNIST
    seeds = [base_seed + i for i in range(1 if args.quick else args.seeds)]
    if args.quick:
        args.no_fashion = True

    metrics: dict[str, float | str] = {}
    t0 = time.perf_counter()

    print("Gradient checks (float64, backprop vs centered finite differences):")
    errors = check_all()
    for label, err in errors.items():
        print(f"  {label:<18} max relative error {err:.1e}")
    metrics["grad_check_max_rel_error"] = max(errors.values())

    mnist_data = load_mnist5k(split_seed=0)
    if args.quick:  # a fifth of the training images: enough to see learning
        mnist_data = replace(mnist_data, x_train=mnist_data.x_train[:700],
                             y_train=mnist_data.y_train[:700])
    print(f"\n{mnist_data.describe()}; seeds {seeds}")
    mnist = run_dataset("MNIST 5k", mnist_data, mnist_setting, seeds)
    by_key = {r.key: r for r in mnist}
    metrics["baseline_accuracy_mean"] = float(np.mean(by_key["baseline"].test_accuracy))
    full = by_key[FULL_STACK]
    metrics["mnist5k_full_stack_accuracy_mean"] = float(np.mean(full.test_accuracy))
    metrics["mnist5k_full_stack_accuracy_std"] = (
        float(np.std(full.test_accuracy, ddof=1)) if len(seeds) > 1 else 0.0)
    metrics.update(dataset_metrics("ablation", mnist))
    metrics["mnist5k_seeds"] = len(seeds)
    plot_curves(mnist, f"MNIST 5k: validation accuracy per row (mean of {len(seeds)} seeds)",
                out / "ablation_mnist5k.png")

    fashion = None
    if args.no_fashion:
        metrics["fashion_status"] = "skipped (--no-fashion)"
    else:
        try:
            kwargs = {"folder": args.fashion_dir} if args.fashion_dir else {}
            fashion_data = load_fashion(**kwargs)
        except DataMissing as exc:
            print(f"\nSkipping Fashion-MNIST. {exc}")
            metrics["fashion_status"] = "skipped: data not installed"
        except (IdxError, ValueError) as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
        else:
            print(f"\n{fashion_data.describe()}; seed {base_seed}")
            fashion = run_dataset("Fashion-MNIST", fashion_data, FASHION, [base_seed])
            metrics["fashion_status"] = "ran (1 seed)"
            metrics.update(dataset_metrics("fashion_ablation", fashion))
            f_by_key = {r.key: r for r in fashion}
            metrics["fashion_full_stack_accuracy"] = f_by_key[FULL_STACK].test_accuracy[0]
            metrics["fashion_baseline_accuracy"] = f_by_key["baseline"].test_accuracy[0]
            plot_curves(fashion, "Fashion-MNIST: validation accuracy per row (1 seed)",
                        out / "ablation_fashion.png")

    metrics["run_seconds"] = round(time.perf_counter() - t0, 1)
    # four decimals: a test set of 1,000 images cannot resolve finer than 0.001
    metrics = {k: round(v, 4) if isinstance(v, float) and "grad_check" not in k else v
               for k, v in metrics.items()}
    table = markdown_table(mnist, fashion, len(seeds), mnist_setting)
    print("\n" + table)
    write_atomic(out / "ablation.md", table)
    write_atomic(out / "metrics.json", json.dumps(metrics, indent=2, sort_keys=True) + "\n")
    print(f"MNIST 5k full stack: {metrics['mnist5k_full_stack_accuracy_mean']:.2%} "
          f"(baseline {metrics['baseline_accuracy_mean']:.2%}); "
          f"techniques kept: {metrics['ablation_full_stack_techniques']}")
    if "fashion_full_stack_accuracy" in metrics:
        print(f"Fashion-MNIST full stack: {metrics['fashion_full_stack_accuracy']:.2%}; "
              f"techniques kept: {metrics['fashion_ablation_full_stack_techniques']}")
    print(f"wrote metrics.json, ablation.md and figures to {out} "
          f"in {metrics['run_seconds']:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
