"""Live metrics in prose: `{{ metric 000 acc }}` shows the frozen value, marked as live."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from repo_files import dlip

from dlip.publish.model import Milestone, Problem
from dlip.publish.pages.glue import Glue, text_start_line

RUN_DATE = "2024-05-06T07:08:09Z"


def frozen_milestone(root: Path, name: str = "000_xor") -> Milestone:
    """A milestone folder with frozen results written as the runner writes them."""
    folder = root / "code" / name
    (folder / "results").mkdir(parents=True)
    (folder / "results/metrics.json").write_text(json.dumps(
        {"acc": 0.912345678, "seeds": 100, "solved": True, "label": "a_b*c<d>"}))
    (folder / "results/run.json").write_text(json.dumps({"date": RUN_DATE, "status": "ok"}))
    number, slug = name.split("_", 1)
    return Milestone(path=folder, number=number, slug=slug, title="XOR")


def test_values_are_formatted_once_and_marked_live(tmp_path: Path) -> None:
    glue = Glue([frozen_milestone(tmp_path)])
    problems: list[Problem] = []
    text = ("Accuracy {{ metric 000 acc }} over {{metric 000_xor seeds}} seeds; "
            "{{ metric 0 solved }}.")
    out = glue.fill(text, tmp_path / "post.md", problems)
    assert problems == []
    title = 'title="Live metric: acc = 0.912346 from 000_xor, run 2024-05-06"'
    assert f'<span class="dlip-metric" {title}>0.9123</span>' in out
    assert ">100</span> seeds" in out and ">yes</span>." in out
    # a string metric is text, never markup
    assert ">a\\_b\\*c&lt;d&gt;</span>" in glue.fill("{{ metric 000 label }}", tmp_path, problems)


def test_percent_shows_a_fraction_as_a_percentage(tmp_path: Path) -> None:
    glue = Glue([frozen_milestone(tmp_path)])
    problems: list[Problem] = []
    out = glue.fill("{{ metric 000 acc percent }}", tmp_path / "post.md", problems)
    assert problems == [] and ">91.23%</span>" in out
    glue.fill("{{ metric 000 label percent }} {{ metric 000 acc percents }}",
              tmp_path / "post.md", problems)
    assert len(problems) == 2
    assert "not a number" in problems[0].reason and "`percent`" in problems[1].reason


def test_code_is_left_alone(tmp_path: Path) -> None:
    glue = Glue([frozen_milestone(tmp_path)])
    text = ("Write `{{ metric 000 acc }}` in a post.\n\n```markdown\n{{ metric 000 acc }}\n```\n"
            "~~~\n{{ metric 000 nope }}\n~~~\nbut {{ metric 000 acc }} here\n")
    problems: list[Problem] = []
    out = glue.fill(text, tmp_path / "post.md", problems)
    assert "`{{ metric 000 acc }}`" in out
    assert "```markdown\n{{ metric 000 acc }}\n```" in out
    assert "~~~\n{{ metric 000 nope }}\n~~~" in out and problems == []
    assert out.count("dlip-metric") == 1 and out.endswith(">0.9123</span> here\n")


def test_unknown_milestone_or_metric_keeps_the_text_and_names_file_and_line(
    tmp_path: Path,
) -> None:
    glue = Glue([frozen_milestone(tmp_path), Milestone(path=tmp_path / "code/001_new",
                                                        number="001", slug="new", title="N")])
    problems: list[Problem] = []
    text = ("ok {{ metric 000 acc }}\n"
            "{{ metric 007 acc }}\n"
            "{{ metric 000 accuracy }}\n"
            "{{ metric 001 acc }}\n"
            "{{ metric acc }}\n")
    out = glue.fill(text, Path("daily-blog/p.md"), problems, "error", first_line=5)
    for raw in ("{{ metric 007 acc }}", "{{ metric 000 accuracy }}", "{{ metric acc }}"):
        assert raw in out
    assert [(p.line, p.severity) for p in problems] == [(6, "error"), (7, "error"),
                                                        (8, "error"), (9, "error")]
    reasons = [p.reason for p in problems]
    assert "no milestone '007'" in reasons[0]
    assert "no metric 'accuracy'" in reasons[1] and "acc, label, seeds, solved" in reasons[1]
    assert "001_new has no frozen metrics; run `dlip run 001`" in reasons[2]
    assert "{{ metric <milestone number or folder> <metric name> }}" in reasons[3]
    assert str(problems[0]).startswith("error: daily-blog/p.md:6: {{ metric 007 acc }}")


def test_text_start_line_finds_the_body_in_its_file(tmp_path: Path) -> None:
    path = tmp_path / "p.md"
    path.write_text("---\ntags: [a]\n---\n# Title\n\nBody {{ x }}\n")
    assert text_start_line(path, "Body {{ x }}\n") == 6
    assert text_start_line(path, "not in it") == 1


# --- through the CLI -------------------------------------------------------------------


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    m = frozen_milestone(tmp_path)
    (m.path / "README.md").write_text("# XOR\n\nIt reaches {{ metric 000 acc }}.\n")
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes/plan.md").write_text("# Plan\n\nSeeds so far: {{ metric 000 seeds }}.\n")
    (tmp_path / "daily-blog").mkdir()
    (tmp_path / "daily-blog/2024-05-07 - Numbers.md").write_text(
        "---\ntags: [x]\n---\n# Numbers\n\nAccuracy is {{ metric 000 acc }} today.\n")
    return tmp_path


def test_build_fills_posts_readmes_and_notes(repo: Path) -> None:
    check = dlip("check", "--repo", str(repo))
    assert check.returncode == 0, check.stderr
    result = dlip("build", "--repo", str(repo))
    assert result.returncode == 0, result.stderr
    for page in ("blog/2024/05/07/numbers/index.html", "code/000_xor/index.html",
                 "notes/plan/index.html", "blog/index.html"):
        html = (repo / "site" / page).read_text(encoding="utf-8")
        assert 'class="dlip-metric" title="Live metric: ' in html, page
        assert "{{" not in html.split("<article", 1)[-1].split("</article>", 1)[0], page
    feed = (repo / "site/feed.xml").read_text(encoding="utf-8")
    assert "0.9123" in feed and "{{" not in feed


def test_check_fails_and_build_warns_on_a_bad_glue(repo: Path) -> None:
    post = repo / "daily-blog/2024-05-07 - Numbers.md"
    post.write_text(post.read_text() + "\nAnd {{ metric 000 nope }}.\n")
    check = dlip("check", "--repo", str(repo))
    assert check.returncode == 1
    assert ("error: " in check.stderr and "2024-05-07 - Numbers.md:8: {{ metric 000 nope }}: "
            "000_xor has no metric 'nope'" in check.stderr), check.stderr
    result = dlip("build", "--repo", str(repo), "--no-run")
    assert result.returncode == 0, result.stderr
    assert "warning: " in result.stderr and "Numbers.md:8" in result.stderr
    html = (repo / "site/blog/2024/05/07/numbers/index.html").read_text(encoding="utf-8")
    assert "{{ metric 000 nope }}" in html  # shown as written


def test_line_numbers_count_from_the_top_of_each_file(repo: Path) -> None:
    from dlip.publish.project import Project
    from dlip.publish.site.build import generate_pages

    (repo / "README.md").write_text(
        "# Log\n\n<!-- roadmap:start -->\n- a\n- b\n<!-- roadmap:end -->\n\n{{ metric 000 x }}\n")
    (repo / "code/000_xor/README.md").write_text("# XOR\n\nOne.\n\n{{ metric 000 y }}\n")
    site = generate_pages(Project.at(repo), write=False)
    where = sorted((p.path.name, p.line) for p in site.problems if "{{" in p.reason)
    assert where == [("README.md", 5), ("README.md", 8)]
