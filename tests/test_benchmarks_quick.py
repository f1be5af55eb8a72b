"""Every benchmark in benchmarks/ runs in its quick mode, so `make test` notices one that broke.

A benchmark nothing runs rots (site_build.py crashed for weeks on a removed attribute). The
list is read from the folder, so a new benchmark is covered the day it lands, and one
without a `--quick` flag fails here until it has one.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"
SCRIPTS = sorted(p.name for p in BENCHMARKS.glob("*.py") if not p.name.startswith("_"))


def test_there_are_benchmarks_to_run() -> None:
    assert "site_build.py" in SCRIPTS


@pytest.mark.slow
@pytest.mark.parametrize("script", SCRIPTS)
def test_quick_mode_runs(script: str) -> None:
    path = BENCHMARKS / script
    assert "--quick" in path.read_text(encoding="utf-8"), f"{script} has no --quick mode"
    run = subprocess.run([sys.executable, str(path), "--quick"], capture_output=True, text=True,
                         timeout=600, check=False, cwd=BENCHMARKS.parent)
    assert run.returncode == 0, f"{script} --quick:\n{run.stdout[-2000:]}{run.stderr[-3000:]}"
    assert "Traceback" not in run.stderr, run.stderr[-3000:]
    assert run.stdout.strip(), f"{script} --quick printed nothing"
