"""`dlip patterns` end to end on a user's own CSV, and one-line errors for bad input."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from dlip.cli import main
from dlip.market.dataset import load_dataset
from dlip.patterns.targets import PREDICTION_COLUMNS, check_predictions


def synthetic_bars(n_bars: int, seed: int) -> pd.DataFrame:
    from dlip.market.synthetic import SyntheticMarket

    return SyntheticMarket(n_bars=n_bars, seed=seed).bars()


@pytest.fixture(scope="module")
def cli_model(tmp_path_factory) -> tuple[Path, Path]:
    """A user's CSV -> `dlip dataset build` -> `dlip patterns fit --size tiny`."""
    root = tmp_path_factory.mktemp("cli")
    bars = synthetic_bars(1200, seed=5)
    csv = root / "mine.csv"
    bars.rename(columns=str.title).rename(columns={"Timestamp": "Date"}).to_csv(csv, index=False)
    ds, model = root / "ds", root / "model"
    assert main(["dataset", "build", str(csv), "--out", str(ds)]) == 0
    assert main(["patterns", "fit", str(ds), "--out", str(model), "--size", "tiny"]) == 0
    return ds, model


def test_fit_search_predict_on_a_users_csv(cli_model, tmp_path, capsys) -> None:
    ds, model = cli_model
    assert sorted(p.name for p in model.iterdir()) == [
        "finetuned.safetensors", "model.json", "pretrained.safetensors"]
    day = str(load_dataset(ds).table["timestamp"].iloc[-300].date())
    png = tmp_path / "analogs.png"
    capsys.readouterr()
    assert main(["patterns", "search", str(model), str(ds), "--symbol", "mine",
                 "--date", day, "--k", "12", "--plot", str(png)]) == 0
    out = capsys.readouterr().out
    assert "among these 12: P(up)" in out and "calibrated on validation" in out
    assert "edge on held-out data: direction: not measured; range: not measured" in out
    assert png.stat().st_size > 10_000
    pred = tmp_path / "pred.parquet"
    assert main(["patterns", "predict", str(model), str(ds), "--out", str(pred)]) == 0
    frame = pd.read_parquet(pred)
    assert list(frame.columns[: len(PREDICTION_COLUMNS)]) == list(PREDICTION_COLUMNS)
    check_predictions(frame)


def test_search_prints_the_verdict_file(cli_model, capsys) -> None:
    from dlip.patterns.model import write_verdict

    ds, model = cli_model
    write_verdict(model, {"direction": "no edge"})
    day = str(load_dataset(ds).table["timestamp"].iloc[-1].date())
    assert main(["patterns", "search", str(model), str(ds), "--symbol", "MINE",
                 "--date", day]) == 0
    assert "direction: no edge; range: not measured" in capsys.readouterr().out
    (model / "verdict.json").unlink()


def _one_error(capsys) -> str:
    err = capsys.readouterr().err.strip().splitlines()
    assert err and all(line.startswith("error: ") for line in err)
    assert "Traceback" not in "\n".join(err)
    return err[0]


def test_fit_on_a_bad_folder_writes_nothing(tmp_path, capsys) -> None:
    (tmp_path / "notadataset").mkdir()
    out = tmp_path / "model"
    assert main(["patterns", "fit", str(tmp_path / "notadataset"), "--out", str(out)]) == 2
    assert "not a dataset folder" in _one_error(capsys)
    assert not out.exists() and list(tmp_path.iterdir()) == [tmp_path / "notadataset"]


@pytest.mark.parametrize("args, words", [
    (["--symbol", "NOPE", "--date", "2010-01-01"], "no symbol 'NOPE'"),
    (["--symbol", "MINE", "--date", "yesterday-ish"], "not a usable date"),
    (["--symbol", "MINE", "--date", "1800-01-01"], "no bar on or before"),
    (["--symbol", "MINE", "--date", "2010-01-01", "--k", "0"], "--k must be at least 1"),
])
def test_search_bad_input_is_one_line(cli_model, capsys, args, words) -> None:
    ds, model = cli_model
    assert main(["patterns", "search", str(model), str(ds), *args]) == 2
    assert words in _one_error(capsys)


@pytest.mark.parametrize("action, flag, target, words", [
    ("search", "--plot", "a_folder", "is a folder; name an image file"),
    ("search", "--plot", "chart.txt", "not an image file name"),
    ("search", "--plot", "missing/chart.png", "folder"),
    ("predict", "--out", "a_folder", "is a folder; name a file"),
    ("predict", "--out", "missing/p.parquet", "does not exist"),
])
def test_an_unusable_output_path_is_refused_before_any_work(cli_model, tmp_path, capsys, action,
                                                            flag, target, words) -> None:
    ds, model = cli_model
    (tmp_path / "a_folder").mkdir()
    extra = ["--symbol", "MINE", "--date", "2010-01-01"] if action == "search" else []
    path = tmp_path / target
    assert main(["patterns", action, str(model), str(ds), *extra, flag, str(path)]) == 2
    line = _one_error(capsys)
    assert line.startswith(f"error: {flag} {path}:") and words in line, line
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a_folder"]
    assert not any((tmp_path / "a_folder").iterdir())


def test_bad_model_folder_is_one_line(cli_model, tmp_path, capsys) -> None:
    ds, _ = cli_model
    out = tmp_path / "p.parquet"
    assert main(["patterns", "predict", str(tmp_path), str(ds), "--out", str(out)]) == 2
    assert "not a pattern model folder" in _one_error(capsys)
    assert not out.exists()


def test_fit_on_too_little_data_writes_nothing(tmp_path, capsys) -> None:
    csv = tmp_path / "short.csv"
    bars = synthetic_bars(120, seed=3)
    bars.rename(columns=str.title).rename(columns={"Timestamp": "Date"}).to_csv(csv, index=False)
    assert main(["dataset", "build", str(csv), "--out", str(tmp_path / "ds")]) == 0
    capsys.readouterr()
    assert main(["patterns", "fit", str(tmp_path / "ds"), "--out", str(tmp_path / "m"),
                 "--size", "tiny"]) == 2
    assert "too few labelled bars" in _one_error(capsys)
    assert not (tmp_path / "m").exists()
