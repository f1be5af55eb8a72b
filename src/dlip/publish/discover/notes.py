"""Markdown notes and notebooks outside posts and milestones, and what a repo keeps out.

Everything the author wrote for readers is a note: a `notes/` tree, guides at the top,
notebooks in folders of their own. Tooling files are not: instructions for coding
assistants (`AGENTS.md`, `CLAUDE.md`, `.github/`, `*.prompt.md`), `LICENSE`. A repo may
say more in `dlip.yml` or in `[tool.dlip]` of its `pyproject.toml`:

    include: ["AGENTS.md"]          # globs, relative to the repo: published after all
    exclude: ["drafts/**", "*.tmp.md"]

`pages.notes` decides where each note is published.
"""

from __future__ import annotations

import fnmatch
import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10: [tool.dlip] needs 3.11; dlip.yml works anywhere
    tomllib = None  # type: ignore[assignment]

from dlip.publish.discover.milestones import GENERIC_HEADING_RE, first_heading
from dlip.publish.discover.post_folders import post_folders
from dlip.publish.model import Problem
from dlip.publish.project import Project

# Folder names never searched for notes: tooling, build output, environments, caches.
SKIPPED_DIRS = frozenset({
    "node_modules", "__pycache__", "site", "build", "dist", "results", "results-local",
    "venv", "env",
})
# Files for tools, not for readers (matched case-insensitively, by name).
TOOLING_FILES = (
    "agents.md", "claude.md", "gemini.md", "codex.md", "copilot-instructions.md",
    "conventions.md", "*.prompt.md", "*.instructions.md", "*.chatmode.md", "license",
    "license.md", "license.txt", "licence", "licence.md", "copying", "copying.md",
)
CONFIG_FILE = "dlip.yml"


@dataclass
class NotesConfig:
    """What the repo asks for beyond the defaults (`dlip.yml` or `[tool.dlip]`)."""

    include: list[str] = field(default_factory=list)
    exclude: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    def excluded(self, rel: str) -> bool:
        return _matches(rel, self.exclude)

    def included(self, rel: str) -> bool:
        return _matches(rel, self.include)


def read_notes_config(project: Project) -> NotesConfig:
    """`include`/`exclude` from `dlip.yml`, else from `[tool.dlip]`; problems named by file."""
    config = NotesConfig()
    yml = project.root / CONFIG_FILE
    data: object = None
    source = yml
    if yml.is_file():
        try:
            data = yaml.safe_load(yml.read_text(encoding="utf-8")) or {}
        except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
            first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            config.problems.append(Problem(yml, f"unreadable: {first}"))
            return config
    else:
        source = project.root / "pyproject.toml"
        if not source.is_file() or tomllib is None:
            return config
        try:
            data = tomllib.loads(source.read_text(encoding="utf-8")).get("tool", {}).get("dlip")
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
            return config  # a broken pyproject.toml is the build tool's to report
        if data is None:
            return config
    if not isinstance(data, dict):
        config.problems.append(Problem(source, "must be a mapping with include:/exclude: lists"))
        return config
    for name in ("include", "exclude"):
        value = data.get(name, [])
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            config.problems.append(Problem(source, f"{name}: must be a list of globs like "
                                                   f"['drafts/**'], not {value!r}"))
            continue
        setattr(config, name, [v.strip().lstrip("/") for v in value if v.strip()])
    return config


def is_tooling(rel: str) -> bool:
    """True for files meant for tools, not readers: assistant prompts, licences, `.github/`."""
    parts = rel.split("/")
    if any(p.startswith(".") for p in parts):
        return True
    name = parts[-1].lower()
    return any(fnmatch.fnmatchcase(name, pattern) for pattern in TOOLING_FILES)


def discover_notes(project: Project, milestone_dirs: set[Path],
                   config: NotesConfig | None = None) -> list[Path]:
    """Markdown files that are neither posts nor milestone READMEs, and notebooks outside
    milestones, in a stable order (each folder's files, then its subfolders)."""
    root = project.root
    config = config or read_notes_config(project)
    skip = {project.work_dir, project.site_dir, *post_folders(project)}
    if project.user_mkdocs_yml is not None:
        skip.add(project.docs_dir)
    found = []
    for current, dirs, files in os.walk(root):
        here = Path(current)
        dirs[:] = sorted(
            d for d in dirs
            if (not d.startswith((".", "_")) or config.included(_rel(root, here / d) + "/"))
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
            rel = _rel(root, path)
            if path.is_symlink():
                continue
            if lower.endswith(".ipynb") and in_milestone:
                continue  # the milestone page publishes its notebooks
            if here == root and lower == "readme.md":
                continue  # the home page
            if here in milestone_dirs and lower == "readme.md":
                continue  # the milestone page
            if config.excluded(rel) or (is_tooling(rel) and not config.included(rel)):
                continue
            found.append(path)
    return found


def note_title(path: Path) -> str:
    """The first `# ` heading unless it says nothing ("README"), else a title from the name;
    a folder's README is titled after the folder."""
    if path.suffix.lower() == ".ipynb":
        return _notebook_title(path)
    heading = first_heading(path)
    if heading and not GENERIC_HEADING_RE.match(heading):
        return heading
    if path.stem.lower() in ("readme", "index"):
        return folder_title(path.parent)
    return name_title(path.stem)


def folder_title(folder: Path) -> str:
    """A folder's title: its README's heading, unless generic, else its name as written."""
    for name in ("README.md", "readme.md", "Readme.md", "README.MD", "index.md"):
        readme = folder / name
        if readme.is_file():
            heading = first_heading(readme)
            if heading and not GENERIC_HEADING_RE.match(heading):
                return heading
            break
    return name_title(folder.name)


def name_title(name: str) -> str:
    """`LLMs-from-scratch_book` -> "LLMs from scratch book": words as written, the first
    letter raised only when it was lower case."""
    words = " ".join(re.sub(r"[-_]+", " ", name).split())
    return words[:1].upper() + words[1:] if words else name


def _notebook_title(path: Path) -> str:
    try:
        cells = json.loads(path.read_text(encoding="utf-8")).get("cells", [])
        for cell in cells:
            if cell.get("cell_type") == "markdown":
                source = cell.get("source", [])
                source = "".join(source) if isinstance(source, list) else str(source)
                for line in source.splitlines():
                    if line.startswith("# "):
                        heading = line[2:].strip().strip("#").strip()
                        if heading and not GENERIC_HEADING_RE.match(heading):
                            return heading
    except (OSError, ValueError, AttributeError):
        pass
    return name_title(path.stem)


def _matches(rel: str, patterns: list[str]) -> bool:
    for pattern in patterns:
        if fnmatch.fnmatchcase(rel, pattern) or fnmatch.fnmatchcase(rel, pattern.rstrip("/")):
            return True
        if pattern.endswith("/**") and (rel + "/").startswith(pattern[:-2]):
            return True
        if "/" not in pattern and fnmatch.fnmatchcase(rel.rsplit("/", 1)[-1], pattern):
            return True
    return False


def _rel(root: Path, path: Path) -> str:
    return path.relative_to(root).as_posix()
