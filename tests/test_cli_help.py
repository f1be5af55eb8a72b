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


def test_a_closed_pipe_ends_quietly() -> None:
    """`dlip dataset card DIR | head` must not end in a BrokenPipeError traceback."""
    script = (
        "import sys, dlip.cli, dlip.publish.commands as commands\n"
        "def reader_gone(args):\n"
        "    raise BrokenPipeError(32, 'Broken pipe')\n"
        "commands._cmd_check = reader_gone\n"
        "sys.exit(dlip.cli.main(['check']))\n"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         check=False, timeout=60)
    assert out.returncode == 1
    assert out.stderr == ""


def test_version() -> None:
    from importlib.metadata import version

    out = subprocess.run([sys.executable, "-m", "dlip.cli", "--version"],
                         capture_output=True, text=True, check=False)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == f"dlip {version('dlip')}"
