"""Chapter 3, one technique at a time: the ablation behind this milestone's numbers.

Start from the chapter-1 network (quadratic cost, sigmoid output, N(0, 1) weights,
plain SGD) and switch on one technique per row, keeping everything switched on before
it. Each row is trained on the MNIST 5k split (several seeds, mean reported) and, where
it is installed, on full Fashion-MNIST (one seed). Validation images decide the
learning-rate schedule and early stopping; the test images are only used to report.

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
    eta_momentum: float  # smaller: momentum multiplies the effective step
    momentum: float
    lmbda_l2: float
    lmbda_l1: float
    dropout: float
    max_shift: int
    shift_share: float
    mirror: bool
    schedule_patience: int
    early_stop_patience: int


MNIST = Setting(
    sizes=(784, 100, 10), epochs=40, batch_size=10, eta_quadratic=3.0, eta=0.5,
    eta_relu=0.1, eta_momentum=0.01, momentum=0.9, lmbda_l2=1.0, lmbda_l1=0.5, dropout=0.2,
    max_shift=1, shift_share=0.5, mirror=False, schedule_patience=3, early_stop_patience=8,
)
# Fashion-MNIST: 55,000 training images make an epoch 16x longer, so fewer epochs and a
# wider, deeper network; clothes (unlike digits) may also be mirrored left-right.
FASHION = Setting(
    sizes=(784, 256, 128, 10), epochs=15, batch_size=32, eta_quadratic=3.0, eta=0.5,
    eta_relu=0.1, eta_momentum=0.01, momentum=0.9, lmbda_l2=5.0, lmbda_l1=1.0, dropout=0.2,
    max_shift=1, shift_share=0.5, mirror=True, schedule_patience=2, early_stop_patience=5,
)


@dataclass(frozen=True)
class Row:
    key: str  # snake_case name used in metrics.json
    label: str  # what this row changes, for the table
    net: NetConfig
    train: TrainConfig
    cumulative: bool = True  # False: a side variant of the full stack, not a new step


def build_rows(s: Setting) -> list[Row]:
    """The cumulative ladder of techniques, then side variants of the full stack."""
    net = NetConfig(sizes=s.sizes)
    tr = TrainConfig(epochs=s.epochs, batch_size=s.batch_size, eta=s.eta_quadratic)
    rows = [Row("baseline", "chapter 1: quadratic cost, sigmoid, N(0,1), plain SGD", net, tr)]

    def step(key: str, label: str, **changes) -> None:
        prev = rows[-1]
        net_fields = {k: v for k, v in changes.items() if hasattr(prev.net, k)}
        train_fields = {k: v for k, v in changes.items() if k not in net_fields}
        rows.append(
            Row(key, label, replace(prev.net, **net_fields), replace(prev.train, **train_fields))
        )

    step("cross_entropy", "+ cross-entropy cost", cost="cross_entropy", eta=s.eta)
    step("softmax", "+ softmax output, log-likelihood cost", cost="log_likelihood",
         output="softmax")
    step("init", "+ weights N(0, 1/n_in)", init="scaled")
    step("standardize", "+ standardized inputs (per-pixel mean and spread)", standardize=True)
    step("l2", f"+ L2 regularization (lambda={s.lmbda_l2:g})", regularizer="l2",
         lmbda=s.lmbda_l2)
    step("dropout", f"+ dropout (p={s.dropout:g}, hidden layer)", dropout=s.dropout)
    how = f"{s.shift_share:.0%} shifted by <= {s.max_shift} px" + (", half mirrored" * s.mirror)
    step("expanded_data", f"+ expanded data ({how})", max_shift=s.max_shift,
         shift_share=s.shift_share, mirror=s.mirror)
    step("relu", "+ rectified linear hidden units", hidden="relu", eta=s.eta_relu)
    step("momentum", f"+ momentum (mu={s.momentum:g}, eta={s.eta_momentum:g})",
         momentum=s.momentum, eta=s.eta_momentum)
    step("lr_schedule", f"+ halve eta after {s.schedule_patience} flat epochs",
         schedule_patience=s.schedule_patience)
    step("early_stopping", f"+ early stopping (patience {s.early_stop_patience})",
         early_stop_patience=s.early_stop_patience)
    full = rows[-1]
    rows.append(Row("l1", f"full stack with L1 (lambda={s.lmbda_l1:g}) instead of L2",
                    replace(full.net, regularizer="l1", lmbda=s.lmbda_l1), full.train,
                    cumulative=False))
    return rows


FULL_STACK = "early_stopping"


@dataclass
class RowResult:
    row: Row
    test_accuracy: list[float]
    epochs: list[int]
    curves: list[list[float]]  # validation accuracy per epoch, one list per seed
    seconds: float


def run_row(row: Row, data: Split, seeds: list[int], progress) -> RowResult:
    accs, epochs, curves = [], [], []
    start = time.perf_counter()
    for seed in seeds:
        net = Network(row.net, seed=seed)
        history = train(net, data.x_train, data.y_train, data.x_val, data.y_val, row.train,
                        seed=seed, on_epoch=lambda e, a: progress.update(1))
        progress.update(row.train.epochs - history.epochs_run)  # epochs skipped by stopping
        accs.append(net.accuracy(data.x_test, data.y_test))
        epochs.append(history.epochs_run)
        curves.append(history.val_accuracy)
    return RowResult(row, accs, epochs, curves, time.perf_counter() - start)


def run_dataset(name: str, data: Split, setting: Setting, seeds: list[int]) -> list[RowResult]:
    from tqdm import tqdm

    rows = build_rows(setting)
    total = sum(r.train.epochs for r in rows) * len(seeds)
    results = []
    with tqdm(total=total, desc=f"{name} epochs", unit="ep", file=sys.stdout,
              mininterval=5) as progress:
        for row in rows:
            result = run_row(row, data, seeds, progress)
            results.append(result)
            tqdm.write(
                f"  {row.key:<15} test {np.mean(result.test_accuracy):.2%}  "
                f"epochs {np.mean(result.epochs):.1f}  ({result.seconds:.0f} s)",
                file=sys.stdout,
            )
    return results


# ----- outputs -------------------------------------------------------------------
def write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)


def plot_curves(results: list[RowResult], title: str, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(9, 5.5))
    cmap = plt.get_cmap("viridis")
    cumulative = [r for r in results if r.row.cumulative]
    for i, r in enumerate(results):
        longest = max(len(c) for c in r.curves)
        # mean over the seeds still running at each epoch
        mean = [np.mean([c[e] for c in r.curves if len(c) > e]) for e in range(longest)]
        style = {"color": cmap(i / max(len(cumulative) - 1, 1))} if r.row.cumulative else {
            "color": "crimson", "linestyle": "--"}
        ax.plot(range(1, longest + 1), np.array(mean) * 100, label=r.row.key, **style)
    ax.set_xlabel("epoch")
    ax.set_ylabel("validation accuracy (%)")
    floor = min(min(min(c) for c in r.curves) for r in results) * 100
    ax.set_ylim(max(floor - 1, 50), 100)
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, ncol=2, loc="lower right")
    fig.tight_layout()
    tmp = path.with_name(path.stem + ".tmp.png")
    fig.savefig(tmp, dpi=110)
    plt.close(fig)
    tmp.replace(path)


def markdown_table(mnist: list[RowResult], fashion: list[RowResult] | None, seeds: int) -> str:
    head = f"| row | technique | MNIST 5k test acc (mean of {seeds} seeds) | MNIST epochs (mean) |"
    rule = "|---|---|---|---|"
    if fashion:
        head += " Fashion-MNIST test acc (1 seed) | Fashion epochs |"
        rule += "---|---|"
    lines = [head, rule]
    fashion_by_key = {r.row.key: r for r in fashion or []}
    for r in mnist:
        accs = np.array(r.test_accuracy) * 100
        spread = f" ± {accs.std(ddof=1):.2f}" if len(accs) > 1 else ""
        line = (f"| `{r.row.key}` | {r.row.label} | {accs.mean():.2f}%{spread} | "
                f"{np.mean(r.epochs):.1f} |")
        if fashion:
            f = fashion_by_key[r.row.key]
            line += f" {f.test_accuracy[0] * 100:.2f}% | {f.epochs[0]} |"
        lines.append(line)
    return "\n".join(lines) + "\n"


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
    mnist_setting, fashion_setting = MNIST, FASHION
    seeds = [base_seed + i for i in range(1 if args.quick else args.seeds)]
    if args.quick:
        mnist_setting = replace(MNIST, epochs=2)
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
    by_key = {r.row.key: r for r in mnist}
    metrics["baseline_accuracy_mean"] = float(np.mean(by_key["baseline"].test_accuracy))
    metrics["mnist5k_full_stack_accuracy_mean"] = float(np.mean(by_key[FULL_STACK].test_accuracy))
    metrics["mnist5k_full_stack_accuracy_std"] = float(np.std(by_key[FULL_STACK].test_accuracy,
                                                              ddof=1)) if len(seeds) > 1 else 0.0
    for r in mnist:
        metrics[f"ablation_{r.row.key}_accuracy"] = float(np.mean(r.test_accuracy))
        metrics[f"ablation_{r.row.key}_epochs"] = float(np.mean(r.epochs))
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
        except IdxError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
        else:
            print(f"\n{fashion_data.describe()}; seed {base_seed}")
            fashion = run_dataset("Fashion-MNIST", fashion_data, fashion_setting, [base_seed])
            metrics["fashion_status"] = "ran (1 seed)"
            for r in fashion:
                metrics[f"fashion_ablation_{r.row.key}_accuracy"] = r.test_accuracy[0]
                metrics[f"fashion_ablation_{r.row.key}_epochs"] = r.epochs[0]
            f_by_key = {r.row.key: r for r in fashion}
            metrics["fashion_full_stack_accuracy"] = f_by_key[FULL_STACK].test_accuracy[0]
            metrics["fashion_baseline_accuracy"] = f_by_key["baseline"].test_accuracy[0]
            plot_curves(fashion, "Fashion-MNIST: validation accuracy per row (1 seed)",
                        out / "ablation_fashion.png")

    metrics["run_seconds"] = round(time.perf_counter() - t0, 1)
    table = markdown_table(mnist, fashion, len(seeds))
    print("\n" + table)
    write_atomic(out / "ablation.md", table)
    write_atomic(out / "metrics.json", json.dumps(metrics, indent=2, sort_keys=True) + "\n")
    print(f"MNIST 5k full stack: {metrics['mnist5k_full_stack_accuracy_mean']:.2%} "
          f"(baseline {metrics['baseline_accuracy_mean']:.2%})")
    if "fashion_full_stack_accuracy" in metrics:
        print(f"Fashion-MNIST full stack: {metrics['fashion_full_stack_accuracy']:.2%}")
    print(f"wrote metrics.json, ablation.md and figures to {out} "
          f"in {metrics['run_seconds']:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
