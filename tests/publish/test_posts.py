"""Posts: file names, titles, front matter, and every bad post reported in one pass."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from repo_files import write

from dlip.publish.discover.posts import (
    discover_posts,
    excerpt,
    post_url_path,
    published,
    read_minutes,
    read_post,
    slugify,
)
from dlip.publish.project import Project


def test_date_and_title_come_from_the_file_name(tmp_path: Path) -> None:
    path = write(tmp_path / "2024-01-05 - Backprop, by hand!.md", "Today I derived it.\n")
    post, problems = read_post(path)
    assert problems == []
    assert post is not None
    assert post.date == date(2024, 1, 5)
    assert post.title == "Backprop, by hand!"
    assert post.slug == "backprop-by-hand"
    assert post_url_path(post) == "blog/2024/01/05/backprop-by-hand.md"
    assert post.body == "Today I derived it.\n"


def test_a_leading_heading_with_the_date_gives_just_the_title(tmp_path: Path) -> None:
    path = write(tmp_path / "2024-01-05 - x.md", "\n# 2024-01-05 - Softmax at last\n\nBody.\n")
    post, _ = read_post(path)
    assert post is not None
    assert post.title == "Softmax at last"
    assert post.body == "Body.\n"  # the heading is not repeated in the body


def test_front_matter_fields(tmp_path: Path) -> None:
    text = ("---\ntags: [numpy, backprop]\nmilestone: '000'\nsummary: Short.\ndraft: true\n"
            "---\n# Title here\n\nFirst paragraph.\n\nSecond.\n")
    post, problems = read_post(write(tmp_path / "2024-02-01 - file title.md", text))
    assert problems == []
    assert post is not None
    assert post.tags == ("numpy", "backprop")
    assert post.milestone == "000"
    assert post.draft is True
    assert post.title == "Title here"
    assert excerpt(post) == "Short."
    assert published([post]) == []


def test_excerpt_stops_at_more_marker_else_first_paragraph(tmp_path: Path) -> None:
    more, _ = read_post(write(tmp_path / "2024-01-01 - a.md", "One.\n\nTwo.\n<!-- more -->\nRest"))
    first, _ = read_post(write(tmp_path / "2024-01-02 - b.md", "## Sub\n\nPara one.\n\nPara two."))
    assert more is not None and first is not None
    assert excerpt(more) == "One.\n\nTwo."
    assert excerpt(first) == "Para one."


def test_read_time_is_at_least_a_minute(tmp_path: Path) -> None:
    short, _ = read_post(write(tmp_path / "2024-01-01 - a.md", "word " * 10))
    long, _ = read_post(write(tmp_path / "2024-01-02 - b.md", "word " * 1001))
    assert short is not None and long is not None
    assert read_minutes(short) == 1
    assert read_minutes(long) == 6


def test_every_bad_post_is_reported_in_one_pass(tmp_path: Path) -> None:
    blog = tmp_path / "daily-blog"
    write(blog / "2024-13-40 - x.md", "impossible date\n")
    write(blog / "2024-01-02 - bad yaml.md", "---\ntags: [a, b\n---\ntext\n")
    write(blog / "2024-01-03 - latin1.md", b"caf\xe9 au lait\n")
    write(blog / "2024-01-04 - empty.md", "")
    write(blog / "2024-01-05 - Same Title.md", "one\n")
    write(blog / "2024-01-05 - same title!.md", "two\n")
    write(blog / "notes about posts.md", "not a post name\n")
    write(blog / "2024-01-06 - Fine.md", "fine\n")
    posts, problems = discover_posts(Project.at(tmp_path))
    by_file = {p.path.name: p.reason for p in problems if p.severity == "error"}
    assert "impossible date" in by_file["2024-13-40 - x.md"]
    assert "invalid YAML front matter" in by_file["2024-01-02 - bad yaml.md"]
    assert "not valid UTF-8" in by_file["2024-01-03 - latin1.md"]
    assert "empty file" in by_file["2024-01-04 - empty.md"]
    assert "same date and slug" in by_file["2024-01-05 - same title!.md"]
    assert "YYYY-MM-DD - Title.md" in by_file["notes about posts.md"]
    assert len(by_file) == 6
    assert [p.title for p in posts] == ["Same Title", "Fine"]


def test_two_posts_on_one_day_get_their_own_pages(tmp_path: Path) -> None:
    blog = tmp_path / "daily-blog"
    write(blog / "2024-03-01 - Morning.md", "a\n")
    write(blog / "2024-03-01 - Evening.md", "b\n")
    posts, problems = discover_posts(Project.at(tmp_path))
    assert problems == []
    assert sorted(post_url_path(p) for p in posts) == [
        "blog/2024/03/01/evening.md",
        "blog/2024/03/01/morning.md",
    ]


def test_bad_field_types_are_problems(tmp_path: Path) -> None:
    path = write(tmp_path / "2024-01-01 - x.md", "---\ntags: {a: 1}\ndraft: maybe\n---\ntext\n")
    post, problems = read_post(path)
    assert post is None
    reasons = " ".join(p.reason for p in problems)
    assert "tags:" in reasons and "draft:" in reasons


def test_slugify() -> None:
    assert slugify("Día 3: Attention — is all?") == "dia-3-attention-is-all"
    assert slugify("!!!") == ""
