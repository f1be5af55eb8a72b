"""The MkDocs side of `dlip serve`: a full build that keeps its state, and single pages after.

A full MkDocs build, dirty or not, lists every docs file, makes a Page of each, builds the
nav, loads the theme's templates and renders `sitemap.xml` over all pages: at 10,000 posts
that is seconds even when one post changed. `LiveSite.build` runs MkDocs' own build and keeps
what it made (config, files, nav, the theme's jinja environment); `LiveSite.render` then
renders only the given pages with them, through MkDocs' own `_populate_page` and
`_build_page`, so every plugin's page events run as in a build. What a single page render
leaves behind (the sitemap's dates, the search index) is right again on the next full build.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

log = logging.getLogger("mkdocs.dlip")


@dataclass
class _Kept:
    config: Any  # MkDocsConfig
    files: Any  # Files
    nav: Any  # Navigation
    env: Any  # jinja2.Environment
    doc_files: Any  # the documentation pages, as the build lists them for templates


class _Keep:
    """A plugin that sees the nav and the final files and jinja environment of a build.

    Runs after every other plugin (lowest priority), so it keeps what they returned."""

    def __init__(self) -> None:
        self.nav: Any = None
        self.files: Any = None
        self.env: Any = None

    def on_nav(self, nav, config, files):
        self.nav = nav
        return nav

    def on_env(self, env, config, files):
        self.env, self.files = env, files
        return env


_Keep.on_nav.mkdocs_priority = -1000  # type: ignore[attr-defined]
_Keep.on_env.mkdocs_priority = -1000  # type: ignore[attr-defined]


class LiveSite:
    """The served site: `build` it whole, then `render` the pages a save rewrote."""

    def __init__(self, load: Any, serve_url: str) -> None:
        """`load()` returns a freshly loaded MkDocsConfig (a full build reloads the config,
        as `mkdocs serve` does, so an edited mkdocs.yml is read)."""
        self._load = load
        self.serve_url = serve_url
        self._kept: _Kept | None = None

    def build(self, config: Any = None, *, dirty: bool = True) -> None:
        """MkDocs' own build (dirty: only pages whose Markdown changed are rendered again),
        keeping its state for `render`."""
        from mkdocs.commands.build import build
        from mkdocs.structure.files import InclusionLevel

        if config is None:
            config = self._load()
        config.site_url = self.serve_url
        keep = _Keep()
        config.plugins["dlip-live"] = keep
        self._kept = None
        build(config, serve_url=self.serve_url, dirty=dirty)
        if keep.files is not None and keep.nav is not None:
            doc_files = keep.files.documentation_pages(inclusion=InclusionLevel.is_in_serve)
            self._kept = _Kept(config, keep.files, keep.nav, keep.env, doc_files)

    def render(self, pages: Sequence[str]) -> bool:
        """Render these docs-relative Markdown pages into the site as the last build would;
        False (nothing rendered) when one of them is not a page that build knows."""
        try:  # MkDocs' own page steps; private, so a MkDocs without them gets full builds
            from mkdocs.commands.build import _build_page, _populate_page
        except ImportError:
            return False
        kept = self._kept
        if kept is None:
            return False
        found = []
        for rel in pages:
            file = kept.files.get_file_from_path(rel)
            if file is None or file.page is None or not file.is_documentation_page():
                return False
            found.append(file)
        for file in found:
            _populate_page(file.page, kept.config, kept.files)
            _build_page(file.page, kept.config, kept.doc_files, kept.nav, kept.env,
                        excluded=file.inclusion.is_excluded())
            file.page.validate_anchor_links(files=kept.files,
                                            log_level=kept.config.validation.links.anchors)
        return True
