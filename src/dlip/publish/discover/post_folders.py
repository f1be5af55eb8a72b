"""Where a repo keeps its posts, and the order its author wrote them in.

Learners keep posts in `daily-blog/`, and their repos move them: `blog/`, `posts/`,
`docs/blog/`, `docs/posts/`, with or without year folders. A folder is a posts folder when
it holds at least one post: a Markdown file named `YYYY-MM-DD - Title.md` or
`YYYY-MM-DD-title.md`, or one with a `date` in its front matter. Posts of one day keep the
order their author committed them in (git), else the order of their file names.
"""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Iterable
from pathlib import Path

from dlip.publish.model import Problem
from dlip.publish.project import POSTS_DIRNAME, Project

POST_FOLDERS = (POSTS_DIRNAME, "blog", "posts", "docs/blog", "docs/posts")
DATED_NAME_RE = re.compile(r"^(?P<date>\d{4}-\d{1,2}-\d{1,2})(?:$|[\s_-])")
DATE_FIELD_RE = re.compile(r"\A---[ \t]*\r?\n(?:(?!---|\.\.\.).*\r?\n)*?date\s*:", re.MULTILINE)
SKIPPED = frozenset({"node_modules", "__pycache__", "assets", "attachments", "images", "img"})
GIT_TIMEOUT_S = 20


def post_folders(project: Project) -> list[Path]:
    """The posts folders of the repo, in the order of POST_FOLDERS (daily-blog first)."""
    found = []
    for name in POST_FOLDERS:
        folder = project.root / name
        if folder.is_dir() and not folder.is_symlink() and any(_post_like(folder)):
            found.append(folder)
    if not found and project.posts_dir.is_dir():
        found.append(project.posts_dir)  # its files are still checked (and named if wrong)
    return found


def post_files(folder: Path) -> list[Path]:
    """The Markdown files of a posts folder and its subfolders (year folders), sorted."""
    return sorted(_markdown_files(folder))


def _markdown_files(folder: Path):
    """The Markdown files below `folder`, lazily, so a caller that needs one stops early."""
    for current, dirs, names in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith((".", "_")) and d not in SKIPPED
                         and not (Path(current) / d).is_symlink())
        for n in sorted(names):
            if n.lower().endswith(".md") and not n.startswith("."):
                yield Path(current) / n


def looks_dated(path: Path) -> bool:
    """True for a Markdown file named like a post (`2024-01-05 - Title.md`)."""
    return path.suffix.lower() == ".md" and DATED_NAME_RE.match(path.name) is not None


def has_date_field(path: Path) -> bool:
    """True when the file's front matter has a `date:` (Material's blog writes posts so)."""
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            head = f.read(4096)
    except OSError:
        return False
    return DATE_FIELD_RE.match(head) is not None


def dated_outside(notes: Iterable[Path], project: Project) -> list[Problem]:
    """A warning for each dated file found outside the posts folders: it is a note, not a post."""
    folders = " ".join(f"{name}/" for name in POST_FOLDERS)
    return [Problem(path, f"named like a post but outside the posts folders ({folders}); "
                          "published as a note, not as a post", severity="warning")
            for path in notes if looks_dated(path)]


def author_order(project: Project, paths: Iterable[Path]) -> dict[Path, int]:
    """For each file, the index of the commit that added it (renames followed, so posts that
    moved to `docs/blog/` keep their order); files git does not know are left out. Empty when
    the repo is not a git repository. One `git log` over the history of the whole repo."""
    paths = list(paths)
    if not paths or not (project.root / ".git").exists():
        return {}
    try:
        out = subprocess.run(
            ["git", "-c", "core.quotepath=off", "log", "--reverse", "-M", "--name-status",
             "--diff-filter=ACDR", "--format=%x01", "-z"],
            cwd=project.root, capture_output=True, timeout=GIT_TIMEOUT_S, check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return {}
    if out.returncode != 0:
        return {}
    added: dict[str, int] = {}
    commit = -1
    fields = out.stdout.decode("utf-8", errors="replace").split("\0")
    i = 0
    while i < len(fields):
        field = fields[i].strip("\n")
        if field.startswith("\x01"):
            commit += 1
            field = field[1:].strip("\n")
            if not field:
                i += 1
                continue
        status = field[:1]
        if status == "R" and i + 2 < len(fields):
            old, new = fields[i + 1], fields[i + 2]
            added[new] = added.pop(old, commit)
            i += 3
            continue
        if status in ("A", "M", "D", "C", "T") and i + 1 < len(fields):
            name = fields[i + 1]
            if status == "A" or status == "C":
                added.setdefault(name, commit)
            elif status == "D":
                added.pop(name, None)
            i += 2
            continue
        i += 1
    order = {}
    for path in paths:
        rel = path.relative_to(project.root).as_posix()
        if rel in added:
            order[path] = added[rel]
    return order


def _post_like(folder: Path):
    for path in _markdown_files(folder):
        if looks_dated(path) or has_date_field(path):
            yield path


def posts_source(project: Project, posts: Iterable[Path]) -> str:
    """Where the posts came from, for a summary line: `from docs/blog/`, or "" for none."""
    used = []
    for folder in post_folders(project):
        if any(folder in p.parents for p in posts):
            used.append(folder.relative_to(project.root).as_posix() + "/")
    return f"from {', '.join(used)}" if used else ""
