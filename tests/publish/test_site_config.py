"""The site around the pages: URLs from the git remote, link previews, sitemap, 404, feed."""

from __future__ import annotations

from pathlib import Path

import pytest
from repo_files import dlip, git, write

from dlip.publish.site.config import github_urls


@pytest.mark.parametrize(
    ("remote", "expected"),
    [
        ("git@github.com:Ada/dl-public.git",
         ("https://ada.github.io/dl-public/", "https://github.com/Ada/dl-public")),
        ("https://github.com/ada/dl", ("https://ada.github.io/dl/", "https://github.com/ada/dl")),
        ("ssh://git@github.com/ada/ada.github.io.git",
         ("https://ada.github.io/", "https://github.com/ada/ada.github.io")),
        ("https://gitlab.com/ada/dl.git", (None, None)),
        (None, (None, None)),
    ],
)
def test_github_remote_gives_the_pages_and_repo_urls(remote, expected) -> None:
    assert github_urls(remote) == expected


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("repo")
    write(root / "README.md", "# Ada learns\n\nHello.\n")
    write(root / "daily-blog/2024-01-01 - Day one.md", "# Day one\n\nFirst words.\n")
    write(root / "daily-blog/2024-01-01 - Day one, later.md", "# Day one, later\n\nMore.\n")
    git(root, "init", "-q")
    git(root, "remote", "add", "origin", "git@github.com:ada/learning.git")
    git(root, "add", "README.md", "daily-blog/2024-01-01 - Day one.md")
    git(root, "commit", "-q", "-m", "one")
    git(root, "add", ".")
    git(root, "commit", "-q", "-m", "two")
    result = dlip("build", "--no-run", "--repo", str(root))
    assert result.returncode == 0, result.stderr
    return root / "site"


def test_urls_author_and_link_previews_come_from_the_remote(built: Path) -> None:
    home = (built / "index.html").read_text(encoding="utf-8")
    assert '<link rel="canonical" href="https://ada.github.io/learning/"' in home
    assert 'href="https://github.com/ada/learning"' in home  # the source link
    assert '<meta name="author" content="Ada Learner">' in home
    post = (built / "blog/2024/01/01/day-one/index.html").read_text(encoding="utf-8")
    assert '<meta property="og:title" content="Day one">' in post
    assert ('<meta property="og:url" '
            'content="https://ada.github.io/learning/blog/2024/01/01/day-one/">') in post
    assert '<meta name="twitter:card" content="summary">' in post


def test_sitemap_is_absolute_and_the_404_page_is_styled_on_a_project_page(built: Path) -> None:
    sitemap = (built / "sitemap.xml").read_text(encoding="utf-8")
    assert "<loc>https://ada.github.io/learning/blog/2024/01/01/day-one/</loc>" in sitemap
    page404 = (built / "404.html").read_text(encoding="utf-8")
    # served for any missing URL, at any depth: its assets are found from the site's root
    assert 'href="/learning/assets/stylesheets/' in page404


def test_the_feed_links_absolutely_and_keeps_same_day_order(built: Path) -> None:
    import feedparser

    feed = feedparser.parse((built / "feed.xml").read_text(encoding="utf-8"))
    assert not feed.bozo, feed.bozo_exception
    links = [e.link for e in feed.entries]
    assert links == ["https://ada.github.io/learning/blog/2024/01/01/day-one-later/",
                     "https://ada.github.io/learning/blog/2024/01/01/day-one/"]
    first, later = feed.entries[1], feed.entries[0]
    assert later.published_parsed > first.published_parsed  # same day, in commit order


def test_updated_changes_when_a_post_is_edited(tmp_path: Path) -> None:
    import os
    from datetime import date

    from dlip.publish.model import Post
    from dlip.publish.pages.feed import post_times

    path = write(tmp_path / "daily-blog/2024-01-01 - Day one.md", "# Day one\n")
    git(tmp_path, "init", "-q")
    git(tmp_path, "add", ".")
    git(tmp_path, "commit", "-q", "-m", "one", "--date=2024-01-01T09:30:00Z")
    post = Post(path, date(2024, 1, 1), "Day one", "day-one", "")
    published, updated = post_times([post], tmp_path)[path]
    assert published == updated  # committed on its day, never edited
    assert published.isoformat() == "2024-01-01T09:30:00+00:00"
    path.write_text("# Day one\n\nA typo fixed.\n")
    os.utime(path, (1_800_000_000, 1_800_000_000))
    published_now, updated_now = post_times([post], tmp_path)[path]
    assert published_now == published and updated_now.timestamp() == 1_800_000_000


def test_a_saved_post_edit_regenerates_only_its_page(tmp_path: Path) -> None:
    from dlip.publish.project import Project
    from dlip.publish.site import incremental

    write(tmp_path / "README.md", "# Log\n\nHello.\n")
    one = write(tmp_path / "daily-blog/2024-01-01 - One.md", "# One\n\nFirst.\n")
    write(tmp_path / "daily-blog/2024-01-02 - Two.md",
          "# Two\n\nSee [one](2024-01-01%20-%20One.md).\n")
    project = Project.at(tmp_path)
    docs = project.docs_dir
    _, _, written = incremental.regenerate(project)
    assert written is None  # the first call in a process generates everything
    page = docs / "blog/2024/01/01/one.md"
    index = (docs / "blog/index.md").read_text()
    assert incremental.regenerate(project)[2] == 0  # nothing changed, nothing written

    one.write_text("# One\n\nFirst, and an edit.\n")
    assert incremental.regenerate(project)[2] == 1
    assert "First, and an edit." in page.read_text()
    assert (docs / "blog/index.md").read_text() == index  # caught up on a full build

    one.write_text("# One, renamed\n\nFirst.\n")  # shows on other pages: generate again
    assert incremental.regenerate(project)[2] is None
    assert "One, renamed" in (docs / "blog/index.md").read_text()
