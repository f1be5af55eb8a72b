"""Helpers the tests share: lay out files of a sample repo and run the real CLI.

Importable from any test module because pyproject.toml puts tests/ on pytest's pythonpath.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def write(path: Path, text: str | bytes = "") -> Path:
    """Write text (UTF-8) or raw bytes to path, creating parent folders; return the path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def dlip(
    *args: str, cwd: Path | None = None, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    """Run `python -m dlip.cli ARGS` as a user would, capturing its output; never raises on exit."""
    return subprocess.run([sys.executable, "-m", "dlip.cli", *args], cwd=cwd,
                          capture_output=True, text=True, check=False, timeout=timeout)


def git(root: Path, *args: str) -> None:
    """Run git in `root` as the test author (Ada Learner), whatever the machine's git config."""
    subprocess.run(["git", "-c", "user.name=Ada Learner", "-c", "user.email=ada@example.org",
                    *args], cwd=root, check=True, capture_output=True)


def built_page(root: Path, url: str) -> str:
    """The HTML `dlip build` wrote for the page at `url` (directory URLs: url/index.html)."""
    return (root / "site" / url / "index.html").read_text(encoding="utf-8")
