"""MkDocs configuration: the one generated for repos without a `mkdocs.yml`, and the
settings the hook makes sure of in any config (our pages need them to render).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from dlip.publish import atomic
from dlip.publish.project import Project
from dlip.publish.readme import find_readme

# Extensions the generated pages rely on: tables, details blocks, fenced code, anchors.
REQUIRED_EXTENSIONS = (
    "tables",
    "toc",
    "attr_list",
    "md_in_html",
    "admonition",
    "pymdownx.details",
    "pymdownx.superfences",
    "pymdownx.highlight",
    "pymdownx.inlinehilite",
)

# mkdocs-jupyter opens every .md page with jupytext before looking at `include` (a third of
# a 100-post build); its `ignore` patterns are checked first, so they keep it linear and cheap.
JUPYTER_IGNORE = ("*.md", "*.py")

# Styles for the streak calendar, status badges and broken links, served from the site.
DLIP_CSS = """\
.dlip-streak { margin: 1em 0 1.5em; }
.dlip-streak-months { display: flex; flex-wrap: wrap; gap: 1.2em; }
table.dlip-streak-month { border-collapse: separate; border-spacing: 3px; font-size: .7rem; }
table.dlip-streak-month caption { font-weight: 600; text-align: left; }
table.dlip-streak-month th { font-weight: 400; opacity: .7; padding: 0; }
.dlip-day { width: 1.7em; height: 1.7em; text-align: center; border-radius: 3px; padding: 0; }
.dlip-streak-legend .dlip-day { display: inline-block; width: .9em; height: .9em;
  vertical-align: middle; }
.dlip-day.posted { background: #2e7d32; color: #fff; }
.dlip-day.missed { background: #ffcdd2; }
.dlip-day.rest { background: #e3f2fd; }
.dlip-day.future, .dlip-day.before { opacity: .45; }
.dlip-status { display: inline-block; padding: 0 .5em; border-radius: 1em; font-size: .8em;
  color: #fff; background: #9e9e9e; white-space: nowrap; }
.dlip-status-done { background: #2e7d32; }
.dlip-status-in-progress { background: #ef8f00; }
.dlip-roadmap { display: grid; gap: .6rem; margin: .8em 0 1.6em; }
.dlip-milestone { border: 1px solid var(--md-default-fg-color--lightest);
  border-left: .3rem solid #cfd8dc; border-radius: .2rem; padding: .5rem .8rem; }
.dlip-milestone-done { border-left-color: #2e7d32; }
.dlip-milestone-in-progress { border-left-color: #ef8f00; }
.dlip-milestone-planned { border-left-color: #9e9e9e; }
.md-typeset .dlip-milestone p { margin: .2em 0; }
.md-typeset .dlip-milestone-title { font-weight: 600; }
.dlip-milestone-number { font-variant-numeric: tabular-nums; opacity: .6; margin-right: .3em; }
.dlip-milestone-title .dlip-status { margin-left: .4em; font-weight: 400; vertical-align: .1em; }
.md-typeset .dlip-milestone-headline code { font-size: .8em; }
.md-typeset .dlip-milestone-summary { font-size: .8em; opacity: .85; }
.dlip-progress { margin: .6em 0 1em; overflow-x: auto; }
.dlip-progress svg { max-width: 100%; height: auto; font-family: var(--md-text-font-family); }
.md-typeset td code, .md-typeset th code { word-break: normal; overflow-wrap: normal;
  hyphens: none; }  /* file names in tables wrap between words, never inside one */
.dlip-broken-link { text-decoration: underline dotted #c62828; }
.dlip-metric { border-bottom: 1px dotted currentColor; cursor: help; }
"""


def read_user_config(project: Project) -> dict[str, Any]:
    """The repo's own mkdocs.yml as data ({} if none or unreadable); Python tags ignored."""
    path = project.user_mkdocs_yml
    if path is None:
        return {}
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_TolerantLoader)  # noqa: S506
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return {}
    return data if isinstance(data, dict) else {}


def site_name(project: Project) -> str:
    """The user's `site_name`, else the README's first heading, else the folder name."""
    configured = read_user_config(project).get("site_name")
    if isinstance(configured, str) and configured.strip():
        return configured.strip()
    readme = find_readme(project)
    if readme is not None:
        for line in readme.read_text(encoding="utf-8", errors="replace").splitlines():
            if line.startswith("# ") and line[2:].strip():
                return line[2:].strip()
    words = re.sub(r"[-_]+", " ", project.root.name).strip()
    return words[:1].upper() + words[1:] if words else "Learning in public"


def site_url(project: Project) -> str | None:
    value = read_user_config(project).get("site_url")
    return value if isinstance(value, str) and value.strip() else None


def default_config(project: Project) -> dict[str, Any]:
    """A complete MkDocs config for a repo that has none of its own."""
    hook = Path(__file__).with_name("hook.py")
    return {
        "site_name": site_name(project),
        "docs_dir": str(project.docs_dir),
        "site_dir": str(project.site_dir),
        "use_directory_urls": True,
        "theme": {
            "name": "material",
            "font": False,  # no request to Google Fonts: the site stays on its own origin
            "features": ["navigation.sections", "navigation.top", "content.code.copy",
                         "search.highlight"],
            "palette": [
                {"media": "(prefers-color-scheme: light)", "scheme": "default",
                 "primary": "indigo", "toggle": {"icon": "material/weather-night",
                                                 "name": "Dark mode"}},
                {"media": "(prefers-color-scheme: dark)", "scheme": "slate",
                 "primary": "indigo", "toggle": {"icon": "material/weather-sunny",
                                                 "name": "Light mode"}},
            ],
        },
        "plugins": [
            "search",
            {"mkdocs-jupyter": {"execute": False, "include": ["*.ipynb"],
                                "ignore": list(JUPYTER_IGNORE), "include_source": True}},
        ],
        "markdown_extensions": [
            "tables", "toc", "attr_list", "md_in_html", "admonition", "pymdownx.details",
            {"pymdownx.highlight": {"anchor_linenums": True}},
            "pymdownx.inlinehilite", "pymdownx.superfences",
        ],
        "hooks": [str(hook)],
    }


def write_default_config(project: Project) -> Path:
    """Write `.dlip/mkdocs.yml` (only if its content changed) and return its path."""
    path = project.work_dir / "mkdocs.yml"
    text = ("# Generated by dlip for a repo without its own mkdocs.yml; edits are overwritten.\n"
            + yaml.safe_dump(default_config(project), sort_keys=False, allow_unicode=True))
    if not path.is_file() or path.read_text(encoding="utf-8") != text:
        atomic.write_text(path, text)
    return path


class _TolerantLoader(yaml.SafeLoader):
    """Reads mkdocs.yml files that use `!!python/name:` or `!ENV` tags (values become None)."""


def _ignore_tag(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> None:
    return None


_TolerantLoader.add_multi_constructor("tag:yaml.org,2002:python/", _ignore_tag)
_TolerantLoader.add_multi_constructor("!", _ignore_tag)
