"""The dataset folder: deterministic content, atomic writes, the CLI end to end."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from dlip.market.dataset import assemble, build, content_hash, load_dataset
from dlip.market.errors import MarketDataError


def test_same_inputs_give_the_same_content_hash(synthetic) -> None:
    a = assemble([synthetic(1500, seed=3)])
    b = assemble([synthetic(1500, seed=3)])
    c = assemble([synthetic(1500, seed=4)])
    assert a.meta["content_hash"] == b.meta["content_hash"] != c.meta["content_hash"]


def test_table_has_the_promised_columns_and_targets(small_dataset) -> None:
    t = small_dataset.table
    for col in ("symbol", "timestamp", "open", "high", "low", "close", "volume", "gap", "body",
                "upper", "lower", "regime", "token", "split", "next_direction",
                "next_return_bucket", "next_range_bucket", "fwd_return_5"):
        assert col in t.columns
    g = t[t["symbol"] == "AAA"]
    up = (g["close"].shift(-1) > g["close"]).astype(int).to_numpy()[:-1]
    assert np.array_equal(g["next_direction"].to_numpy()[:-1], up)
    assert g["next_direction"].iloc[-1] == -1
    fwd = np.log(g["close"].shift(-5) / g["close"]).to_numpy()
    np.testing.assert_allclose(g["fwd_return_5"], fwd, equal_nan=True)
    assert set(np.unique(t["next_return_bucket"])) == {-1, 0, 1, 2, 3, 4}


def test_window_ends_index_the_table_without_copies(small_dataset) -> None:
    ends = small_dataset.window_ends("train", length=32, symbol="AAA")
    t = small_dataset.table
    assert (t["position"].to_numpy()[ends] >= 50 + 31).all()
    assert (t["token"].to_numpy()[ends - 31] >= 0).all()
    assert ends.dtype.kind == "i"


def test_build_writes_a_folder_that_loads_back(tmp_path) -> None:
    out = tmp_path / "ds"
    ds = build(["synthetic"], out)
    assert sorted(p.name for p in out.iterdir()) == [
        "bars", "card.json", "card.md", "dataset.json", "tokenizer.json", "vocabulary.json"]
    assert [p.name for p in (out / "bars").iterdir()] == ["part-000000.parquet"]
    back = load_dataset(out)
    assert content_hash(back.table) == ds.meta["content_hash"]
    assert back.tokenizer == ds.tokenizer
    card = json.loads((out / "card.json").read_text())
    assert card["vocab_size"] == 180 and card["tokenizer_version"] == "candle-v1"


def test_a_failed_build_leaves_the_old_folder_alone(tmp_path) -> None:
    out = tmp_path / "ds"
    build(["synthetic"], out)
    before = (out / "dataset.json").read_text()
    with pytest.raises(MarketDataError):
        build(["synthetic", "missing.csv"], out)
    assert (out / "dataset.json").read_text() == before
    assert [p.name for p in tmp_path.iterdir()] == ["ds"]


def test_the_same_symbol_twice_is_an_error(synthetic) -> None:
    with pytest.raises(MarketDataError, match="appears twice"):
        assemble([synthetic(500, seed=1), synthetic(500, seed=2)])


def _dlip(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "dlip.cli", *args], capture_output=True,
                          text=True, check=False)


def test_cli_build_then_show_with_plot(tmp_path) -> None:
    """As a user types it, in a real subprocess."""
    out = tmp_path / "ds"
    run = _dlip("dataset", "build", "synthetic", "--out", str(out))
    assert run.returncode == 0, run.stderr
    assert "20,000 bars" in run.stdout
    png = tmp_path / "chart.png"
    show = _dlip("dataset", "show", str(out), "--symbol", "synth", "--start", "1900-03-01",
                 "--end", "1900-03-10", "--plot", str(png))
    assert show.returncode == 0, show.stderr
    lines = [ln for ln in show.stdout.splitlines() if ln.startswith("1900-03")]
    assert len(lines) == 10 and "volatility" in lines[0]
    assert png.read_bytes()[:4] == b"\x89PNG"


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    out = tmp_path_factory.mktemp("cli") / "ds"
    build(["synthetic"], out)
    return out


def test_cli_card(built, capsys) -> None:
    from dlip.cli import main

    assert main(["dataset", "card", str(built)]) == 0
    assert capsys.readouterr().out.startswith("# Candlestick dataset")
    assert main(["dataset", "card", str(built), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["vocab_size"] == 180


@pytest.mark.parametrize("bad", [["--symbol", "NOPE"],
                                 ["--symbol", "SYNTH", "--start", "someday"],
                                 ["--symbol", "SYNTH", "--start", "2300-01-01"]])
def test_cli_show_bad_input_exits_2_with_one_line(built, capsys, bad) -> None:
    from dlip.cli import main

    assert main(["dataset", "show", str(built), *bad]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error:") and len(err.strip().splitlines()) == 1


def test_cli_card_of_a_folder_that_is_not_a_dataset(tmp_path, capsys) -> None:
    from dlip.cli import main

    assert main(["dataset", "card", str(tmp_path)]) == 2
    assert "not a dataset folder" in capsys.readouterr().err


def test_card_states_rows_and_date_ranges_per_symbol_and_split(small_dataset) -> None:
    from dlip.market.card import card_dict, card_markdown

    card = card_dict(small_dataset)
    bbb = next(s for s in card["symbols"] if s["symbol"] == "BBB")
    assert bbb["train_bars"] + bbb["val_bars"] + bbb["test_bars"] + bbb["embargo_bars"] == 2500
    assert bbb["train_first"] == "1900-10-28" and bbb["val_first"] < bbb["test_first"]
    text = card_markdown(card)
    assert f"{bbb['train_bars']:,} (1900-10-28 to {bbb['train_last']})" in text
    assert "## Sources and licences" in text and "Token entropy" in text


def test_every_dataset_action_answers_help(capsys) -> None:
    from dlip.cli import main

    for action in ("build", "card", "show"):
        with pytest.raises(SystemExit) as done:
            main(["dataset", action, "--help"])
        assert done.value.code == 0
        assert "usage: dlip dataset" in capsys.readouterr().out
