"""Crawl a built static site from its files: internal links that 404, and orphan pages.

A link is internal when it has no scheme and no host; it resolves against its page's URL
(`site/a/b/index.html` is `/a/b/`), and a folder URL needs an `index.html`. An orphan is an
HTML page no chain of links from `index.html` reaches (404.html and search pages aside).
Links in the nav count: they are how a reader reaches a page.
"""

from __future__ import annotations

import html.parser
import posixpath
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Crawl:
    pages: int = 0
    links: int = 0
    missing: dict[str, str] = field(default_factory=dict)  # target URL -> page linking it
    orphans: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return (f"pages {self.pages}, internal links {self.links}, 404 {len(self.missing)}, "
                f"orphans {len(self.orphans)}; 404: {list(self.missing.items())[:10]}; "
                f"orphans: {self.orphans[:10]}")


class _Links(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.hrefs: list[str] = []
        self.srcs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "a" and a.get("href"):
            self.hrefs.append(a["href"])
        if tag in ("img", "script", "source") and a.get("src"):
            self.srcs.append(a["src"])
        if tag == "link" and a.get("href") and a.get("rel") in ("stylesheet", "icon"):
            self.srcs.append(a["href"])


def crawl(site: Path) -> Crawl:
    """Every internal link of every page of `site`, checked against its files."""
    site = site.resolve()
    pages = {_page_url(site, f): f for f in site.rglob("*.html")}
    graph: dict[str, set[str]] = {}
    result = Crawl(pages=len(pages))
    for url, path in pages.items():
        parser = _Links()
        parser.feed(path.read_text(encoding="utf-8", errors="replace"))
        outs = set()
        for link in parser.hrefs + parser.srcs:
            target = _target(url, link)
            if target is None:
                continue
            result.links += 1
            if not _exists(site, target):
                result.missing.setdefault(target, url)
            elif link in parser.hrefs:
                folder = target.rstrip("/") + "/"
                outs.add(target if target in pages else folder if folder in pages else target)
        graph[url] = outs
    seen: set[str] = set()
    todo = ["/"]
    while todo:
        url = todo.pop()
        if url in seen or url not in graph:
            continue
        seen.add(url)
        todo.extend(graph[url])
    result.orphans = sorted(u for u in pages if u not in seen
                            and not u.endswith("404.html") and "/search" not in u)
    return result


def _page_url(site: Path, path: Path) -> str:
    rel = path.relative_to(site).as_posix()
    return "/" + (rel[: -len("index.html")] if rel.endswith("index.html") else rel)


def _target(base: str, link: str) -> str | None:
    parts = urllib.parse.urlsplit(link)
    if parts.scheme or parts.netloc or link.startswith("#") or not parts.path:
        return None
    path = urllib.parse.unquote(parts.path)
    start = base if base.endswith("/") else posixpath.dirname(base)
    full = path if path.startswith("/") else posixpath.normpath(posixpath.join(start, path))
    if path.endswith("/") and not full.endswith("/"):
        full += "/"
    return full


def _exists(site: Path, url: str) -> bool:
    path = site / url.lstrip("/")
    if url.endswith("/") or path.is_dir():
        return (path / "index.html").is_file()
    return path.is_file()
