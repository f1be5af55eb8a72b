"""Milestone 003's scripts, run as a reader runs them: in a copy of the folder, on a small
text, with a tiny model. Checks the metric names other parts rely on, and bad input."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

FOLDER = Path(__file__).resolve().parents[2] / "code" / "003_transformer-from-scratch"
CONTRACT = ("val_bits_per_byte", "best_ngram_val_bits_per_byte", "best_ngram_order",
            "test_bits_per_byte", "best_ngram_test_bits_per_byte",
            "params", "train_tokens_per_second")


@pytest.fixture
def milestone(tmp_path: Path) -> Path:
    copy = tmp_path / "003"
    copy.mkdir()
    for script in FOLDER.glob("*.py"):
        shutil.copy(script, copy)
    corpus = FOLDER / "data" / "python-reference.txt"
    (tmp_path / "small.txt").write_bytes(corpus.read_bytes()[:30_000])
    return copy


def run(folder: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "DLIP_RESULTS_DIR": str(folder / "out"), "MPLBACKEND": "Agg"}
    return subprocess.run([sys.executable, *args], cwd=folder, env=env, capture_output=True,
                          text=True, timeout=120)


def test_scripts_write_the_contract_metrics_and_figures(milestone: Path):
    text = str(milestone.parent / "small.txt")
    assert run(milestone, "baselines.py", "--text", text).returncode == 0
    tiny = ["--steps", "3", "--eval-every", "3", "--warmup", "1", "--batch-size", "2",
            "--context", "16", "--d-model", "16", "--heads", "2", "--layers", "1",
            "--vocab-size", "300"]
    trained = run(milestone, "train_gpt.py", "--text", text, *tiny)
    assert trained.returncode == 0, trained.stderr
    walk = run(milestone, "attention_walkthrough.py")
    assert walk.returncode == 0, walk.stderr
    assert "max difference" in walk.stdout

    out = milestone / "out"
    metrics = json.loads((out / "metrics.json").read_text())
    for name in CONTRACT:
        assert name in metrics, name
    assert metrics["best_ngram_order"] in range(1, 6)
    # The best order is chosen on validation, and its test score is that order's own.
    order = metrics["best_ngram_order"]
    assert metrics["best_ngram_val_bits_per_byte"] == min(
        metrics[f"ngram_order{n}_val_bits_per_byte"] for n in range(1, 6))
    assert metrics["best_ngram_test_bits_per_byte"] == metrics[
        f"ngram_order{order}_test_bits_per_byte"]
    assert metrics["train_bytes"] + metrics["val_bytes"] + metrics["test_bytes"] == 30_000
    assert metrics["train_steps"] == 3
    for name in ("learning_curves.png", "attention_heads.png", "samples.txt", "summary.md",
                 "ngram_baselines.md"):
        assert (out / name).stat().st_size > 0, name


def test_bad_text_gives_one_line_naming_the_file(milestone: Path):
    bad = milestone.parent / "binary.txt"
    bad.write_bytes(b"\xff\xfe\x00" * 5000)
    result = run(milestone, "train_gpt.py", "--text", str(bad))
    assert result.returncode != 0
    assert result.stderr.strip() == f"error: {bad}: not UTF-8 text (byte 0: invalid start byte)"
    missing = run(milestone, "baselines.py", "--text", str(milestone / "nope.txt"))
    assert missing.returncode != 0 and "nope.txt: cannot read the corpus" in missing.stderr
    assert "Traceback" not in missing.stderr
