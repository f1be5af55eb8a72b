"""The market benchmarks' quick modes run (so a broken benchmark fails `make test`)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("script", ["dataset_scale.py", "market_tokenize.py"])
def test_quick_mode_runs(script: str) -> None:
    run = subprocess.run([sys.executable, str(ROOT / "benchmarks" / script), "--quick"],
                         capture_output=True, text=True, timeout=300, check=False)
    assert run.returncode == 0, run.stderr[-3000:]
    assert "bars" in run.stdout
