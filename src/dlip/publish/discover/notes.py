"""Markdown files outside posts and milestones (a `notes/` folder, top-level guides).

`pages.notes` decides where each is published.
"""

from __future__ import annotations

import os
from pathlib import Path

from dlip.publish.discover.milestones import first_heading
from dlip.publish.project import Project

# Folder names never searched for notes: tooling, build output, environments, caches.
SKIPPED_DIRS = frozenset({
    "node_modules", "__pycache__", "site", "build", "dist", "results", "results-local",
    "venv", "env",
})


def discover_notes(project: Project, milestone_dirs: set[Path]) -> list[Path]:
    """Markdown files that are neither posts nor milestone READMEs, and notebooks outside
    milestones, in a stable order."""
    root = project.root
    skip = {project.posts_dir, project.work_dir, project.site_dir}
    if project.user_mkdocs_yml is not None:
        skip.add(project.docs_dir)
    found = []
    for current, dirs, files in os.walk(root):
        here = Path(current)
        dirs[:] = sorted(
            d for d in dirs
            if not d.startswith((".", "_"))
            and d not in SKIPPED_DIRS
            and not d.endswith(".egg-info")
            and here / d not in skip
            and not (here / d / "pyvenv.cfg").exists()
            and not (here / d).is_symlink()
        )
        in_milestone = any(here == m or m in here.parents for m in milestone_dirs)
        for name in sorted(files):
            lower = name.lower()
            if name.startswith(".") or not lower.endswith((".md", ".ipynb")):
                continue
            path = here / name
            if path.is_symlink():
                continue
            if lower.endswith(".ipynb") and in_milestone:
                continue  # the milestone page publishes its notebooks
            if here == root and name.lower() == "readme.md":
                continue  # the home page
            if here in milestone_dirs and name.lower() == "readme.md":
                continue  # the milestone page
            found.append(path)
    return found


def note_title(path: Path) -> str:
    """The first `# ` heading, else the file name without its extension."""
    if path.suffix.lower() == ".ipynb":
        return _notebook_title(path)
    return first_heading(path) or path.stem.replace("_", " ").replace("-", " ")


def _notebook_title(path: Path) -> str:
    import json

    try:
        cells = json.loads(path.read_text(encoding="utf-8")).get("cells", [])
        for cell in cells:
            if cell.get("cell_type") == "markdown":
                source = "".join(cell.get("source", []))
                for line in source.splitlines():
                    if line.startswith("# "):
                        return line[2:].strip() or path.stem
    except (OSError, ValueError, AttributeError):
        pass
    return path.stem.replace("_", " ").replace("-", " ")
