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
COMPRESSORS = ("xz", "bzip2", "zlib", "zstd")
ABLATION = ("context16", "context32", "dynamic_eval", "knn_cache", "dynamic_eval_knn_cache")
CONTRACT = ("val_bits_per_byte", "best_ngram_val_bits_per_byte", "best_ngram_order",
            "test_bits_per_byte", "best_ngram_test_bits_per_byte",
            "best_compressor_test_bits_per_byte", "gpt_beats_xz",
            "test_margin_vs_xz_bits_per_byte", "induction_head_score",
            "params", "train_tokens_per_second",
            *(f"compressor_{c}_{part}_bits_per_byte" for c in COMPRESSORS
              for part in ("val", "test")),
            *(f"ablation_{row}_{what}" for row in ABLATION
              for what in ("val_bits_per_byte", "seconds")))


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
            "--context", "32", "--d-model", "16", "--heads", "2", "--layers", "1",
            "--vocab-size", "300", "--threads", "1"]
    trained = run(milestone, "train_gpt.py", "--text", text, *tiny)
    assert trained.returncode == 0, trained.stderr
    scored = run(milestone, "score_gpt.py", "--text", text, "--short-context", "16",
                 "--chunk", "8", "--threads", "1")
    assert scored.returncode == 0, scored.stderr
    assert "test, scored once" in scored.stdout
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
    # The bar is the hardest compressor on test, and the final row is the scored system.
    assert metrics["best_compressor_test_bits_per_byte"] == min(
        metrics[f"compressor_{c}_test_bits_per_byte"] for c in COMPRESSORS)
    assert metrics["ablation_dynamic_eval_knn_cache_val_bits_per_byte"] == metrics[
        "val_bits_per_byte"]
    assert metrics["gpt_beats_xz"] == (
        "yes" if metrics["test_bits_per_byte"] < metrics["compressor_xz_test_bits_per_byte"]
        else "no")
    for name in ("learning_curves.png", "attention_heads.png", "samples.txt", "summary.md",
                 "baselines.md"):
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
    untrained = run(milestone, "score_gpt.py")
    assert untrained.returncode != 0 and "run train_gpt.py first" in untrained.stderr
    assert "Traceback" not in untrained.stderr
