"""Where this milestone's scripts read the corpus and write their results.

The runner sets DLIP_RESULTS_DIR; run by hand, results go to ./results-local/. Each
script adds its metrics to one metrics.json, so every step keeps the others' numbers.
The trained model is a work file, not a result: it lives in ./results-local/checkpoint/
(ignored by git) where the walkthrough script finds it.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from pathlib import Path

from dlip.gpt.data import split_three_by_position

HERE = Path(__file__).resolve().parent
DEFAULT_CORPUS = HERE / "data" / "python-reference.txt"
CHECKPOINT_DIR = HERE / "results-local" / "checkpoint"
VAL_FRACTION = 0.1  # by position: the first 80% trains, the next tenth validates,
TEST_FRACTION = 0.1  # the last tenth is the test, scored once at the end


def split_corpus(data: bytes) -> tuple[bytes, bytes, bytes]:
    """(train, validation, test): the one split every script in this folder uses."""
    return split_three_by_position(data, VAL_FRACTION, TEST_FRACTION)


def results_dir() -> Path:
    folder = Path(os.environ.get("DLIP_RESULTS_DIR") or HERE / "results-local")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def write_text(name: str, text: str) -> Path:
    """Write a result file through a temporary name, so no half-written file remains."""
    path = results_dir() / name
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
    return path


def update_metrics(new: dict) -> Path:
    path = results_dir() / "metrics.json"
    metrics = json.loads(path.read_text()) if path.is_file() else {}
    metrics.update(new)
    return write_text("metrics.json", json.dumps(metrics, indent=2, sort_keys=True) + "\n")


def read_metrics() -> dict:
    path = results_dir() / "metrics.json"
    return json.loads(path.read_text()) if path.is_file() else {}


def load_corpus(path: str | Path | None = None) -> tuple[bytes, str]:
    """The corpus bytes (UTF-8 checked) and their sha256; exits with one line on bad input."""
    path = Path(path) if path else DEFAULT_CORPUS
    try:
        data = path.read_bytes()
        data.decode("utf-8")
    except OSError as exc:
        sys.exit(f"error: {path}: cannot read the corpus ({exc.strerror or exc})")
    except UnicodeDecodeError as exc:
        sys.exit(f"error: {path}: not UTF-8 text (byte {exc.start}: {exc.reason})")
    if len(data) < 10_000:
        sys.exit(f"error: {path}: only {len(data)} bytes; the corpus needs at least 10,000")
    return data, hashlib.sha256(data).hexdigest()
