"""The Atom feed of the latest posts, written as a static file beside the blog pages."""

from __future__ import annotations

import posixpath
import re
from datetime import date, datetime, time, timezone
from urllib.parse import quote
from xml.sax.saxutils import escape

from dlip.publish.discover.posts import excerpt, post_url_path
from dlip.publish.model import Post
from dlip.publish.pages.links import page_url, relative_path

# Docs-relative. At the site root on purpose: Material fetches `sitemap.xml` beside every
# `<link rel="alternate">` href, and only the root has one (elsewhere: a 404 on each page).
FEED_PATH = "feed.xml"
FEED_ENTRIES = 50


def atom_feed(posts: list[Post], site_name: str, site_url: str | None) -> str:
    """Atom XML for the newest `FEED_ENTRIES` posts (newest first).

    With a `site_url` every link is absolute; without one, links are relative to the feed's
    own location, which readers resolve against the URL they fetched it from.
    """
    newest = list(reversed(posts))[:FEED_ENTRIES]  # posts come oldest first, in the author's order
    base = (site_url.rstrip("/") + "/") if site_url else None
    updated = _timestamp(newest[0].date) if newest else _timestamp(date(1970, 1, 1))
    lines = [
        '<?xml version="1.0" encoding="utf-8"?>',
        '<feed xmlns="http://www.w3.org/2005/Atom">',
        f"  <title>{escape(site_name)}</title>",
        f"  <id>{escape(_id(base, 'blog/'))}</id>",
        f"  <updated>{updated}</updated>",
        f'  <link rel="alternate" type="text/html" href="{escape(_href(base, "blog/"))}"/>',
        f'  <link rel="self" type="application/atom+xml" href="{escape(_href(base, FEED_PATH))}"/>',
        f"  <author><name>{escape(site_name)}</name></author>",
    ]
    for post in newest:
        url = page_url(post_url_path(post))
        lines += [
            "  <entry>",
            f"    <title>{escape(post.title)}</title>",
            f"    <id>{escape(_id(base, url))}</id>",
            f'    <link rel="alternate" type="text/html" href="{escape(_href(base, url))}"/>',
            f"    <published>{_timestamp(post.date)}</published>",
            f"    <updated>{_timestamp(post.date)}</updated>",
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
