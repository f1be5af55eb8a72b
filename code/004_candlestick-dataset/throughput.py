"""Features + tokens per second on one core (the issue's goal: at least 1,000,000).

    python throughput.py
"""

from __future__ import annotations

import os

for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(var, "1")  # one core, set before numpy loads

from results_io import update_metrics  # noqa: E402

from dlip.market.speed import tokenize_throughput  # noqa: E402


def main() -> None:
    found = tokenize_throughput(n_bars=1_000_000, repeats=5)
    update_metrics({"tokens_per_second": round(found["bars_per_second"])})
    print(f"{found['bars']:,} bars to features and tokens in {found['seconds']:.3f} s: "
          f"{found['bars_per_second']:,.0f} bars per second on one core "
          f"(goal 1,000,000; wall time on a shared machine)")


if __name__ == "__main__":
    main()
