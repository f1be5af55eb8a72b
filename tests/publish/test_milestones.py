"""Milestone discovery: folder names, optional milestone.yml, every mistake in one pass."""

from __future__ import annotations

from pathlib import Path

import pytest
from repo_files import write

from dlip.publish.discover.milestones import discover_milestones, find_milestone
from dlip.publish.project import Project


def test_folders_sorted_by_number_with_titles_from_readme_or_slug(tmp_path: Path) -> None:
    write(tmp_path / "code/10_later-work/x.py")
    write(tmp_path / "code/002_cnn/README.MD", "intro\n# Convolutions by hand\n")
    write(tmp_path / "code/000_neural-network-xor/nn.py")
    write(tmp_path / "code/notes/a.md")
    milestones, problems = discover_milestones(Project.at(tmp_path))
    assert [m.name for m in milestones] == ["000_neural-network-xor", "002_cnn", "10_later-work"]
    assert [m.title for m in milestones] == [
        "Neural network xor",
        "Convolutions by hand",
        "Later work",
    ]
    assert all(not m.steps and not m.has_config for m in milestones)
    assert [(p.path.name, p.severity) for p in problems] == [("notes", "warning")]


def test_top_level_folders_when_there_is_no_code_dir(tmp_path: Path) -> None:
    write(tmp_path / "00_neural-network-xor/readme.md", "# XOR\n")
    write(tmp_path / "05_gpt/model.py")
    write(tmp_path / "notes/today.md")
    write(tmp_path / ".hidden_00/x")
    milestones, problems = discover_milestones(Project.at(tmp_path))
    assert [(m.number, m.slug, m.title) for m in milestones] == [
        ("00", "neural-network-xor", "XOR"),
        ("05", "gpt", "Gpt"),
    ]
    assert problems == []


def test_valid_config(tmp_path: Path) -> None:
    folder = tmp_path / "code/001_mnist"
    write(folder / "train.py")
    write(folder / "explore.ipynb", "{}")
    write(tmp_path / "src/lib/a.py")
    write(
        folder / "milestone.yml",
        "title: Digits\nsection: Simple neural network\nstatus: in-progress\n"
        "summary: One line.\nheadline: test_accuracy\ninputs: [src/lib/**]\n"
        "run:\n  - script: train.py\n    args: [--epochs, '2']\n    timeout: 30\n"
        "  - notebook: explore.ipynb\n",
    )
    (milestone,), problems = discover_milestones(Project.at(tmp_path))
    assert problems == []
    assert milestone.title == "Digits" and milestone.status == "in-progress"
    assert milestone.section == "Simple neural network" and milestone.headline == "test_accuracy"
    assert milestone.inputs == ("src/lib/**",)
    assert [(s.kind, s.path, s.args, s.timeout) for s in milestone.steps] == [
        ("script", "train.py", ("--epochs", "2"), 30.0),
        ("notebook", "explore.ipynb", (), 600.0),
    ]


def test_every_mistake_reported_in_one_pass(tmp_path: Path) -> None:
    folder = tmp_path / "code/003_bad"
    write(folder / "train.py")
    write(
        folder / "milestone.yml",
        "title: [not, text]\nstatus: finished\ncolour: blue\n"
        "inputs: [../../etc/passwd, src/nothing/**]\n"
        "run:\n"
        "  - script: missing.py\n"
        "  - script: train.py\n    notebook: x.ipynb\n"
        "  - script: train.py\n    args: [--epochs, 10]\n"
        "  - script: train.py\n    timeout: -1\n"
        "  - script: ../outside.py\n"
        "  - just a string\n",
    )
    (milestone,), problems = discover_milestones(Project.at(tmp_path))
    reasons = [p.reason for p in problems]
    expected = [
        "title: must be non-empty text",
        "status: 'finished' is not one of planned, in-progress, done",
        "unknown field 'colour'",
        "inputs[1]: '../../etc/passwd' points outside the repo",
        "inputs[2]: 'src/nothing/**' matches no file",
        "run[1].script: file 'missing.py' not found in 003_bad/",
        "run[2]: needs exactly one of 'script' or 'notebook', found 2",
        "run[3].args: must be a list of strings",
        "run[4].timeout: must be a positive number of seconds, got -1",
        "run[5].script: '../outside.py' must be a path inside the milestone folder",
        "run[6]: must be a mapping",
    ]
    for fragment in expected:
        assert any(fragment in r for r in reasons), (fragment, reasons)
    assert all(p.path == folder / "milestone.yml" for p in problems)
    assert milestone.steps == ()  # never run half of a broken declaration
    assert milestone.title == "Bad"  # the page still gets a title


def test_invalid_yaml_names_the_line(tmp_path: Path) -> None:
    write(tmp_path / "code/000_x/milestone.yml", "title: ok\nrun:\n  - script: [unclosed\n")
    write(tmp_path / "code/001_y/milestone.yml", "- a list\n- not a mapping\n")
    write(tmp_path / "code/002_z/milestone.yml", "")
    milestones, problems = discover_milestones(Project.at(tmp_path))
    assert len(milestones) == 3
    assert problems[0].reason.startswith("invalid YAML") and problems[0].line == 4
    assert "must be a mapping of fields" in problems[1].reason
    assert len(problems) == 2  # an empty milestone.yml is fine


def test_not_utf8(tmp_path: Path) -> None:
    (tmp_path / "code/000_x").mkdir(parents=True)
    (tmp_path / "code/000_x/milestone.yml").write_bytes(b"title: caf\xe9\n")
    _, problems = discover_milestones(Project.at(tmp_path))
    assert [p.reason for p in problems] == ["not valid UTF-8 (byte 10)"]


@pytest.mark.parametrize(
    "query", ["000", "0", "000_neural-network-xor", "code/000_neural-network-xor/"]
)
def test_find_milestone(tmp_path: Path, query: str) -> None:
    write(tmp_path / "code/000_neural-network-xor/a.py")
    write(tmp_path / "code/01_mnist/a.py")
    milestones, _ = discover_milestones(Project.at(tmp_path))
    assert find_milestone(milestones, query).name == "000_neural-network-xor"


def test_find_milestone_unknown_lists_the_names(tmp_path: Path) -> None:
    write(tmp_path / "code/000_xor/a.py")
    write(tmp_path / "code/01_mnist/a.py")
    milestones, _ = discover_milestones(Project.at(tmp_path))
    with pytest.raises(LookupError, match="no milestone '7'; available: 000_xor, 01_mnist"):
        find_milestone(milestones, "7")


def test_duplicate_numbers_are_ambiguous(tmp_path: Path) -> None:
    write(tmp_path / "code/01_a/a.py")
    write(tmp_path / "code/001_b/a.py")
    milestones, problems = discover_milestones(Project.at(tmp_path))
    assert [p.severity for p in problems] == ["warning"]
    with pytest.raises(LookupError, match="ambiguous: 001_b, 01_a"):
        find_milestone(milestones, "1")
    assert find_milestone(milestones, "01_a").name == "01_a"
