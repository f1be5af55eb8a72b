"""`dlip serve`: MkDocs' live-reloading server on the repo's config."""

from __future__ import annotations

import logging
import sys

from dlip.publish.project import Project
from dlip.publish.site import config as site_config
from dlip.publish.site.build import _log_to_stderr
from dlip.publish.site.incremental import regenerate


def serve(project: Project, dev_addr: str = "127.0.0.1:8000") -> int:
    """`mkdocs serve` on the repo's config, rebuilding only what a save changed.

    The hook regenerates pages on every change (`incremental.regenerate`: only the edited
    posts' pages when only posts were edited) and MkDocs renders again only the pages whose
    Markdown changed (its dirty rebuild). The blog index, feed and search index catch up with
    an edit on the next full build.
    """
    from mkdocs.commands.serve import serve as mkdocs_serve
    from mkdocs.exceptions import MkDocsException

    config_file = project.user_mkdocs_yml or site_config.write_default_config(project)
    regenerate(project)  # MkDocs wants the docs folder to exist before it starts
    handler = _log_to_stderr(logging.INFO)
    try:
        mkdocs_serve(config_file=str(config_file), dev_addr=dev_addr, livereload=True,
                     build_type="dirty")
    except MkDocsException as exc:
        print(f"error: {config_file}: {exc}", file=sys.stderr)
        return 1
    finally:
        logging.getLogger("mkdocs").removeHandler(handler)
    return 0
