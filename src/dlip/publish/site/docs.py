"""Put the generated pages under the docs folder, touching only what changed.

Only files whose content changed are written and what an earlier run generated but this
one did not is deleted, so MkDocs and the live-reload server see the smallest change. A
hand-written file in a docs/ folder the author also edits is never overwritten.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from dlip import atomic
from dlip.publish.discover.post_folders import post_folders
from dlip.publish.model import Problem
from dlip.publish.pages.generate import Site
from dlip.publish.pages.sources import Source
from dlip.publish.project import Project, is_inside

NAV_FILE = "nav.json"  # in the work dir: the hook reads it to set MkDocs' nav
MANIFEST_FILE = "generated.json"  # in the work dir: what the last run wrote
SOURCES_FILE = "sources.json"  # in the work dir: each page's file in the repo (edit links)
# Paths under a hand-written docs/ folder that belong to the generator (gitignored).
# A hand-written docs/index.md is the author's home page: kept, with a warning.
GENERATED_AREAS = ("blog/", "code/", "_generated/")


def write_site(project: Project, site: Site) -> tuple[int, int, int]:
    """Write changed pages, copy changed files, delete stale ones: (written, copied, deleted)."""
    docs = project.docs_dir
    docs.mkdir(parents=True, exist_ok=True)
    project.work_dir.mkdir(parents=True, exist_ok=True)
    manifest_path = project.work_dir / MANIFEST_FILE
    previous = _read_manifest(manifest_path)
    owns_everything = is_inside(docs, project.work_dir)
    # Posts the author keeps under docs/ (docs/blog/) are theirs, generated area or not.
    authored = [f for f in post_folders(project) if is_inside(f, docs)]
    written = copied = 0
    kept: list[str] = []
    for rel, text in site.pages.items():
        target = docs / rel
        if not _may_write(rel, target, previous, owns_everything, site.problems, authored):
            continue
        kept.append(rel)
        data = text.encode("utf-8")
        if target.is_file() and not target.is_symlink() and _same_bytes(target, data):
            continue
        atomic.write_bytes(target, data)
        written += 1
    for rel, source in site.copies.items():
        target = docs / rel
        if not _may_write(rel, target, previous, owns_everything, site.problems, authored):
            continue
        kept.append(rel)
        if _same_file(source, target):
            continue
        atomic.copy_file(source, target)
        copied += 1
    deleted = _delete_stale(docs, previous - set(kept))
    atomic.write_bytes(manifest_path, json.dumps(sorted(kept), indent=0).encode())
    atomic.write_bytes(project.work_dir / NAV_FILE, json.dumps(site.nav, indent=1).encode())
    sources = {page: source.to_json() for page, source in site.sources.items()}
    atomic.write_bytes(project.work_dir / SOURCES_FILE, json.dumps(sources, indent=0).encode())
    return written, copied, deleted


def read_nav(project: Project) -> list[Any] | None:
    path = project.work_dir / NAV_FILE
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def read_generated(project: Project) -> tuple[set[str], dict[str, Source]]:
    """What the last generation wrote, and each page's source in the repo (see SOURCES_FILE)."""
    manifest = _read_manifest(project.work_dir / MANIFEST_FILE)
    try:
        data = json.loads((project.work_dir / SOURCES_FILE).read_text(encoding="utf-8"))
        sources = {page: Source(**fields) for page, fields in data.items()}
    except (OSError, ValueError, TypeError, AttributeError):
        sources = {}
    return manifest, sources


def _may_write(rel: str, target: Path, previous: set[str], owns_everything: bool,
               problems: list[Problem], authored: list[Path] = ()) -> bool:
    """Never overwrite a hand-written file in a docs/ folder the author also edits."""
    if owns_everything or rel in previous or not (target.exists() or target.is_symlink()):
        return True
    if rel.startswith(GENERATED_AREAS) and not any(f in target.parents for f in authored):
        return True
    problems.append(Problem(target, "hand-written file is in the way of a generated page; "
                                    "left as it is", severity="warning"))
    return False


def _read_manifest(path: Path) -> set[str]:
    try:
        return set(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError, TypeError):
        return set()


def _same_bytes(path: Path, data: bytes) -> bool:
    try:
        return path.stat().st_size == len(data) and path.read_bytes() == data
    except OSError:
        return False


def _same_file(source: Path, target: Path) -> bool:
    try:
        a, b = source.stat(), target.stat()
    except OSError:
        return False
    return a.st_size == b.st_size and a.st_mtime_ns == b.st_mtime_ns and not target.is_symlink()


def _delete_stale(docs: Path, stale: set[str]) -> int:
    deleted = 0
    for rel in sorted(stale):
        path = docs / rel
        if path.is_file() or path.is_symlink():
            path.unlink()
            deleted += 1
        parent = path.parent
        while parent != docs and is_inside(parent, docs):
            try:
                parent.rmdir()  # only when empty
            except OSError:
                break
            parent = parent.parent
    return deleted
