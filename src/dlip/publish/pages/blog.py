"""The blog, generated as plain Markdown pages: posts, paginated index, archive, tags.

Material's blog plugin grows quadratically with the number of posts (DESIGN.md), and a
nav listing every post makes each page carry the whole list. So posts stay out of the
nav: readers reach them from the index, archive and tag pages, and every page is built
once, keeping the site linear in posts.
"""

from __future__ import annotations

import calendar
import html
import json
import posixpath
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from urllib.parse import quote

from dlip.publish.discover.posts import excerpt, post_url_path, read_minutes, slugify
from dlip.publish.markdown import escape_md
from dlip.publish.model import Milestone, Post, Problem, Severity
from dlip.publish.pages.feed import FEED_PATH, plain_text
from dlip.publish.pages.links import LinkRewriter, SiteMap, relative_path
from dlip.publish.pages.streak import compute_streak, month_grid_html

PER_PAGE = 10
BLOG_INDEX = "blog/index.md"
ARCHIVE_INDEX = "blog/archive/index.md"
TAGS_INDEX = "blog/tags/index.md"
SEARCH_EXCLUDE = ["search:", "  exclude: true"]  # front matter Material's search obeys


def index_page_path(number: int) -> str:
    return BLOG_INDEX if number == 1 else f"blog/page/{number}.md"


def archive_month_path(year: int, month: int) -> str:
    return f"blog/archive/{year:04d}/{month:02d}.md"


def tag_page_path(tag: str) -> str:
    return f"blog/tags/{slugify(tag) or 'tag'}.md"


def rel(from_page: str, to_page: str) -> str:
    """A Markdown link target from one docs page to another, its `#` and spaces escaped."""
    return quote(relative_path(to_page, posixpath.dirname(from_page)), safe="/-_.~")


def long_date(day: date) -> str:
    weekday, month = calendar.day_name[day.weekday()], calendar.month_name[day.month]
    return f"{weekday}, {day.day} {month} {day.year}"


def post_pages(
    posts: list[Post],
    sitemap: SiteMap,
    refs: dict[Path, list[MilestoneRef]],
    problems: list[Problem],
    severity: Severity,
    milestones: list[MilestoneRef],
) -> dict[str, str]:
    """One page per post.

    `refs` holds the milestones each post names in its front matter; the milestones it
    links to (their folder, a file in it, a result) are added to it here, so each post page
    and each milestone page can point at the other.
    """
    pages = {}
    for i, post in enumerate(posts):
        page = post_url_path(post)
        targets: set[str] = set()
        rewriter = LinkRewriter(sitemap, post.path, page, problems, severity, targets.add)
        body = rewriter.rewrite(post.body)
        about = list(refs.get(post.path, []))
        about += [m for m in milestones if m not in about and m.links_here(targets)]
        if about:
            refs[post.path] = about
        lines = _front_matter(post.title, plain_text(excerpt(post)))
        lines += [f"# {escape_md(post.title)}", "", meta_line(post, page, refs), ""]
        lines += [body.rstrip(), "", "---", ""]
        older = posts[i - 1] if i > 0 else None
        newer = posts[i + 1] if i + 1 < len(posts) else None
        nav = []
        if older is not None:
            nav.append(f"[← {escape_md(older.title)}]({rel(page, post_url_path(older))})")
        if newer is not None:
            nav.append(f"[{escape_md(newer.title)} →]({rel(page, post_url_path(newer))})")
        if nav:
            lines += [" · ".join(nav), ""]
        lines += [f"[All posts]({rel(page, BLOG_INDEX)}) · "
                  f"[Archive]({rel(page, ARCHIVE_INDEX)}) · [Tags]({rel(page, TAGS_INDEX)})", ""]
        pages[page] = "\n".join(lines)
    return pages


@dataclass(frozen=True)
class MilestoneRef:
    """A milestone a post talks about, as its page shows it."""

    label: str
    page: str  # docs-relative path of the milestone's page: `code/000_x/index.md`

    def links_here(self, targets: set[str]) -> bool:
        """True when one of these docs paths is the milestone's page or a file beside it."""
        folder = posixpath.dirname(self.page) + "/"
        return any(t == self.page or t.startswith(folder) for t in targets)


def milestone_label(m: Milestone) -> str:
    return f"{m.number} · {m.title}"


def meta_line(post: Post, page: str, refs: dict[Path, list[MilestoneRef]]) -> str:
    """Date, reading time, tags and milestones of a post, as one Markdown line."""
    parts = [f"*{long_date(post.date)}*", f"{read_minutes(post)} min read"]
    if post.tags:
        tags = ", ".join(f"[{escape_md(t)}]({rel(page, tag_page_path(t))})" for t in post.tags)
        parts.append(f"Tags: {tags}")
    about = refs.get(post.path, [])
    if about:
        links = ", ".join(f"[{escape_md(r.label)}]({rel(page, r.page)})" for r in about)
        parts.append(f"Milestone{'s' if len(about) > 1 else ''}: {links}")
    return " · ".join(parts)


def index_pages(
    posts: list[Post],
    sitemap: SiteMap,
    refs: dict[Path, list[MilestoneRef]],
    today: date,
) -> dict[str, str]:
    """The blog index, `PER_PAGE` posts a page, newest first; page one has the streak."""
    newest = list(reversed(posts))
    chunks = [newest[i:i + PER_PAGE] for i in range(0, len(newest), PER_PAGE)] or [[]]
    pages = {}
    for number, chunk in enumerate(chunks, start=1):
        page = index_page_path(number)
        lines = _front_matter("Blog", None, listing=True)
        lines += ["# Blog" if number == 1 else f"# Blog, page {number}", ""]
        if number == 1:
            lines += streak_block(posts, today)
            lines += [f"[Atom feed]({rel(page, FEED_PATH)}) · [Archive]({rel(page, ARCHIVE_INDEX)})"
                      f" · [Tags]({rel(page, TAGS_INDEX)})", ""]
        for post in chunk:
            lines += post_summary(post, page, sitemap, refs)
        lines += _pager(page, number, len(chunks))
        pages[page] = "\n".join(lines)
    return pages


def post_summary(
    post: Post, page: str, sitemap: SiteMap, refs: dict[Path, list[MilestoneRef]]
) -> list[str]:
    """A post's title, meta line and excerpt, as listed on the index."""
    target = rel(page, post_url_path(post))
    quiet: list[Problem] = []  # the post's own page reports its broken links
    text = LinkRewriter(sitemap, post.path, page, quiet, embeds=False).rewrite(excerpt(post))
    return [
        f"## [{escape_md(post.title)}]({target})",
        "",
        meta_line(post, page, refs),
        "",
        text.strip(),
        "",
        f"[Continue reading]({target})",
        "",
    ]


def streak_block(posts: list[Post], today: date) -> list[str]:
    days = [p.date for p in posts]
    s = compute_streak(days, today)
    return [
        f'<div class="dlip-streak" markdown="0"><p class="dlip-streak-numbers">'
        f"Current streak: <strong>{s.current}</strong> {_days(s.current)} · "
        f"Longest: <strong>{s.longest}</strong> {_days(s.longest)} · "
        f"{len(posts)} {'post' if len(posts) == 1 else 'posts'}. Sundays are rest days.</p>",
        month_grid_html(days, today),
        "</div>",
        "",
    ]


def archive_pages(posts: list[Post]) -> dict[str, str]:
    """The archive: years and months with their counts, and one page per month."""
    by_month: dict[tuple[int, int], list[Post]] = defaultdict(list)
    for post in posts:
        by_month[(post.date.year, post.date.month)].append(post)
    pages = {}
    lines = _front_matter("Archive", None, listing=True) + ["# Archive", ""]
    if not posts:
        lines += ["No posts yet.", ""]
    year = None
    for (y, m) in sorted(by_month, reverse=True):
        if y != year:
            lines += [f"## {y}", ""]
            year = y
        month_posts = by_month[(y, m)]
        page = archive_month_path(y, m)
        name = f"{calendar.month_name[m]} {y}"
        count = len(month_posts)
        lines.append(f"- [{name}]({rel(ARCHIVE_INDEX, page)}) ({count} "
                     f"{'post' if count == 1 else 'posts'})")
        body = _front_matter(name, None, listing=True) + [f"# {name}", ""]
        body += _post_list(page, month_posts)  # oldest first, in the author's order
        body += [f"[Archive]({rel(page, ARCHIVE_INDEX)})", ""]
        pages[page] = "\n".join(body)
    pages[ARCHIVE_INDEX] = "\n".join(lines + [""])
    return pages


def tag_pages(posts: list[Post]) -> dict[str, str]:
    """One page per tag, and the list of tags with their counts."""
    by_tag: dict[str, list[Post]] = defaultdict(list)
    by_slug: dict[str, str] = {}
    for post in posts:
        for tag in post.tags:
            key = slugify(tag) or "tag"
            name = by_slug.setdefault(key, tag)  # tags differing only in case share a page
            by_tag[name].append(post)
    pages = {}
    lines = _front_matter("Tags", None, listing=True) + ["# Tags", ""]
    if not by_tag:
        lines += ["No tags yet. Add `tags: [a, b]` to a post's front matter.", ""]
    for tag in sorted(by_tag, key=str.lower):
        page = tag_page_path(tag)
        tagged = list(reversed(by_tag[tag]))  # newest first, same-day posts in reverse order
        lines.append(f"- [{escape_md(tag)}]({rel(TAGS_INDEX, page)}) ({len(tagged)})")
        body = _front_matter(f"Tag: {tag}", None, listing=True)
        body += [f"# Tag: {escape_md(tag)}", ""]
        body += _post_list(page, tagged) + [f"[All tags]({rel(page, TAGS_INDEX)})", ""]
        pages[page] = "\n".join(body)
    pages[TAGS_INDEX] = "\n".join(lines + [""])
    return pages


def _post_list(page: str, posts: list[Post]) -> list[str]:
    lines = [f"- {p.date.isoformat()} · [{escape_md(p.title)}]({rel(page, post_url_path(p))})"
             for p in posts]
    return lines + [""]


def _pager(page: str, number: int, total: int) -> list[str]:
    links = []
    if number > 1:
        links.append(f"[← Newer posts]({rel(page, index_page_path(number - 1))})")
    if number < total:
        links.append(f"[Older posts →]({rel(page, index_page_path(number + 1))})")
    if not links:
        return []
    return ["---", "", " · ".join(links) + f" (page {number} of {total})", ""]


def _front_matter(title: str, description: str | None, listing: bool = False) -> list[str]:
    """MkDocs page metadata. Themes put it into <title> and <meta> unescaped: escape it here.

    A `listing` (index, archive, tags) repeats what its posts say: search skips it, so a
    word finds the post once, not the post and every page that lists it.
    """
    lines = ["---", f"title: {yaml_text(title)}"]
    if description:
        lines.append(f"description: {yaml_text(' '.join(description.split())[:300])}")
    if listing:
        lines += SEARCH_EXCLUDE
    return lines + ["---", ""]


def yaml_text(text: str) -> str:
    """A YAML string holding HTML-escaped text (JSON strings are valid YAML)."""
    return json.dumps(html.escape(" ".join(text.split())), ensure_ascii=False)


def _days(n: int) -> str:
    return "day" if n == 1 else "days"

