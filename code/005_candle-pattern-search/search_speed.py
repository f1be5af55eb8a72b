"""Search speed: the embedding index against stumpy.match and exact search, from one run.

Runs `benchmarks/pattern_search.py` (the project's benchmark of the search) and keeps its
figures: milliseconds per query at 10^5 windows, the speed-up over stumpy.match on the
same windows, the approximate index's recall against exact search, and the same at 10^6
windows with the index build times.

    python search_speed.py
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

from results_io import results_dir, update_metrics

BENCHMARK = Path(__file__).resolve().parents[2] / "benchmarks" / "pattern_search.py"


def main() -> None:
    spec = importlib.util.spec_from_file_location("pattern_search", BENCHMARK)
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    result = bench.measure(quick=False, big=True)
    (results_dir() / "search_speed.json").write_text(json.dumps(result, indent=2) + "\n")
    update_metrics({k: v for k, v in result.items() if isinstance(v, int | float | str)})
    for key, value in result.items():
        print(f"{key}: {value}")


if __name__ == "__main__":
    main()
