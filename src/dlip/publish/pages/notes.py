"""Where a note is published: at its own repo path, a folder's README as that folder's index.

So `notes/attention.md` is `notes/attention/` on the site.
"""

from __future__ import annotations

from pathlib import Path

from dlip.publish.project import Project


def note_page_path(project: Project, path: Path) -> str:
    """The docs path: the repo path, with README.md standing for the folder's index."""
    rel = path.relative_to(project.root).as_posix()
    folder, _, name = rel.rpartition("/")
    if name.lower() in ("readme.md", "index.md"):
        return f"{folder}/index.md" if folder else "readme.md"
    return rel
