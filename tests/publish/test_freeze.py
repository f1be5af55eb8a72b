"""The input key: what changes it, what does not, and how staleness is reported."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from dataclasses import replace
from pathlib import Path

from repo_files import write

from dlip.publish.discover.milestones import discover_milestones
from dlip.publish.model import Milestone
from dlip.publish.project import Project
from dlip.publish.run import freeze


def make_repo(root: Path) -> Project:
    folder = root / "code/000_x"
    write(folder / "a.py", 'print("hi")\n')
    write(folder / "sub/d.txt", b"data\r\n")
    write(
        folder / "milestone.yml", 'run:\n  - script: a.py\n    args: ["1"]\ninputs: [src/lib/**]\n'
    )
    write(root / "src/lib/m.py", "X = 1\n")
    return Project.at(root)


def only_milestone(project: Project) -> Milestone:
    milestones, problems = discover_milestones(project)
    assert problems == []
    return milestones[0]


def key(project: Project) -> str:
    return freeze.input_key(project, only_milestone(project))


def freeze_now(project: Project) -> None:
    """Write a run record as the runner would, for the key as it is now."""
    milestone = only_milestone(project)
    record = {
        "status": "ok",
        "key": freeze.input_key(project, milestone),
        "key_version": freeze.KEY_VERSION,
        "manifest": freeze.input_manifest(project, milestone),
        "outputs": freeze.output_hashes(milestone.results_dir),
    }
    write(milestone.results_dir / "run.json", json.dumps(record))


def test_key_is_pinned(tmp_path: Path) -> None:
    """Frozen results in git depend on this exact algorithm: changing it needs a new version."""
    project = make_repo(tmp_path)
    assert freeze.KEY_VERSION == "dlip-freeze-2"
    assert key(project) == "466488be3eabf96624865bb61f4c2ea30151834d980c8c0a940367ac3ce0042b"


def test_key_follows_the_documented_recipe(tmp_path: Path) -> None:
    project = make_repo(tmp_path)

    def sha(data: bytes) -> str:
        return hashlib.sha256(data).hexdigest()

    folder = tmp_path / "code/000_x"
    text = (
        "dlip-freeze-2\n[files]\n"
        f"a.py\0{sha((folder / 'a.py').read_bytes())}\n"
        f"sub/d.txt\0{sha(b'data' + bytes([10]))}\n"
        "[imports]\n"
        f"[inputs]\nsrc/lib/m.py\0{sha(b'X = 1' + bytes([10]))}\n"
        '[steps]\n[["script","a.py",["1"]]]'
    )
    assert key(project) == sha(text.encode())


def test_same_content_elsewhere_same_key(tmp_path: Path) -> None:
    one, two = make_repo(tmp_path / "one"), make_repo(tmp_path / "elsewhere/two")
    os.utime(two.root / "code/000_x/a.py", (1, 1))
    write(two.root / "code/000_x/sub/d.txt", b"data\n")  # LF checkout of a CRLF file
    assert key(one) == key(two)


def test_editing_a_file_changes_the_key_editing_results_does_not(tmp_path: Path) -> None:
    project = make_repo(tmp_path)
    folder = tmp_path / "code/000_x"
    before = key(project)
    for ignored in (
        "results/run.json",
        "results/logs/01-a.py.log",
        "results-local/plot.png",
        "sub/results-local/x",
        "__pycache__/a.cpython-311.pyc",
        ".ipynb_checkpoints/n-checkpoint.ipynb",
        "b.pyc",
        ".results-tmp-123-abc/metrics.json",
        ".results-old-123-abc/run.json",
    ):
        write(folder / ignored, "noise")
    write(tmp_path / "src/lib/__pycache__/m.cpython-311.pyc", "noise")
    write(tmp_path / "README.md", "not declared as an input")
    assert key(project) == before

    write(folder / "a.py", 'print("hello")\n')
    edited = key(project)
    assert edited != before
    write(folder / "table.csv", "new data file")
    assert key(project) != edited


def test_steps_count_but_not_their_timeout(tmp_path: Path) -> None:
    project = make_repo(tmp_path)
    before = key(project)
    # milestone.yml is itself hashed as a file; vary the parsed steps alone.
    milestone = only_milestone(project)
    slow = replace(milestone, steps=(replace(milestone.steps[0], timeout=5.0),))
    other_args = replace(milestone, steps=(replace(milestone.steps[0], args=("2",)),))
    assert freeze.input_key(project, slow) == before
    assert freeze.input_key(project, other_args) != before


def test_stale_problems(tmp_path: Path) -> None:
    project = make_repo(tmp_path)
    write(tmp_path / "code/001_notes/README.md", "# Notes, nothing to run\n")
    milestones, _ = discover_milestones(project)

    (missing,) = freeze.stale_problems(project, milestones)
    assert missing.path.name == "000_x"
    assert missing.reason.startswith("no frozen results; run `dlip run 000`")

    freeze_now(project)
    assert freeze.stale_problems(project, milestones) == []

    write(tmp_path / "src/lib/m.py", "X = 2\n")
    (changed,) = freeze.stale_problems(project, milestones)
    assert "inputs changed since the last run: src/lib/m.py" in changed.reason
    assert "dlip run 000" in changed.reason

    write(tmp_path / "src/lib/new.py", "Y = 1\n")
    (changed,) = freeze.stale_problems(project, milestones)
    assert "src/lib/m.py, src/lib/new.py (new)" in changed.reason

    freeze_now(project)
    (tmp_path / "code/000_x/sub/d.txt").unlink()
    (removed,) = freeze.stale_problems(project, milestones)
    assert "sub/d.txt (removed)" in removed.reason


def test_failed_or_unreadable_records_are_stale(tmp_path: Path) -> None:
    project = make_repo(tmp_path)
    milestone = only_milestone(project)
    write(milestone.results_dir / "run.json", "{not json")
    assert freeze.read_record(milestone) is None
    assert freeze.staleness(project, milestone) == "results/run.json cannot be read"
    record = {"status": "failed", "key": freeze.input_key(project, milestone)}
    write(milestone.results_dir / "run.json", json.dumps(record))
    assert "did not succeed" in str(freeze.staleness(project, milestone))


def test_inputs_never_leave_the_repo(tmp_path: Path) -> None:
    outside = write(tmp_path / "outside/secret.txt", "secret")
    project = make_repo(tmp_path / "repo")
    (project.root / "src/lib/link").symlink_to(outside.parent)
    milestone = only_milestone(project)
    files = [rel for rel, _ in freeze.declared_input_files(project, milestone)]
    assert files == ["src/lib/m.py"]
    shutil.rmtree(outside.parent)
