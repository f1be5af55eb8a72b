"""Which file in the repo each generated page comes from, for its edit and source links.

A post's page is edited in the post's file, a milestone's page in the milestone's
README.md (its source is the whole folder), a note's page in the note. Pages made from
nothing an author wrote (the blog index, archives, tags) have no file to edit.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

from dlip.publish.pages.links import SiteMap, split_anchor


@dataclass(frozen=True)
class Source:
    """Repo-relative POSIX paths: the file to edit (if any) and what to show as source."""

    edit: str | None
    view: str
    view_is_folder: bool

    def to_json(self) -> dict[str, object]:
        return asdict(self)


def page_sources(sitemap: SiteMap) -> dict[str, Source]:
    """docs-relative page -> its source, from the site map's repo path -> page entries.

    An anchored entry (a file shown inside a milestone page) is not the page's source;
    the repo root is never offered as one (the header already links the repo).
    """
    files: dict[str, list[str]] = {}
    folders: dict[str, list[str]] = {}
    for repo_rel, docs_rel in sitemap.pages.items():
        page, anchor = split_anchor(docs_rel)
        if anchor or repo_rel == "." or not page.lower().endswith((".md", ".ipynb")):
            continue
        path = sitemap.root / repo_rel
        if path.is_file():
            files.setdefault(page, []).append(repo_rel)
        elif path.is_dir():
            folders.setdefault(page, []).append(repo_rel)
    sources: dict[str, Source] = {}
    for page in sorted(set(files) | set(folders)):
        edit = _preferred(files.get(page, []))
        folder = min(folders[page], key=_shallow) if page in folders else None
        if folder is not None:
            sources[page] = Source(edit, folder, True)
        elif edit is not None:
            sources[page] = Source(edit, edit, False)
    return sources


def _preferred(candidates: list[str]) -> str | None:
    """The file an author would open: a README over other names, then the shortest path."""
    if not candidates:
        return None
    return min(candidates, key=lambda rel: (Path(rel).stem.lower() != "readme", _shallow(rel)))


def _shallow(rel: str) -> tuple[int, str]:
    return rel.count("/"), rel
