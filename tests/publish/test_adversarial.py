"""The publisher tried adversarially: every case is a repo an author (or an attacker) could
write, and what the publisher must do with it.

One module, so a reader can scan every case at once; grouped by the rule each case tests:
1. outside the repo, 2. nothing that runs, 3. results that lie, 4. smaller defects.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from repo_files import dlip, write

from dlip.publish.project import outside_reason


def _post(root: Path, name: str, text: str) -> Path:
    return write(root / "daily-blog" / f"{name}.md", text)


def _milestone(root: Path, folder: str, config: str = "", **files: str) -> Path:
    folder_path = root / "code" / folder
    write(folder_path / "README.md", f"# {folder}\n\nSee [the script](train.py).\n")
    write(folder_path / "train.py", "print('hello')\n")
    if config:
        write(folder_path / "milestone.yml", config)
    for name, text in files.items():
        write(folder_path / name, text)
    return folder_path


# --- 1. outside the repo -----------------------------------------------------------------

SECRET = "dlip-test-secret-0f3c"  # in files outside the repo and in the build's environment
PASSWD = "root:x:0:0"  # the first line of /etc/passwd


def _outside_repo(tmp_path: Path) -> Path:
    """A repo whose every published path was pointed out of it, one way each."""
    outside = tmp_path / "outside"
    write(outside / "secret.txt", f"{SECRET}\n")
    write(outside / "secret.md", f"# {SECRET}\n\n{SECRET}\n")
    write(outside / "secret.svg", f'<svg xmlns="http://www.w3.org/2000/svg"><text>{SECRET}</text>'
                                  "</svg>\n")
    root = tmp_path / "repo"
    write(root / "README.md", "# Outside\n\nA repo that points out of itself.\n")
    posts = root / "daily-blog"
    _post(root, "2026-01-05 - Fine", "A fine post: [[/etc/passwd]], [[../../etc/passwd]], "
                                     "[gone](gone.png) and [away](away.txt).\n")
    (posts / "2026-01-01 - Passwd.md").symlink_to("/etc/passwd")
    (posts / "2026-01-02 - Environ.md").symlink_to("/proc/self/environ")
    (posts / "2026-01-03 - Secret.md").symlink_to(outside / "secret.md")
    (posts / "gone.png").symlink_to(root / "nowhere.png")
    (posts / "away.txt").symlink_to(outside / "secret.txt")
    code = root / "code"
    code.mkdir()
    (code / "001_etc").symlink_to("/etc")
    (code / "002_root").symlink_to("/")
    milestone = _milestone(root, "000_results", "title: Results from outside\n")
    (milestone / "notes.md").symlink_to(outside / "secret.md")
    (milestone / "plot.svg").symlink_to(outside / "secret.svg")
    results = milestone / "results"
    write(results / "run.json", json.dumps({"status": "ok", "steps": [
        {"log": "/etc/passwd", "command": ["python", "a.py"]},
        {"log": "logs/b.log", "command": ["python", "b.py"]},
        {"log": "logs/../../../../../outside/secret.txt", "command": ["python", "c.py"]},
    ]}))
    (results / "logs").mkdir()
    (results / "logs" / "b.log").symlink_to(outside / "secret.txt")
    (results / "card.md").symlink_to(outside / "secret.md")
    (results / "figure.svg").symlink_to(outside / "secret.svg")
    (results / "figure.png").symlink_to(outside / "secret.txt")
    (results / "metrics.json").symlink_to(outside / "secret.txt")
    return root


def test_check_names_every_path_that_leads_out_of_the_repo(tmp_path: Path) -> None:
    root = _outside_repo(tmp_path)
    out = dlip("check", "--repo", str(root))
    assert out.returncode == 1
    assert "Traceback" not in out.stderr + out.stdout
    lines = out.stderr.splitlines()
    for name in ("2026-01-01 - Passwd.md", "2026-01-02 - Environ.md", "2026-01-03 - Secret.md",
                 "code/001_etc", "code/002_root", "000_results/notes.md",
                 "000_results/plot.svg", "results/logs/b.log", "results/card.md",
                 "results/figure.svg", "results/figure.png", "results/metrics.json"):
        assert any(name in line and line.startswith("error:") and "outside the repo" in line
                   for line in lines), f"{name} not refused:\n{out.stderr}"
    assert any("'/etc/passwd'" in line and "run.json" in line for line in lines), out.stderr
    assert any("secret.txt'" in line and "run.json" in line for line in lines), out.stderr
    assert any("[[/etc/passwd]]" in line for line in lines), out.stderr
    assert any("'gone.png'" in line and "dangling symlink" in line for line in lines), out.stderr
    assert any("'away.txt'" in line and "outside the repo" in line for line in lines), out.stderr


def test_build_warns_skips_and_publishes_nothing_from_outside(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = _outside_repo(tmp_path)
    monkeypatch.setenv("DLIP_TEST_TOKEN", SECRET)  # what /proc/self/environ would show
    out = dlip("build", "--no-run", "--repo", str(root), timeout=600)
    assert out.returncode == 0, out.stderr
    assert "Traceback" not in out.stderr + out.stdout
    assert "warning: daily-blog/2026-01-01 - Passwd.md" in out.stderr.replace(str(root) + "/", "")
    site = root / "site"
    assert (site / "index.html").is_file() and (site / "search" / "search_index.json").is_file()
    leaked = [p.relative_to(site).as_posix() for p in site.rglob("*") if p.is_file()
              and (SECRET.encode() in p.read_bytes() or PASSWD.encode() in p.read_bytes())]
    assert leaked == []
    assert not (site / "code" / "001_etc").exists() and not (site / "code" / "002_root").exists()
    assert "Fine" in (site / "feed.xml").read_text(encoding="utf-8")


def test_outside_reason_follows_links_to_the_end(tmp_path: Path) -> None:
    root = write(tmp_path / "repo" / "a.txt", "a").parent
    (root / "inside").symlink_to(root / "a.txt")
    (root / "hop").symlink_to(tmp_path / "repo" / "inside")  # a link to a link inside
    (root / "out").symlink_to(tmp_path)
    (root / "loop").symlink_to(root / "loop")
    (root / "dangling").symlink_to(root / "missing")
    assert outside_reason(root / "a.txt", root) is None
    assert outside_reason(root / "hop", root) is None
    assert "outside the repo" in outside_reason(root / "out", root)
    assert outside_reason(root / "out" / "repo" / "a.txt", root) is None  # out, then back in
    assert "cannot be resolved" in outside_reason(root / "loop", root)
    assert "dangling" in outside_reason(root / "dangling", root)
    assert "outside the repo" in outside_reason(Path("/etc/passwd"), root)


# --- 2. nothing that runs ----------------------------------------------------------------


# --- 3. results that lie -----------------------------------------------------------------


# --- 4. smaller defects ------------------------------------------------------------------
