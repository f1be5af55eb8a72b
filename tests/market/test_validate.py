"""Every validation error, found in one pass, with file, line and reason; --repair."""

from __future__ import annotations

import pytest

from dlip.market.errors import MarketDataError
from dlip.market.sources import load

HEADER = "Date,Open,High,Low,Close,Volume"


def problems_of(path) -> list[str]:
    with pytest.raises(MarketDataError) as info:
        load(str(path))
    return [str(p) for p in info.value.problems]


@pytest.mark.parametrize(
    ("rows", "line", "reason"),
    [
        (["2024-01-02,10,11,9,10.5,1", "not a date,10,11,9,10.5,1"], 3,
         "unparseable timestamp 'not a date'"),
        (["2024-01-02,10,11,9,10.5,1", "2024-01-02,10,11,9,10.5,1"], 3,
         "duplicate timestamp 2024-01-02 00:00:00 (first on line 2)"),
        (["2024-01-03,10,11,9,10.5,1", "2024-01-02,10,11,9,10.5,1"], 3,
         "timestamp 2024-01-02 00:00:00 is earlier than the row before"),
        (["2024-01-02,10,10.2,9,10.5,1"], 2, "high 10.2 is below max(open, close) 10.5"),
        (["2024-01-02,10,11,10.2,10.5,1"], 2, "low 10.2 is above min(open, close) 10"),
        (["2024-01-02,0,11,9,10.5,1"], 2, "non-positive open 0"),
        (["2024-01-02,10,11,-9,10.5,1"], 2, "non-positive low -9"),
        (["2024-01-02,10,11,9,,1"], 2, "close is missing (NaN)"),
        (["2024-01-02,10,11,9,NaN,1"], 2, "close is missing (NaN)"),
        (["2024-01-02,10,11,9,ten,1"], 2, "close is not a number: 'ten'"),
    ],
)
def test_each_row_problem_names_file_line_and_reason(make_csv, rows, line, reason) -> None:
    path = make_csv("bars.csv", "\n".join([HEADER, *rows]))
    found = problems_of(path)
    assert any(p.startswith(f"{path}:line {line}: {reason}") for p in found), found


def test_missing_columns(make_csv) -> None:
    path = make_csv("bars.csv", "Date,Open,Close\n2024-01-02,1,2")
    (problem,) = problems_of(path)
    assert "missing column(s): high, low" in problem and str(path) in problem


def test_empty_file(make_csv) -> None:
    path = make_csv("empty.csv", "")
    assert problems_of(path) == [f"{path}: empty file"]


def test_header_only(make_csv) -> None:
    path = make_csv("head.csv", HEADER)
    assert "no rows" in problems_of(path)[0]


def test_wrong_delimiter(make_csv) -> None:
    path = make_csv("semi.csv", HEADER.replace(",", ";") + "\n2024-01-02;10;11;9;10.5;1")
    (problem,) = problems_of(path)
    assert "wrong delimiter" in problem and "semicolon" in problem


def test_all_problems_in_one_pass(make_csv) -> None:
    path = make_csv("many.csv", "\n".join([
        HEADER,
        "2024-01-02,10,11,9,10.5,1",
        "2024-01-03,10,9.5,9,10.5,1",    # line 3: high too low
        "bad,10,11,9,10.5,1",            # line 4: unparseable
        "2024-01-05,-1,11,9,10.5,1",     # line 5: non-positive
        "2024-01-05,10,11,9,10.5,1",     # line 6: duplicate of line 5
        "2024-01-07,10,11,9,,1",         # line 7: NaN
    ]))
    lines = sorted({int(p.split(":line ")[1].split(":")[0]) for p in problems_of(path)})
    assert lines == [3, 4, 5, 6, 7]


def test_repair_drops_and_reports_every_bad_row(make_csv) -> None:
    path = make_csv("many.csv", "\n".join([
        HEADER,
        "2024-01-02,10,11,9,10.5,1",
        "2024-01-03,10,9.5,9,10.5,1",
        "2024-01-04,10,11,9,10.5,1",
        "2024-01-04,10,11,9,10.5,1",
        "2024-01-05,10,11,9,10.5,1",
    ]))
    (part,) = load(str(path), repair=True)
    assert len(part.bars) == 3
    dropped = [str(p) for p in part.dropped]
    assert len(dropped) == 2
    assert dropped[0].startswith(f"{path}:line 3: dropped: high 9.5")
    assert "line 5: dropped: duplicate" in dropped[1]


def test_repair_sorts_rows_out_of_time_order(make_csv) -> None:
    path = make_csv("unsorted.csv", "\n".join([
        HEADER, "2024-01-03,10,11,9,10.5,1", "2024-01-02,10,11,9,10.5,1"]))
    (part,) = load(str(path), repair=True)
    assert part.bars["timestamp"].is_monotonic_increasing
    assert any("sorted 1 row" in n for n in part.notes)


def test_cli_reports_every_problem_writes_nothing_and_exits_2(make_csv, tmp_path) -> None:
    import subprocess
    import sys

    bad = make_csv("bad.csv", "\n".join([HEADER, "2024-01-02,10,9,9,10.5,1",
                                         "2024-01-01,10,11,12,10.5,1"]))
    out = tmp_path / "ds"
    run = subprocess.run([sys.executable, "-m", "dlip.cli", "dataset", "build", str(bad),
                          "no_such_source", "--out", str(out)],
                         capture_output=True, text=True, check=False)
    assert run.returncode == 2
    assert "Traceback" not in run.stderr
    assert "line 2: high 9" in run.stderr
    assert "line 3: low 12" in run.stderr
    assert "line 3: timestamp 2024-01-01" in run.stderr
    assert "no_such_source: unknown source" in run.stderr
    assert not out.exists()
    assert list(tmp_path.iterdir()) == [bad]  # no temporary folder left behind either
