"""Where this folder's scripts put their numbers and figures.

The publisher's runner sets DLIP_RESULTS_DIR; run by hand, the scripts write to
./results-local/ next to themselves (ignored by git). Every script adds its own names to
one metrics.json, so running them in order builds the full set.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

HERE = Path(__file__).resolve().parent


def results_dir() -> Path:
    path = Path(os.environ.get("DLIP_RESULTS_DIR") or HERE / "results-local")
    path.mkdir(parents=True, exist_ok=True)
    return path


def write_metrics(new: dict[str, float | int | str]) -> Path:
    """Merge `new` into metrics.json; written to a temp file, then renamed into place."""
    path = results_dir() / "metrics.json"
    metrics = json.loads(path.read_text()) if path.exists() else {}
    metrics.update(new)
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(metrics, indent=2, sort_keys=True) + "\n")
    os.replace(tmp, path)
    return path
