"""MkDocs hook: plain `mkdocs build` / `mkdocs serve` regenerate the pages first.

Listed under `hooks:` in mkdocs.yml. On every build it regenerates the Markdown pages
(unless `dlip build` already did, which it says through `DLIP_PAGES_READY`), sets the nav,
makes sure the Markdown extensions the pages rely on are on, and asks `mkdocs serve` to
watch the posts and milestone folders so editing a post rebuilds the site.
"""

from __future__ import annotations

import logging
import os
import re
from pathlib import Path
from typing import TYPE_CHECKING

from dlip.publish.model import Milestone
from dlip.publish.pages.feed import FEED_PATH
from dlip.publish.pages.math import with_math
from dlip.publish.project import WORK_DIRNAME, Project

if TYPE_CHECKING:
    from dlip.publish.site.edit_links import PageLinker

log = logging.getLogger("dlip")  # not under "mkdocs": strict mode does not count these
_EMPTY_SCRIPT = re.compile(r'<script src="">\s*</script>')


def project_for(config_file: str | os.PathLike[str] | None) -> Project:
    """The repo a config belongs to: its folder, or the repo above a generated `.dlip/`."""
    folder = Path(config_file).resolve().parent if config_file else Path.cwd()
    if folder.name == WORK_DIRNAME:
        folder = folder.parent
    return Project.at(folder)


def on_config(config):
    from dlip.publish.discover.milestones import discover_milestones
    from dlip.publish.pages.style import CSS_PATH
    from dlip.publish.site.config import (
        JUPYTER_IGNORE,
        MARKDOWN_EXTENSIONS,
        READY_ENV,
        REQUIRED_EXTENSIONS,
        complete,
    )
    from dlip.publish.site.docs import read_nav
    from dlip.publish.site.incremental import regenerate

    project = project_for(config.config_file_path)
    if os.environ.get(READY_ENV) != "1":
        # Under plain `mkdocs serve` a save that only edited posts regenerates only their
        # pages (`dlip serve` generates them itself and renders just those pages).
        problems, milestones, _ = regenerate(project)
        for problem in problems:
            log.warning("%s", problem)
    else:
        milestones, _ = discover_milestones(project)
    nav = read_nav(project)
    if config.nav is None and nav:
        config.nav = nav
        # Posts stay out of the nav on purpose; do not list a thousand of them on each build.
        if config.validation.nav.omitted_files == logging.INFO:
            config.validation.nav.omitted_files = logging.DEBUG
    for name in REQUIRED_EXTENSIONS:
        if name not in config.markdown_extensions:
            config.markdown_extensions.append(name)
            if MARKDOWN_EXTENSIONS[name]:
                config.mdx_configs.setdefault(name, dict(MARKDOWN_EXTENSIONS[name]))
    if CSS_PATH not in config.extra_css:
        config.extra_css.append(CSS_PATH)
    complete(config, project)
    jupyter = config.plugins.get("mkdocs-jupyter")
    if jupyter is not None:
        if not Path(jupyter.config["cache_dir"]).is_absolute():
            jupyter.config["cache_dir"] = str(project.work_dir / "cache" / "mkdocs-jupyter")
        # Only notebooks are notebooks here: .py files are sources shown for download.
        ignore = jupyter.config["ignore"]
        ignore.extend(p for p in JUPYTER_IGNORE if p not in ignore)
    for path in authored_paths(project, milestones):
        if str(path) not in config.watch:
            config.watch.append(str(path))
    return config


def on_files(files, config):
    """Posts kept under the author's own docs/ (docs/blog/) are published as generated post
    pages; MkDocs does not render their sources a second time. Also reads, once per build,
    what each page's edit and source buttons link to."""
    from dlip.publish.discover.post_folders import (
        has_date_field,
        looks_dated,
        post_files,
        post_folders,
    )
    from dlip.publish.site.edit_links import PageLinker

    project = project_for(config.config_file_path)
    docs = Path(config.docs_dir).resolve()
    for folder in post_folders(project):
        if docs not in folder.resolve().parents:
            continue
        for path in post_files(folder):
            if looks_dated(path) or has_date_field(path):
                rel = path.resolve().relative_to(docs).as_posix()
                found = files.get_file_from_path(rel)
                if found is not None:
                    files.remove(found)
    _LINKERS[config.config_file_path] = PageLinker.for_build(project, config.repo_url)
    return files


# Per config file: this build's edit and source links, read in on_files.
_LINKERS: dict[str | None, PageLinker] = {}


def on_page_context(context, page, config, nav):
    """Point the page's edit and source buttons at the file the author edits."""
    linker = _LINKERS.get(config.config_file_path)
    if linker is not None:
        linker.apply(page)
    return context


def on_post_page(output: str, page, config) -> str:
    """Advertise the Atom feed; drop the empty MathJax tag notebooks get (no CDN here)."""
    depth = page.url.count("/") if page.url else 0
    href = "../" * depth + FEED_PATH
    link = f'<link rel="alternate" type="application/atom+xml" title="Posts" href="{href}">'
    output = output.replace("</head>", f"{link}\n</head>", 1)
    return with_math(_EMPTY_SCRIPT.sub("", output), depth)


def authored_paths(project: Project, milestones: list[Milestone]) -> list[Path]:
    """What an author edits: posts, milestone folders, README and the folders of notes."""
    from dlip.publish.discover.notes import discover_notes
    from dlip.publish.discover.post_folders import post_folders

    paths = {project.posts_dir, project.code_dir, *post_folders(project)}
    paths.update(m.path for m in milestones)
    paths.update(p for p in project.root.iterdir() if p.is_file() and p.suffix.lower() == ".md")
    for note in discover_notes(project, {m.path for m in milestones}):
        top = note.relative_to(project.root).parts[0]
        paths.add(project.root / top)
    return sorted(p for p in paths if p.exists())
