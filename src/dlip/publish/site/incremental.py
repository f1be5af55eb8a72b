"""Edit-to-preview for `dlip serve`: a save that only edits posts regenerates only their pages.

`dlip serve` calls `update` before each rebuild (plain `mkdocs serve` calls `regenerate`
through the hook). The first call in a process generates everything and remembers the
site map it made, with the modification time of every file of the repo. Later calls
compare those times: when the only files that changed are published posts and their title,
date, tags, slug, summary and milestone are as they were, just those posts' pages are made
again from the remembered site map and written; anything else (a new post, a README, a
milestone, a rename) means a full generation. What an edited post changes elsewhere (its
excerpt on the blog index, the feed, the search index) is right again on the next full
build. Editors' swap and backup files are not looked at.

`update` says which pages it wrote, so `dlip serve` renders just those pages with the
MkDocs state it keeps between saves (`dlip.publish.site.live`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from dlip import atomic
from dlip.publish.model import Milestone, Problem
from dlip.publish.pages.generate import Site, regenerate_posts
from dlip.publish.project import Project

# Folders never read as sources at any depth (hidden ones are skipped too), and at the top
# level the build output, which changes on every generation (posts kept under docs/ aside).
SKIPPED_DIRS = frozenset({"venv", "node_modules", "__pycache__"})
SKIPPED_TOP = frozenset({"build"})


@dataclass
class _State:
    site: Site
    milestones: list[Milestone]
    mtimes: dict[str, int]
    inside_docs: list[str]  # the author's posts folders under docs/, found once


_STATE: dict[Path, _State] = {}  # per repo root, for the life of the `dlip serve` process


@dataclass
class Update:
    """What one `update` did."""

    problems: list[Problem]
    milestones: list[Milestone]
    written: list[str] | None  # docs-relative pages rewritten; None after a full generation


def regenerate(project: Project) -> tuple[list[Problem], list[Milestone], int | None]:
    """(problems, milestones, pages rewritten: None after a full generation)."""
    done = update(project)
    return done.problems, done.milestones, None if done.written is None else len(done.written)


def update(project: Project) -> Update:
    """Regenerate what changed since the last call in this process (everything the first
    time); the pages written are listed unless it was a full generation."""
    from dlip.publish.discover.inventory import discover
    from dlip.publish.site.build import generate_pages

    state = _STATE.get(project.root)
    inside_docs = state.inside_docs if state is not None else _posts_in_docs(project)
    now = snapshot(project, inside_docs)
    if state is not None:
        changed = [rel for rel, mtime in now.items() if state.mtimes.get(rel) != mtime]
        gone = state.mtimes.keys() - now.keys()
        if not gone:
            pages = (regenerate_posts(state.site, [project.root / rel for rel in changed])
                     if changed else {})
            if pages is not None:
                written = _write(project, pages)
                state.site.pages.update(pages)
                state.mtimes = now
                return Update([], state.milestones, written)
    inventory = discover(project)
    site = generate_pages(project, inventory)
    _STATE[project.root] = _State(site, inventory.milestones, now, inside_docs)
    return Update(site.problems, inventory.milestones, None)


def generated(project: Project) -> set[str]:
    """The docs-relative paths the last generation in this process made (empty before)."""
    state = _STATE.get(project.root)
    return set() if state is None else state.site.pages.keys() | state.site.copies.keys()


def milestones(project: Project) -> list[Milestone]:
    """The milestones found by the last generation in this process (none before)."""
    state = _STATE.get(project.root)
    return [] if state is None else state.milestones


def posts_in_docs(project: Project) -> list[str]:
    """The author's posts folders under docs/, as found by this process's first generation."""
    state = _STATE.get(project.root)
    return state.inside_docs if state is not None else _posts_in_docs(project)


def snapshot(project: Project, inside_docs: list[str] | None = None) -> dict[str, int]:
    """Modification time (ns) of every file of the repo outside build output and tooling;
    of docs/ only the author's posts folders (`inside_docs`, found here when not given)."""
    root = str(project.root)
    top = _skipped_top(project)
    times: dict[str, int] = {}
    if inside_docs is None:
        inside_docs = _posts_in_docs(project)
    for folder, dirs, files in _walk([root, *inside_docs]):
        dirs[:] = [d for d in dirs if not _skipped_dir(d) and not (folder == root and d in top)]
        rel_dir = os.path.relpath(folder, root)
        for name in files:
            if editor_scratch(name):
                continue
            try:
                stat = os.stat(os.path.join(folder, name))
            except OSError:
                continue
            rel = name if rel_dir == "." else f"{rel_dir}/{name}"
            times[rel.replace(os.sep, "/")] = stat.st_mtime_ns
    return times


def covers(project: Project, path: str) -> bool:
    """Whether `snapshot` sees the file at `path`, so that `update` judges a change to it
    (editors' scratch files count as seen: they never change the site)."""
    path, root = os.path.abspath(path), os.path.abspath(project.root)
    if editor_scratch(os.path.basename(path)):
        return True
    for folder in posts_in_docs(project):
        folder = os.path.abspath(folder)
        if path.startswith(folder + os.sep):
            return not any(_skipped_dir(d) for d in
                           os.path.relpath(path, folder).split(os.sep)[:-1])
    if not path.startswith(root.rstrip(os.sep) + os.sep):
        return False
    dirs = os.path.relpath(path, root).split(os.sep)[:-1]
    return not (dirs and dirs[0] in _skipped_top(project)) and \
        not any(_skipped_dir(d) for d in dirs)


def editor_scratch(name: str) -> bool:
    """Swap, backup and lock files editors write beside the file being edited (vim's
    `.post.md.swp` and `4913`, emacs' `#post.md#` and `.#post.md`, `post.md~`): a save
    that touches them still only edits the post."""
    return (name.startswith((".", "#")) or name.endswith(("~", ".swp", ".swo", ".swx"))
            or name == "4913")


def _skipped_dir(name: str) -> bool:
    return name in SKIPPED_DIRS or name.startswith(".")


def _skipped_top(project: Project) -> set[str]:
    return SKIPPED_TOP | {project.docs_dir.name, project.site_dir.name}


def _posts_in_docs(project: Project) -> list[str]:
    from dlip.publish.discover.post_folders import post_folders

    return [str(f) for f in post_folders(project) if project.docs_dir in f.resolve().parents]


def _walk(roots: list[str]):
    for root in roots:
        yield from os.walk(root)


def _write(project: Project, pages: dict[str, str]) -> list[str]:
    written = []
    for rel, text in pages.items():
        target = project.docs_dir / rel
        data = text.encode("utf-8")
        try:
            if target.read_bytes() == data:
                continue
        except OSError:
            pass
        atomic.write_bytes(target, data)
        written.append(rel)
    return written
