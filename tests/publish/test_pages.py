"""Page generation without MkDocs: streak, feed, blog pages, milestone and home pages."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import feedparser

from dlip.publish.discover.posts import slugify
from dlip.publish.model import Milestone, Post
from dlip.publish.pages.blog import PER_PAGE
from dlip.publish.pages.feed import atom_feed
from dlip.publish.pages.generate import generate
from dlip.publish.pages.streak import compute_streak, month_grid_html
from dlip.publish.project import Project
from dlip.publish.site.docs import write_site

MON = date(2024, 1, 1)  # a Monday


def days(*offsets: int) -> list[date]:
    return [MON + timedelta(days=o) for o in offsets]


def test_sunday_is_a_rest_day_that_neither_breaks_nor_counts() -> None:
    # Monday to Saturday, Sunday off, Monday again: one streak of 7 posting days
    s = compute_streak(days(0, 1, 2, 3, 4, 5, 7), today=MON + timedelta(days=7))
    assert (s.current, s.longest, s.total_days) == (7, 7, 7)


def test_a_post_on_sunday_counts() -> None:
    s = compute_streak(days(4, 5, 6, 7), today=MON + timedelta(days=7))
    assert s.current == 4


def test_a_missed_weekday_breaks_the_streak() -> None:
    s = compute_streak(days(0, 1, 3, 4), today=MON + timedelta(days=4))
    assert (s.current, s.longest) == (2, 2)


def test_today_does_not_break_the_streak_before_it_is_over() -> None:
    assert compute_streak(days(0, 1), today=MON + timedelta(days=2)).current == 2
    assert compute_streak(days(0, 1), today=MON + timedelta(days=3)).current == 0
    # Saturday's post is still alive on Monday morning: Sunday was a rest day
    assert compute_streak(days(5), today=MON + timedelta(days=7)).current == 1


def test_no_posts_no_streak() -> None:
    assert compute_streak([], today=MON) == compute_streak(days(3), today=MON)


def test_month_grid_marks_each_kind_of_day() -> None:
    grid = month_grid_html(days(1, 2, 4), today=MON + timedelta(days=9), months=1)
    assert 'title="2024-01-02: posted"' in grid
    assert 'title="2024-01-04: missed"' in grid
    assert 'title="2024-01-07: rest"' in grid
    assert 'title="2024-01-01: before"' in grid  # before the first post: not a miss
    assert 'title="2024-01-20: future"' in grid


def post(tmp_path: Path, day: date, title: str, body: str = "Text.\n", **kw) -> Post:
    path = tmp_path / "daily-blog" / f"{day.isoformat()} - {title}.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(body, encoding="utf-8")
    slug = slugify(title)
    return Post(path=path, date=day, title=title, slug=slug, body=body, **kw)


def test_feed_is_valid_atom_with_absolute_links(tmp_path: Path) -> None:
    posts = [post(tmp_path, date(2024, 1, d), f"Day {d} & <more>", tags=("a&b",))
             for d in (1, 2)]
    xml = atom_feed(posts, "My site", "https://example.org/learn/")
    feed = feedparser.parse(xml)
    assert feed.bozo == 0
    assert feed.feed.title == "My site"
    assert [e.title for e in feed.entries] == ["Day 2 & <more>", "Day 1 & <more>"]
    assert feed.entries[0].link.startswith("https://example.org/learn/blog/2024/01/02/")
    assert feed.entries[0].tags[0].term == "a&b"


def test_feed_without_site_url_still_parses(tmp_path: Path) -> None:
    xml = atom_feed([post(tmp_path, date(2024, 1, 1), "One")], "S", None)
    feed = feedparser.parse(xml)
    assert feed.bozo == 0 and len(feed.entries) == 1


def test_blog_index_is_paginated_newest_first(tmp_path: Path) -> None:
    posts = [post(tmp_path, date(2024, 1, 1) + timedelta(days=i), f"P{i}")
             for i in range(PER_PAGE * 2 + 1)]
    site = generate(Project.at(tmp_path), posts, [], site_name="S", today=date(2024, 3, 1))
    first, second, third = (site.pages["blog/index.md"], site.pages["blog/page/2.md"],
                            site.pages["blog/page/3.md"])
    assert f"[P{PER_PAGE * 2}]" in first and "[P0]" in third
    assert "Older posts" in first and "Newer posts" in second
    assert "blog/page/4.md" not in site.pages
    assert all("blog/2024" not in str(entry) for entry in site.nav)


def test_generated_files_are_written_once_and_stale_ones_deleted(tmp_path: Path) -> None:
    project = Project.at(tmp_path)
    posts = [post(tmp_path, date(2024, 1, 1), "A"), post(tmp_path, date(2024, 1, 2), "B")]
    site = generate(project, posts, [], site_name="S", today=date(2024, 1, 3))
    written, _, deleted = write_site(project, site)
    assert written == len(site.pages) and deleted == 0
    again = generate(project, posts, [], site_name="S", today=date(2024, 1, 3))
    assert write_site(project, again)[0] == 0
    fewer = generate(project, posts[:1], [], site_name="S", today=date(2024, 1, 3))
    _, _, deleted = write_site(project, fewer)
    assert deleted == 1
    assert not (project.docs_dir / "blog/2024/01/02").exists()


def test_hand_written_docs_are_never_overwritten(tmp_path: Path) -> None:
    (tmp_path / "mkdocs.yml").write_text("site_name: S\n")
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "a.md").write_text("# A generated note\n")
    (tmp_path / "docs" / "notes").mkdir(parents=True)
    mine = tmp_path / "docs" / "notes" / "a.md"
    mine.write_text("hand-written\n")
    project = Project.at(tmp_path)
    site = generate(project, [], [], site_name="S")
    write_site(project, site)
    assert mine.read_text() == "hand-written\n"
    assert any("in the way" in p.reason for p in site.problems)


def test_milestone_page_escapes_file_contents(tmp_path: Path) -> None:
    folder = tmp_path / "code" / "000_x"
    folder.mkdir(parents=True)
    (folder / "evil.py").write_text("s = '```'\n# </details><script>alert(1)</script>\n")
    m = Milestone(path=folder, number="000", slug="x", title="X")
    site = generate(Project.at(tmp_path), [], [m], site_name="S")
    page = site.pages["code/000_x/index.md"]
    # the file sits in an indented fence longer than any backtick run inside it
    assert "    ````python" in page
    assert "    # </details><script>alert(1)</script>" in page
    assert site.copies["code/000_x/evil.py"] == folder / "evil.py"


def test_symlinks_out_of_the_repo_are_never_copied(tmp_path: Path, tmp_path_factory) -> None:
    secret = tmp_path_factory.mktemp("elsewhere") / "secret.py"
    secret.write_text("TOKEN = 'do not publish'\n")
    folder = tmp_path / "repo" / "code" / "000_x"
    folder.mkdir(parents=True)
    (folder / "ok.py").write_text("print('ok')\n")
    (folder / "linked.py").symlink_to(secret)
    m = Milestone(path=folder, number="000", slug="x", title="X")
    site = generate(Project.at(tmp_path / "repo"), [], [m], site_name="S")
    assert "code/000_x/ok.py" in site.copies
    assert "code/000_x/linked.py" not in site.copies
    assert "do not publish" not in site.pages["code/000_x/index.md"]


def test_titles_and_tags_are_text_not_markup(tmp_path: Path) -> None:
    evil = post(tmp_path, date(2024, 1, 1), "<script>alert(1)</script> *bold*",
                tags=("<img src=x onerror=alert(1)>",))
    site = generate(Project.at(tmp_path), [evil], [], site_name="S", today=date(2024, 1, 2))
    text = "\n".join(site.pages.values())
    assert "<script>alert(1)</script>" not in text
    assert "<img src=x" not in text
    assert "&lt;script&gt;alert&#40;1&#41;&lt;/script&gt; \\*bold\\*" in site.pages["blog/index.md"]


def two_milestones(tmp_path: Path) -> list[Milestone]:
    found = []
    for number, slug, title in (("000", "xor", "XOR"), ("001", "mnist", "Digits")):
        folder = tmp_path / "code" / f"{number}_{slug}"
        folder.mkdir(parents=True)
        (folder / "train.py").write_text("print('hi')\n")
        found.append(Milestone(path=folder, number=number, slug=slug, title=title))
    return found


def test_posts_and_milestones_link_both_ways(tmp_path: Path) -> None:
    xor, mnist = two_milestones(tmp_path)
    by_field = post(tmp_path, date(2024, 1, 1), "Named", "No links.\n", milestone="000")
    by_link = post(tmp_path, date(2024, 1, 2), "Linked",
                   "See [the script](../code/001_mnist/train.py).\n")
    both = post(tmp_path, date(2024, 1, 3), "Both",
                "[Folder](../code/000_xor/) and [digits](../code/001_mnist/).\n", milestone="0")
    unrelated = post(tmp_path, date(2024, 1, 4), "Other", "[Home](../README.md)\n")
    site = generate(Project.at(tmp_path), [by_field, by_link, both, unrelated], [xor, mnist],
                    site_name="S", today=date(2024, 1, 5))

    linked = site.pages["blog/2024/01/02/linked.md"]
    assert "Milestone: [001 · Digits](../../../../code/001_mnist/index.md)" in linked
    named_both = site.pages["blog/2024/01/03/both.md"]
    # the front matter's milestone first, then the linked ones, each once
    assert ("Milestones: [000 · XOR](../../../../code/000_xor/index.md), "
            "[001 · Digits](../../../../code/001_mnist/index.md)") in named_both
    assert "Milestone" not in site.pages["blog/2024/01/04/other.md"]
    assert "[001 · Digits]" in site.pages["blog/index.md"]  # the index shows them too

    xor_page = site.pages["code/000_xor/index.md"]
    section = xor_page.split("## Posts about this milestone", 1)[1]
    assert "- 2024-01-01 · [Named](../../blog/2024/01/01/named.md)" in section
    assert "- 2024-01-03 · [Both](../../blog/2024/01/03/both.md)" in section
    assert "Linked" not in section and "Other" not in section
    mnist_section = site.pages["code/001_mnist/index.md"].split("## Posts about", 1)[1]
    assert "[Linked]" in mnist_section and "[Both]" in mnist_section
    assert "[Named]" not in mnist_section


def test_a_post_naming_a_missing_milestone_is_a_problem(tmp_path: Path) -> None:
    milestones = two_milestones(tmp_path)
    lost = post(tmp_path, date(2024, 1, 1), "Lost", "Text.\n", milestone="007")
    for severity in ("warning", "error"):
        site = generate(Project.at(tmp_path), [lost], milestones, site_name="S",
                        link_severity=severity)
        (problem,) = [p for p in site.problems if "milestone:" in p.reason]
        assert problem.severity == severity and "'007'" in problem.reason
        assert problem.path == lost.path


README = """# My learning log

Learning in public. Start with [the first step](code/000_xor/) or read [how to post](#how-to-post).

```sh
## a shell comment, not a heading
```

## How to post

Write a file in `daily-blog/`.

Layout
------

Folders.
"""


def test_home_shows_the_readme_introduction_and_about_page_the_whole_of_it(
    tmp_path: Path,
) -> None:
    (tmp_path / "README.md").write_text(README, encoding="utf-8")
    (xor, _) = two_milestones(tmp_path)
    linking = post(tmp_path, date(2024, 1, 1), "Links", "[the README](../README.md#layout)\n")
    site = generate(Project.at(tmp_path), [linking], [xor], site_name="S", today=MON)

    home = site.pages["index.md"]
    assert "Learning in public. Start with [the first step](code/000_xor/index.md)" in home
    # the section lives on the README's own page
    assert "[how to post](the-readme.md#how-to-post)" in home
    assert "## a shell comment" in home  # fenced code is not a heading
    assert "Write a file" not in home and "Folders." not in home
    assert ("The whole README is on [its own page](the-readme.md): "
            "[How to post](the-readme.md#how-to-post) · [Layout](the-readme.md#layout).") in home
    assert home.index("the-readme.md") < home.index("## Roadmap") < home.index("## Latest posts")

    # About speaks of the learner and the site; the developer README is one click away
    about = site.pages["about.md"]
    assert about.startswith("---\ntitle: About this repo\n---\n\n# About this repo\n")
    assert "Learning in public." in about and "## This site" in about
    assert "## How to post" not in about and "Folders." not in about
    assert "[the README](the-readme.md)" in about
    readme = site.pages["the-readme.md"]
    assert "## How to post" in readme and "Folders." in readme
    assert "# My learning log" not in readme  # the site's title already says it
    assert {"About this repo": "about.md"} in site.nav
    assert ("[the README](../../../../the-readme.md#layout)"
            in site.pages["blog/2024/01/01/links.md"])


def test_a_readme_with_only_an_introduction_is_the_home_page(tmp_path: Path) -> None:
    (tmp_path / "README.md").write_text("# Log\n\nJust a line.\n", encoding="utf-8")
    linking = post(tmp_path, date(2024, 1, 1), "Links", "[the README](../README.md)\n")
    site = generate(Project.at(tmp_path), [linking], [], site_name="S", today=MON)
    assert "Just a line." in site.pages["index.md"]
    assert "about.md" not in site.pages and "About this repo" not in str(site.nav)
    assert "[the README](../../../../index.md)" in site.pages["blog/2024/01/01/links.md"]


def test_a_note_called_about_keeps_its_page(tmp_path: Path) -> None:
    (tmp_path / "README.md").write_text(README, encoding="utf-8")
    (tmp_path / "About.md").write_text("# About me\n\nHello.\n", encoding="utf-8")
    site = generate(Project.at(tmp_path), [], [], site_name="S", today=MON)
    assert "Hello." in site.pages["About.md"]
    assert "[the README](the-readme.md)" in site.pages["about-this-repo.md"]
    assert "## How to post" in site.pages["the-readme.md"]
    assert not [p for p in site.problems if "would replace" in p.reason]


def test_pages_that_list_posts_stay_out_of_search(tmp_path: Path) -> None:
    posts = [post(tmp_path, date(2024, 1, 1), "One", tags=("x",)),
             post(tmp_path, date(2024, 1, 2), "Two")]
    site = generate(Project.at(tmp_path), posts, [], site_name="S", today=date(2024, 1, 3))
    listings = ["index.md", "blog/index.md", "blog/archive/index.md", "blog/archive/2024/01.md",
                "blog/tags/index.md", "blog/tags/x.md"]
    for page in listings:
        front = site.pages[page].split("\n---\n", 1)[0]
        assert "search:\n  exclude: true" in front, page
    assert "exclude" not in site.pages["blog/2024/01/01/one.md"]


def test_roadmap_cards_show_title_status_headline_and_summary_as_text(tmp_path: Path) -> None:
    from dlip.publish.pages.home import Headline, roadmap

    xor, mnist = two_milestones(tmp_path)
    xor = Milestone(path=xor.path, number="000", slug="xor", title="XOR <script>x</script>",
                    status="in-progress", summary="Back*prop* <b>by hand</b>",
                    section="Basics")
    text = "\n".join(roadmap([(xor, "code/000_xor/index.md", Headline("solve_rate", "0.75")),
                              (mnist, "code/001_mnist/index.md", None)]))
    assert "[XOR &lt;script&gt;x&lt;/script&gt;](code/000_xor/index.md)" in text
    assert '<span class="dlip-status dlip-status-in-progress">In progress</span>' in text
    assert "<code>solve_rate</code> = **0.75**" in text
    assert "&lt;b&gt;by hand&lt;/b&gt;" in text and "<b>" not in text
    # a milestone without a section sits under its own heading, beside the named section
    assert "### Basics" in text and "### Other milestones" in text
    assert "| ---" not in text  # cards, not a table


def test_roadmap_without_sections_has_no_section_headings(tmp_path: Path) -> None:
    from dlip.publish.pages.home import roadmap

    rows = [(m, f"code/{m.name}/index.md", None) for m in two_milestones(tmp_path)]
    text = "\n".join(roadmap(rows))
    assert "###" not in text and text.count('class="dlip-milestone ') == 2
