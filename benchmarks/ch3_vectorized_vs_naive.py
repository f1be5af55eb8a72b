"""Milestone 002: how much does processing a whole mini-batch as one matrix buy?

Trains the same network (784-100-10, sigmoid, cross-entropy, L2) on the same MNIST 5k
images in the same order for one epoch of plain SGD, twice in this process: once with
the batched `ch3_network.Network` and once with `ch3_naive.NaiveNetwork`, which
backprops one image at a time. Prints the per-epoch time of each and the ratio
naive / vectorized, and checks both ended with the same weights.

    python benchmarks/ch3_vectorized_vs_naive.py [--batch-size 10] [--repeats 3]
    python benchmarks/ch3_vectorized_vs_naive.py --quick   # seconds: 500 images, one epoch
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # both sides get one BLAS thread

import argparse  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

FOLDER = Path(__file__).resolve().parents[1] / "code" / "002_nn-chapter-3-techniques"
sys.path.insert(0, str(FOLDER))

from ch3_data import load_mnist5k, one_hot  # noqa: E402
from ch3_naive import NaiveNetwork  # noqa: E402
from ch3_network import NetConfig, Network  # noqa: E402
from ch3_training import plain_sgd_epoch  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--batch-size", type=int, default=10)
    parser.add_argument("--repeats", type=int, default=3, help="epochs timed per side")
    parser.add_argument("--quick", action="store_true",
                        help="500 images, one epoch per side: seconds, for the tests")
    args = parser.parse_args()

    data = load_mnist5k(split_seed=0)
    x, y = data.x_train, one_hot(data.y_train)
    if args.quick:
        x, y, args.repeats = x[:500], y[:500], 1
    config = NetConfig(sizes=(784, 100, 10), cost="cross_entropy", init="scaled",
                       regularizer="l2", lmbda=1.0)
    eta = 0.5
    order = np.random.default_rng(0).permutation(len(x))
    fast = Network(config, seed=0)
    slow = NaiveNetwork(fast)  # same starting weights
    print(f"{len(x)} MNIST images, 784-100-10, batch {args.batch_size}, float32, "
          f"{args.repeats} epochs per side, one BLAS thread")

    times = {"vectorized": [], "naive": []}
    for _ in range(args.repeats):  # interleave so background load hits both sides alike
        t = time.perf_counter()
        plain_sgd_epoch(fast, x, y, eta, args.batch_size, order)
        times["vectorized"].append(time.perf_counter() - t)
        t = time.perf_counter()
        slow.train_epoch(x, y, eta, args.batch_size, order)
        times["naive"].append(time.perf_counter() - t)

    drift = max(float(np.max(np.abs(Wf - Ws.T))) for Wf, Ws in zip(fast.W, slow.W, strict=True))
    for name, ts in times.items():
        print(f"{name:>10}: {np.median(ts):.3f} s per epoch (median of {len(ts)})")
    ratio = np.median(times["naive"]) / np.median(times["vectorized"])
    print(f"ratio naive / vectorized: {ratio:.1f}x  (goal >= 10x)")
    print(f"largest weight difference after {args.repeats} epochs: {drift:.1e}")
    if drift > 1e-3:
        print("error: the two implementations disagree", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
