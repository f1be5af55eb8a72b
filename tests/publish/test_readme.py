"""The README's roadmap block: written by `dlip readme`, enforced by `dlip check`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from repo_files import dlip

from dlip.publish.discover.milestones import discover_milestones
from dlip.publish.pages.roadmap import END, START, block_span, roadmap_lines, without_block
from dlip.publish.project import Project

BEFORE = "# My log\n\nIntro.\n\n## Roadmap\n\n"
AFTER = "\n\n## Licence\n\nMIT.\n"


def milestone(root: Path, name: str, yml: str, metrics: dict | None = None) -> None:
    folder = root / "code" / name
    folder.mkdir(parents=True)
    (folder / "milestone.yml").write_text(yml, encoding="utf-8")
    if metrics is not None:
        (folder / "results").mkdir()
        (folder / "results/metrics.json").write_text(json.dumps(metrics))


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    milestone(tmp_path, "000_xor", "title: XOR by hand, Nielsen's way\n"
              "section: Simple neural network\nstatus: done\nheadline: solve_rate\n",
              {"solve_rate": 0.54, "other": 1})
    milestone(tmp_path, "001_mnist", "title: Digits\nsection: Simple neural network\n"
              "status: in-progress\nheadline: accuracy\n")
    milestone(tmp_path, "002_gpt", "title: A GPT <from scratch>\nsection: Transformers\n"
              "status: planned\n")
    (tmp_path / "README.md").write_text(f"{BEFORE}{START}\nold text\n{END}{AFTER}",
                                        encoding="utf-8")
    return tmp_path


def test_block_lists_each_milestone_by_section(repo: Path) -> None:
    project = Project.at(repo)
    milestones, _ = discover_milestones(project)
    text = "\n".join(roadmap_lines(project, milestones))
    assert ("**Simple neural network**\n\n"
            "- **DONE** · [000 · XOR by hand, Nielsen's way](code/000_xor/) · "
            "solve\\_rate: **0.54**\n"
            "- *in progress* · [001 · Digits](code/001_mnist/)\n\n"
            "**Transformers**\n\n"
            "- planned · [002 · A GPT &lt;from scratch&gt;](code/002_gpt/)\n") in text


def test_dlip_readme_rewrites_only_the_block_and_check_enforces_it(repo: Path) -> None:
    readme = repo / "README.md"
    check = dlip("check", "--repo", str(repo))
    assert check.returncode == 1
    assert "README.md:7: the roadmap block is out of date" in check.stderr
    assert "run `dlip readme`" in check.stderr

    result = dlip("readme", "--repo", str(repo))
    assert result.returncode == 0, result.stderr
    assert "roadmap updated (3 milestones)" in result.stdout
    text = readme.read_text(encoding="utf-8")
    assert text.startswith(BEFORE + START + "\n") and text.endswith(END + AFTER)
    assert "old text" not in text and "[000 · XOR by hand, Nielsen's way](code/000_xor/)" in text
    assert dlip("check", "--repo", str(repo)).returncode == 0

    mtime = readme.stat().st_mtime_ns
    again = dlip("readme", "--repo", str(repo))
    assert "already up to date" in again.stdout and readme.stat().st_mtime_ns == mtime

    # new frozen numbers make the block stale again
    (repo / "code/000_xor/results/metrics.json").write_text(json.dumps({"solve_rate": 0.6}))
    assert dlip("check", "--repo", str(repo)).returncode == 1
    build = dlip("build", "--repo", str(repo), "--no-run")
    assert "warning: " in build.stderr and "dlip readme" in build.stderr
    assert build.returncode == 0, build.stderr
    assert "**0.54**" in readme.read_text(encoding="utf-8")  # build never edits the README


def test_a_folder_without_milestone_yml_is_listed_without_a_status(repo: Path) -> None:
    (repo / "code/003_notes").mkdir()
    project = Project.at(repo)
    milestones, _ = discover_milestones(project)
    text = "\n".join(roadmap_lines(project, milestones))
    assert "**Milestones**\n\n- [003 · Notes](code/003_notes/)\n" in text


def test_readme_without_markers_is_left_alone(repo: Path) -> None:
    readme = repo / "README.md"
    readme.write_text("# Mine\n\nNo roadmap here.\n", encoding="utf-8")
    mtime = readme.stat().st_mtime_ns
    result = dlip("readme", "--repo", str(repo))
    assert result.returncode == 0 and "left as it is" in result.stdout
    assert readme.read_text(encoding="utf-8") == "# Mine\n\nNo roadmap here.\n"
    assert readme.stat().st_mtime_ns == mtime
    check = dlip("check", "--repo", str(repo))
    assert "README" not in check.stderr


def test_markers_that_do_not_pair_up_are_an_error(repo: Path) -> None:
    readme = repo / "README.md"
    broken = f"# Mine\n\n{END}\n{START}\n"
    readme.write_text(broken, encoding="utf-8")
    result = dlip("readme", "--repo", str(repo))
    assert result.returncode == 1
    assert result.stderr.startswith("error: README.md: ") and "comes before" in result.stderr
    assert readme.read_text(encoding="utf-8") == broken
    check = dlip("check", "--repo", str(repo))
    assert "README.md: roadmap: " in check.stderr and check.returncode == 1


def test_line_endings_are_kept(repo: Path) -> None:
    readme = repo / "README.md"
    readme.write_bytes(f"# Mine\r\n\r\n{START}\r\n{END}\r\nEnd.\r\n".encode())
    assert dlip("readme", "--repo", str(repo)).returncode == 0
    data = readme.read_bytes()
    assert b"\n" not in data.replace(b"\r\n", b"") and b"[000 \xc2\xb7 XOR by hand" in data


def test_home_page_drops_the_block_it_replaces() -> None:
    text = f"Intro.\n\n{START}\n- a line\n{END}\n\nOutro.\n"
    assert without_block(text) == "Intro.\n\n\n\nOutro.\n"
    assert without_block("no markers\n") == "no markers\n"
    assert block_span(f"{START}{END}") == (len(START), len(START))
