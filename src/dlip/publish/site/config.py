"""MkDocs configuration: the one generated for repos without a `mkdocs.yml`, and the
settings the hook makes sure of in any config (our pages need them to render).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from dlip import atomic
from dlip.publish import sanitize
from dlip.publish.discover.notes import GENERIC_HEADING_RE
from dlip.publish.pages.roadmap import find_readme
from dlip.publish.project import Project

# Set by `dlip build` once the pages are generated: the hook then only sets the nav.
READY_ENV = "DLIP_PAGES_READY"

# Extensions every page relies on, with their settings: the generated pages need tables,
# details blocks, fenced code and anchors; the author's Markdown (posts, READMEs, notes,
# milestone pages) needs what GitHub and Obsidian show: lists under a paragraph line and
# nested by 2 spaces (dlip.publish.markdown_ext, then truly sane lists at the 4 spaces it
# writes), task lists, bare URLs, ==highlights==, callouts, and $math$ left for KaTeX.
MARKDOWN_EXTENSIONS: dict[str, dict[str, Any]] = {
    "dlip.publish.markdown_ext": {},
    "tables": {},
    "toc": {},
    "attr_list": {},
    "md_in_html": {},
    "admonition": {},
    "pymdownx.details": {},
    "pymdownx.superfences": {},
    "pymdownx.highlight": {"anchor_linenums": True},
    "pymdownx.inlinehilite": {},
    "mdx_truly_sane_lists": {"nested_indent": 4, "truly_sane": True},
    "pymdownx.tasklist": {"custom_checkbox": True},
    "pymdownx.magiclink": {},
    "pymdownx.mark": {},
    "pymdownx.arithmatex": {"generic": True},
    "dlip.publish.sanitize": {},  # Markdown links lead only to http(s), mailto or the site
}
REQUIRED_EXTENSIONS = tuple(MARKDOWN_EXTENSIONS)

# mkdocs-jupyter opens every .md page with jupytext before looking at `include` (a third of
# a 100-post build); its `ignore` patterns are checked first, so they keep it linear and cheap.
JUPYTER_IGNORE = ("*.md", "*.py")

# Figures open full size on click (mkdocs-glightbox serves its script and CSS from the site).
GLIGHTBOX: dict[str, Any] = {"zoomable": True, "skip_classes": ["dlip-no-lightbox"]}


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
                if GENERIC_HEADING_RE.match(line[2:].strip()):
                    break  # "Check out the Video" names no site
                return line[2:].strip()
    words = re.sub(r"[-_]+", " ", project.root.name).strip()
    return words[:1].upper() + words[1:] if words else "Learning in public"


def site_url(project: Project) -> str | None:
    """The user's `site_url`, else the GitHub Pages URL of a GitHub `origin` remote."""
    value = read_user_config(project).get("site_url")
    if isinstance(value, str) and value.strip():
        return value.strip()
    return github_urls(git_remote(project))[0]


def repo_url(project: Project) -> str | None:
    """The user's `repo_url`, else the GitHub page of a GitHub `origin` remote."""
    value = read_user_config(project).get("repo_url")
    if isinstance(value, str) and value.strip():
        return value.strip()
    return github_urls(git_remote(project))[1]


_GITHUB_REMOTE = re.compile(
    r"^(?:https?://(?:[^@/]+@)?github\.com/|git@github\.com:|ssh://git@github\.com/)"
    r"(?P<owner>[A-Za-z0-9-]+)/(?P<repo>[A-Za-z0-9._-]+?)(?:\.git)?/?$")


def github_urls(remote: str | None) -> tuple[str | None, str | None]:
    """(GitHub Pages URL, repo URL) of a GitHub remote; (None, None) for any other.

    `git@github.com:ada/dl.git` -> (`https://ada.github.io/dl/`, `https://github.com/ada/dl`);
    a repo named `ada.github.io` is served at the root, `https://ada.github.io/`.
    """
    match = _GITHUB_REMOTE.match((remote or "").strip())
    if match is None:
        return None, None
    owner, repo = match["owner"], match["repo"]
    pages = f"https://{owner.lower()}.github.io/"
    if repo.lower() != f"{owner.lower()}.github.io":
        pages += f"{repo}/"
    return pages, f"https://github.com/{owner}/{repo}"


def git_remote(project: Project) -> str | None:
    """The URL of the `origin` remote (or the only remote), read from `.git/config`."""
    import configparser

    path = project.root / ".git" / "config"
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    try:
        parser.read_string(path.read_text(encoding="utf-8", errors="replace"))
    except (OSError, configparser.Error):
        return None
    remotes = {section[len('remote "'):-1]: parser.get(section, "url", fallback=None)
               for section in parser.sections() if section.startswith('remote "')}
    return remotes.get("origin") or (next(iter(remotes.values())) if len(remotes) == 1 else None)


THEME_OVERRIDES = Path(__file__).with_name("theme")  # OpenGraph and Twitter card tags


def author(project: Project) -> str | None:
    """The user's `site_author`, else who made the repo's first commit (the learner)."""
    value = read_user_config(project).get("site_author")
    if isinstance(value, str) and value.strip():
        return value.strip()
    if not (project.root / ".git").exists():
        return None
    import subprocess

    try:
        out = subprocess.run(["git", "log", "--max-parents=0", "--format=%an", "-1"],
                             cwd=project.root, capture_output=True, text=True, timeout=10,
                             check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    name = out.stdout.strip() if out.returncode == 0 else ""
    return name or None


def complete(config: Any, project: Project) -> None:
    """What a config leaves out and the site needs: its URLs (from the git remote when it
    is on GitHub), the author, and the theme override with the link-preview tags."""
    if not config.site_url:
        config.site_url = site_url(project)
    if not config.repo_url:
        config.repo_url = repo_url(project)
        if config.repo_url and not config.repo_name:
            config.repo_name = config.repo_url.rstrip("/").rsplit("/", 2)[-2:][-1]
    if not config.site_author:
        config.site_author = author(project)
    dirs = config.theme.dirs
    if str(THEME_OVERRIDES) not in dirs:
        dirs.insert(1 if config.theme.custom_dir else 0, str(THEME_OVERRIDES))


def default_config(project: Project) -> dict[str, Any]:
    """A complete MkDocs config for a repo that has none of its own."""
    hook = Path(__file__).with_name("hook.py")
    urls = {key: value for key, value in (("site_url", site_url(project)),
                                          ("repo_url", repo_url(project))) if value}
    return {
        "site_name": sanitize.text(site_name(project)),  # the theme writes it unescaped
        **urls,
        "docs_dir": str(project.docs_dir),
        "site_dir": str(project.site_dir),
        "use_directory_urls": True,
        "theme": {
            "name": "material",
            "font": False,  # no request to Google Fonts: the site stays on its own origin
            "features": ["navigation.sections", "navigation.top",
                         "content.code.copy", "search.highlight",
                         "content.action.edit", "content.action.view"],
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
            {"glightbox": dict(GLIGHTBOX)},
        ],
        "markdown_extensions": [{name: dict(settings)} if settings else name
                                for name, settings in MARKDOWN_EXTENSIONS.items()],
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
