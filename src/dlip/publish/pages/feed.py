"""The Atom feed of the latest posts, written as a static file beside the blog pages."""

from __future__ import annotations

import posixpath
import re
import subprocess
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path
from urllib.parse import quote
from xml.sax.saxutils import escape

from dlip.publish.discover.posts import excerpt, post_url_path
from dlip.publish.model import Post
from dlip.publish.pages.links import page_url, relative_path

# Docs-relative. At the site root on purpose: Material fetches `sitemap.xml` beside every
# `<link rel="alternate">` href, and only the root has one (elsewhere: a 404 on each page).
FEED_PATH = "feed.xml"
FEED_ENTRIES = 50


def atom_feed(posts: list[Post], site_name: str, site_url: str | None,
              root: Path | None = None, author: str | None = None) -> str:
    """Atom XML for the newest `FEED_ENTRIES` posts (newest first).

    With a `site_url` every link is absolute; without one, links are relative to the feed's
    own location, which readers resolve against the URL they fetched it from. With the repo
    `root`, times come from git (`post_times`); without it, each post's day.
    """
    newest = list(reversed(posts))[:FEED_ENTRIES]  # posts come oldest first, in the author's order
    base = (site_url.rstrip("/") + "/") if site_url else None
    times = post_times(posts, root)
    stamps = {post.path: times.get(post.path, (_midnight(post.date),) * 2) for post in newest}
    updated = (_iso(max(u for _, u in stamps.values())) if newest
               else _timestamp(date(1970, 1, 1)))
    lines = [
        '<?xml version="1.0" encoding="utf-8"?>',
        '<feed xmlns="http://www.w3.org/2005/Atom">',
        f"  <title>{escape(site_name)}</title>",
        f"  <id>{escape(_id(base, 'blog/'))}</id>",
        f"  <updated>{updated}</updated>",
        f'  <link rel="alternate" type="text/html" href="{escape(_href(base, "blog/"))}"/>',
        f'  <link rel="self" type="application/atom+xml" href="{escape(_href(base, FEED_PATH))}"/>',
        f"  <author><name>{escape(author or site_name)}</name></author>",
    ]
    for post in newest:
        url = page_url(post_url_path(post))
        lines += [
            "  <entry>",
            f"    <title>{escape(post.title)}</title>",
            f"    <id>{escape(_id(base, url))}</id>",
            f'    <link rel="alternate" type="text/html" href="{escape(_href(base, url))}"/>',
            f"    <published>{_iso(stamps[post.path][0])}</published>",
            f"    <updated>{_iso(stamps[post.path][1])}</updated>",
            *[f'    <category term="{escape(t, {chr(34): "&quot;"})}"/>' for t in post.tags],
            f'    <summary type="text">{escape(plain_text(excerpt(post)))}</summary>',
            "  </entry>",
        ]
    lines.append("</feed>")
    return "\n".join(lines) + "\n"


def _href(base: str | None, url: str) -> str:
    path = quote(url, safe="/-_.~")
    if base:
        return base + path
    # relative to the feed's own location
    return relative_path(path, posixpath.dirname(FEED_PATH)) if path else "./"


def _id(base: str | None, url: str) -> str:
    if base:
        return base + quote(url, safe="/-_.~")
    return "urn:dlip:" + quote(url.strip("/") or "home", safe="/-_.~")


def post_times(posts: list[Post], root: Path | None) -> dict[Path, tuple[datetime, datetime]]:
    """(published, updated) of each post, in UTC.

    Published: the post's day at the time of the commit that added it when that commit is
    of the same day, else the start of the day; same-day posts keep the author's order (one
    second apart at least). Updated: the last commit that changed the file, or its
    modification time while it has changes git has not seen; never before published.
    One `git log` and one `git status` over the posts' folders.
    """
    if not posts:
        return {}
    folders = {p.path.parent for p in posts}
    added, changed, dirty = _git_times(root, folders) if root else ({}, {}, None)
    times: dict[Path, tuple[datetime, datetime]] = {}
    previous: datetime | None = None
    for post in posts:
        start = _midnight(post.date)
        when = added.get(post.path)
        published = when if when is not None and when.date() == post.date else start
        if previous is not None and previous.date() == post.date and published <= previous:
            published = previous + timedelta(seconds=1)
        previous = published
        last = changed.get(post.path)
        if dirty is None or post.path in dirty or last is None:
            try:
                last = datetime.fromtimestamp(post.path.stat().st_mtime, timezone.utc)
            except OSError:
                last = None
        updated = max(published, last.replace(microsecond=0)) if last else published
        times[post.path] = (published, updated)
    return times


def _git_times(root: Path, folders: set[Path]) -> tuple[dict[Path, datetime],
                                                         dict[Path, datetime], set[Path] | None]:
    """(first commit time, last commit time, files with changes git has not seen) of the files
    under `folders`; the last is None outside a git repository."""
    if not (root / ".git").exists():
        return {}, {}, None
    rels = sorted({f.relative_to(root).as_posix() or "."
                   for f in folders if f.is_relative_to(root)})
    try:
        log = subprocess.run(["git", "-c", "core.quotepath=off", "log", "--format=%x01%at",
                              "--name-only", "-z", "--", *rels],
                             cwd=root, capture_output=True, timeout=60, check=False)
        status = subprocess.run(["git", "-c", "core.quotepath=off", "status", "--porcelain",
                                 "-z", "--untracked-files=all", "--", *rels],
                                cwd=root, capture_output=True, timeout=60, check=False)
    except (OSError, subprocess.SubprocessError):
        return {}, {}, None
    if log.returncode != 0 or status.returncode != 0:
        return {}, {}, None
    added: dict[Path, datetime] = {}
    changed: dict[Path, datetime] = {}
    when: datetime | None = None
    for field in log.stdout.decode("utf-8", errors="replace").split("\0"):
        field = field.strip("\n")
        if field.startswith("\x01"):
            stamp, _, field = field[1:].partition("\n")
            when = datetime.fromtimestamp(int(stamp), timezone.utc)
        if field and when is not None:
            path = root / field
            changed.setdefault(path, when)  # newest first
            added[path] = when
    dirty = {root / entry[3:] for entry in status.stdout.decode("utf-8", errors="replace")
             .split("\0") if len(entry) > 3}
    return added, changed, dirty


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(0, 0), tzinfo=timezone.utc)


def _iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")


def _timestamp(day: date) -> str:
    return datetime.combine(day, time(0, 0), tzinfo=timezone.utc).isoformat().replace(
        "+00:00", "Z"
    )


def plain_text(markdown: str) -> str:
    """Markdown reduced to readable text: links keep their words, markup goes."""
    # No bracket or parenthesis inside the parts: a long line of `[[` stays linear.
    text = re.sub(r"!\[[^\[\]\n]*\]\([^()\n]*\)", "", markdown)
    text = re.sub(r"\[([^\[\]\n]*)\]\([^()\n]*\)", r"\1", text)
    text = re.sub(r"\[\[(?:[^\[\]|\n]*\|)?([^\[\]\n]*)\]\]", r"\1", text)
    text = re.sub(r"<[^<>]+>", "", text)
    text = re.sub(r"[*_`]+", "", text)
    return re.sub(r"\s+", " ", text).strip()
