"""Every subcommand answers --help, in a real subprocess, as a user would call it."""

from __future__ import annotations

import subprocess
import sys

import pytest

COMMANDS = [[], ["build"], ["run"], ["check"], ["new", "post"], ["serve"], ["readme"],
            ["import"]]


@pytest.mark.parametrize("words", COMMANDS, ids=lambda w: " ".join(w) or "dlip")
def test_help(words: list[str]) -> None:
    out = subprocess.run(
        [sys.executable, "-m", "dlip.cli", *words, "--help"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    assert "usage: dlip" in out.stdout


# (subcommand words, positional arguments)
REPO_COMMANDS = [(["build"], []), (["run"], ["000"]), (["check"], []),
                 (["new", "post"], ["Title"]), (["serve"], []), (["readme"], []),
                 (["import"], ["vault"])]


@pytest.mark.parametrize("words,rest", REPO_COMMANDS, ids=lambda w: " ".join(w))
def test_missing_repo_is_one_line_and_creates_nothing(
    tmp_path, words: list[str], rest: list[str]
) -> None:
    missing = tmp_path / "no-such-repo"
    out = subprocess.run(
        [sys.executable, "-m", "dlip.cli", *words, "--repo", str(missing), *rest],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert out.returncode == 2
    assert f"{missing}: no such folder" in out.stderr
    assert "Traceback" not in out.stderr
    assert not missing.exists()
