"""Where this milestone's scripts put results, and how they share one metrics.json.

The runner sets DLIP_RESULTS_DIR; run by hand, results go to ./results-local/.
Each script adds its own metrics to metrics.json, so the steps can run in any order.
"""

from __future__ import annotations

import json
import os
from pathlib import Path


def results_dir() -> Path:
    folder = Path(os.environ.get("DLIP_RESULTS_DIR") or Path(__file__).parent / "results-local")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def update_metrics(new: dict) -> Path:
    path = results_dir() / "metrics.json"
    metrics = json.loads(path.read_text()) if path.is_file() else {}
    metrics.update(new)
    path.write_text(json.dumps(metrics, indent=2, sort_keys=True) + "\n")
    return path
