"""The dataset at scale: pieces change nothing, one hash everywhere, bad input refused."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from dlip.market.canonical import canonical_floats, content_hash
from dlip.market.dataset import load_dataset, write_dataset
from dlip.market.errors import MarketDataError

HEADER = "Date,Open,High,Low,Close,Volume"
# The canonical hash of `synthetic_csv(2, 700)` built with default settings. It may only
# change with the table's content or the canonical form (then say so in the changelog).
PINNED_HASH = "a4ea42266d6c9709f227a95fa85c9bbb329f4785be77970a856a417cda69e25a"


@pytest.fixture(scope="module")
def two_symbols(tmp_path_factory, synthetic_csv) -> Path:
    return synthetic_csv(tmp_path_factory.mktemp("csv") / "two.csv", 2, 700)


def test_content_hash_is_pinned(two_symbols, tmp_path) -> None:
    card = write_dataset([str(two_symbols)], tmp_path / "ds")
    assert card["content_hash"] == PINNED_HASH


def test_pieces_of_any_size_give_the_same_dataset(two_symbols, tmp_path) -> None:
    whole = write_dataset([str(two_symbols)], tmp_path / "a")
    small = write_dataset([str(two_symbols)], tmp_path / "b", batch_rows=97)
    assert whole["content_hash"] == small["content_hash"]
    a, b = load_dataset(tmp_path / "a").table, load_dataset(tmp_path / "b").table
    assert np.array_equal(a["token"], b["token"])
    pd.testing.assert_frame_equal(a, b)


def test_last_bit_noise_leaves_the_hash_and_real_changes_do_not(two_symbols, tmp_path) -> None:
    table = load_dataset(write_dataset([str(two_symbols)], tmp_path / "ds") and
                         tmp_path / "ds").table
    noisy = table.copy()
    for col in ("close", "body", "regime", "scale"):
        noisy[col] = np.nextafter(noisy[col].to_numpy(), np.inf)
    assert content_hash(noisy) == content_hash(table)
    changed = table.copy()
    changed.loc[100, "body"] += 1e-4
    assert content_hash(changed) != content_hash(table)


def test_canonical_floats_round_to_the_stated_precision() -> None:
    x = np.array([1.0, 1.0 + 2**-22, np.nan, np.inf, -0.0, 0.0])
    q = canonical_floats(x, magnitude=False)
    assert q[0] == q[1] == 2**20 and q[4] == q[5] == 0 and q[2] != q[3]
    m = canonical_floats(np.array([100.0, 100.0 * (1 + 1e-9), 0.0]), magnitude=True)
    assert m[0] == m[1] != m[2]


# --- bad input ---------------------------------------------------------------------------

def _bad(make_csv, *rows: str) -> list[str]:
    path = make_csv("bad.csv", "\n".join([HEADER, *rows]))
    with pytest.raises(MarketDataError) as info:
        write_dataset([str(path)], path.parent / "out")
    assert not (path.parent / "out").exists()
    return [str(p) for p in info.value.problems]


def test_infinite_price_and_volume_are_rejected(make_csv) -> None:
    found = _bad(make_csv, "2024-01-02,10,inf,9,10.5,1", "2024-01-03,10,11,9,10.5,inf")
    assert any("line 2: high is infinite" in p for p in found), found
    assert any("line 3: volume is infinite" in p for p in found), found


def test_mixed_naive_and_aware_timestamps_say_so(make_csv) -> None:
    found = _bad(make_csv, "2024-01-02 10:00,10,11,9,10.5,1",
                 "2024-01-03 10:00+00:00,10,11,9,10.5,1")
    assert any("line 3: timezone-aware timestamp" in p and "mixed with naive" in p
               for p in found), found


def test_too_few_rows_for_the_splits_is_one_line(make_csv) -> None:
    (problem,) = _bad(make_csv, "2024-01-02,10,11,9,10.5,1", "2024-01-03,10,11,9,10.5,1")
    assert "too few rows for the splits" in problem


def _dlip(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "dlip.cli", *args], capture_output=True,
                          text=True, check=False, cwd=cwd)


@pytest.mark.parametrize("case", ["folder", "input", "dot", "inside"])
def test_out_that_is_not_a_dataset_is_refused_untouched(two_symbols, tmp_path, case) -> None:
    work = tmp_path / "work"
    work.mkdir()
    data = work / "bars.csv"
    data.write_bytes(two_symbols.read_bytes())
    (work / "notes.txt").write_text("mine")
    out = {"folder": str(work), "input": str(data), "dot": ".", "inside": str(work)}[case]
    before = {p: p.read_bytes() for p in work.iterdir()}
    run = _dlip("dataset", "build", str(data), "--out", out, cwd=work)
    assert run.returncode == 2 and "Traceback" not in run.stderr
    assert "nothing was touched" in run.stderr, run.stderr
    assert {p: p.read_bytes() for p in work.iterdir()} == before


def test_out_that_is_a_dataset_is_replaced(two_symbols, tmp_path) -> None:
    out = tmp_path / "ds"
    write_dataset([str(two_symbols)], out)
    card = write_dataset(["synthetic"], out)
    assert json.loads((out / "card.json").read_text())["content_hash"] == card["content_hash"]


def test_broken_dataset_folders_give_one_line_each(two_symbols, tmp_path) -> None:
    good = tmp_path / "good"
    write_dataset([str(two_symbols)], good)
    cases = {}
    for name, damage in {
        "no_meta": lambda d: (d / "dataset.json").unlink(),
        "bad_json": lambda d: (d / "dataset.json").write_text("{not json"),
        "bad_format": lambda d: (d / "dataset.json").write_text('{"format": "x"}'),
        "no_partition": lambda d: (d / "bars" / "part-000000.parquet").unlink(),
        "bad_partition": lambda d: (d / "bars" / "part-000000.parquet").write_bytes(b"garbage"),
        "bad_tokenizer": lambda d: (d / "tokenizer.json").write_text('{"version": "v0"}'),
        "bad_card": lambda d: (d / "card.json").write_text("[1, 2"),
    }.items():
        folder = tmp_path / name
        subprocess.run(["cp", "-r", str(good), str(folder)], check=True)
        damage(folder)
        cases[name] = folder
    cases["a_file"] = two_symbols
    cases["missing"] = tmp_path / "nowhere"
    for name, folder in cases.items():
        for action in (["card", str(folder)], ["show", str(folder), "--symbol", "S000"]):
            if (name, action[0]) in (("bad_card", "show"), ("bad_partition", "card")):
                continue  # show never reads the card; card prints the recorded card
            run = _dlip("dataset", *action)
            lines = run.stderr.strip().splitlines()
            assert run.returncode == 2 and len(lines) == 1 and lines[0].startswith("error:"), (
                name, action[0], run.stderr)


def test_show_plot_into_a_folder_or_without_image_suffix_is_refused(two_symbols, tmp_path):
    out = tmp_path / "ds"
    write_dataset([str(two_symbols)], out)
    for plot, words in ((tmp_path, "is a folder"), (tmp_path / "chart.txt", "image file")):
        run = _dlip("dataset", "show", str(out), "--symbol", "S000", "--plot", str(plot))
        assert run.returncode == 2 and words in run.stderr, run.stderr
        assert "Traceback" not in run.stderr
    assert not (tmp_path / "chart.txt").exists()


# --- interrupted builds -------------------------------------------------------------------

def test_sigkill_at_any_moment_leaves_the_old_or_the_new_dataset(tmp_path, synthetic_csv):
    data = synthetic_csv(tmp_path / "many.csv", 6, 2000)
    out = tmp_path / "ds"
    old = write_dataset(["synthetic"], out)["content_hash"]
    new = write_dataset([str(data)], tmp_path / "reference")["content_hash"]
    seen = set()
    code = ("import sys; from dlip.market.dataset import write_dataset; "
            f"write_dataset([{str(data)!r}], {str(out)!r}, batch_rows=500)")
    for delay in (0.3, 0.8, 1.3, 1.8, 2.5, 3.5, 5.0, 8.0):
        proc = subprocess.Popen([sys.executable, "-c", code])
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        found = load_dataset(out).meta["content_hash"]
        assert found in (old, new)
        seen.add(found)
        if found == new:  # back to the old one for the next try
            write_dataset(["synthetic"], out)
    # The next build clears whatever the killed ones left beside the target.
    write_dataset(["synthetic"], out)
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []
    assert old in seen


def test_a_large_file_streams_its_problems_with_lines_and_a_cap(tmp_path, monkeypatch):
    """The streaming reader (not the whole-file one) names lines across batches."""
    from dlip.market import readers

    monkeypatch.setattr(readers, "SMALL_FILE", 0)
    monkeypatch.setattr(readers, "BATCH_BYTES", 4096)
    days = pd.bdate_range("2000-01-03", periods=3000)
    lines = [HEADER] + [f"{d.date()},10,11,9,10.5,1" for d in days]
    lines[1500] = f"{days[1500].date()},10,9.5,9,10.5,1"  # line 1501: high below the body
    lines[2700] = lines[2699]  # line 2701: duplicate of line 2700, batches apart
    bad = tmp_path / "big.csv"
    bad.write_text("\n".join(lines) + "\n")
    with pytest.raises(MarketDataError) as info:
        write_dataset([str(bad)], tmp_path / "out")
    found = [str(p) for p in info.value.problems]
    assert f"{bad}:line 1501: high 9.5 is below max(open, close) 10.5" in found, found
    assert any(p.startswith(f"{bad}:line 2701: duplicate timestamp") and "line 2700" in p
               for p in found), found
    many = tmp_path / "many.csv"
    many.write_text("\n".join([HEADER] + [f"{d.date()},10,11,9,-1,1" for d in days]) + "\n")
    monkeypatch.setattr(readers, "MAX_PROBLEMS", 100)
    with pytest.raises(MarketDataError) as info:
        write_dataset([str(many)], tmp_path / "out")
    assert len(info.value.problems) == 100
    assert info.value.summary().splitlines()[-1] == "... and 5,950 more problems"  # 2 per row
    assert not (tmp_path / "out").exists()


def test_the_fit_reads_an_even_stride_of_training_bars_past_its_cap(tmp_path) -> None:
    """Memory for the tokenizer fit stops growing with the dataset: past `max_rows` rows it
    sees rows 0, k, 2k, ... of the training file, across record batches of any length."""
    import pyarrow as pa

    from dlip.market.pipeline import _ColumnFile

    values = np.arange(1_003, dtype=np.float64)
    path = tmp_path / "train.arrow"
    schema = pa.schema([("x", pa.float64())])
    with pa.OSFile(str(path), "wb") as sink, pa.ipc.new_file(sink, schema) as writer:
        for start, stop in ((0, 7), (7, 500), (500, 501), (501, 1_003)):
            writer.write_batch(pa.record_batch([pa.array(values[start:stop])], schema=schema))
    whole = _ColumnFile(path, 10_000)
    assert whole.rows == 1_003 and np.array_equal(whole["x"], values)
    capped = _ColumnFile(path, 100)
    assert capped.step == 11 and capped.rows == len(values[::11])
    assert np.array_equal(capped["x"], values[::11])


def test_a_capped_fit_still_builds_a_valid_dataset(two_symbols, tmp_path, monkeypatch) -> None:
    from dlip.market import pipeline

    monkeypatch.setattr(pipeline, "FIT_ROWS", 50)
    card = write_dataset([str(two_symbols)], tmp_path / "ds")
    assert card["content_hash"] != PINNED_HASH  # fitted on 50 bars, not every training bar
    table = load_dataset(tmp_path / "ds").table
    assert len(table) == 1_400 and table["token"].between(-1, 179).all()  # -1: warm-up
    assert (table["token"] >= 0).sum() >= 1_300
