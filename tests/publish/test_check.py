"""`dlip check`: every broken link (posts, milestone READMEs, notes) is an error, and the
last line sums up what was checked."""

from __future__ import annotations

from pathlib import Path

from repo_files import dlip, write


def make_repo(root: Path) -> Path:
    write(root / "README.md", "# Log\n\nSee [the first step](code/000_xor/).\n")
    write(root / "code/000_xor/README.md", "# XOR\n\nSee [the notes](../../notes/ideas.md).\n")
    write(root / "code/000_xor/train.py", "print('hi')\n")
    write(root / "code/001_mnist/README.md", "# Digits\n\nText.\n")
    write(root / "notes/ideas.md", "# Ideas\n\nBack to [XOR](../code/000_xor/train.py).\n")
    write(root / "daily-blog/2024-01-01 - One.md", "Day one, [XOR](../code/000_xor/).\n")
    write(root / "daily-blog/2024-01-02 - Two.md", "Day two.\n")
    return root


def test_clean_repo_passes_with_a_summary(tmp_path: Path) -> None:
    result = dlip("check", "--repo", str(make_repo(tmp_path)))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == (
        "dlip check: 2 posts from daily-blog/, 2 milestones, 1 note: 0 errors, 0 warnings")


def test_broken_links_in_milestone_readmes_and_notes_are_errors(tmp_path: Path) -> None:
    root = make_repo(tmp_path)
    write(root / "code/001_mnist/README.md", "# Digits\n\nBuilt on [XOR](../000_renamed/).\n")
    write(root / "notes/ideas.md", "# Ideas\n\nSee [gone](missing.md).\n")
    write(root / "daily-blog/2024-01-03 - Three.md", "---\ntags: [x]\nmood: ok\n---\nText.\n")
    result = dlip("check", "--repo", str(root))
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    errors = [line for line in lines if line.startswith("error: ")]
    assert any("code/001_mnist/README.md" in e and "000_renamed" in e for e in errors), lines
    assert any("notes/ideas.md" in e and "missing.md" in e for e in errors), lines
    assert any(line.startswith("warning: ") and "mood" in line for line in lines)
    assert lines[-1] == ("dlip check: 3 posts from daily-blog/, 2 milestones, 1 note: "
                         "2 errors, 1 warning")
