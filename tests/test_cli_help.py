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
