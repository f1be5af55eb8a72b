"""`dlip serve`: MkDocs' live-reloading server on the repo's config."""

from __future__ import annotations

import logging
import sys

from dlip.publish.project import Project
from dlip.publish.site import config as site_config
from dlip.publish.site.build import _log_to_stderr, generate_pages


def serve(project: Project, dev_addr: str = "127.0.0.1:8000") -> int:
    """`mkdocs serve` on the repo's config; the hook regenerates pages on every change."""
    from mkdocs.commands.serve import serve as mkdocs_serve
    from mkdocs.exceptions import MkDocsException


    config_file = project.user_mkdocs_yml or site_config.write_default_config(project)
    generate_pages(project)  # MkDocs wants the docs folder to exist before it starts
    handler = _log_to_stderr(logging.INFO)
    try:
        mkdocs_serve(config_file=str(config_file), dev_addr=dev_addr, livereload=True)
    except MkDocsException as exc:
        print(f"error: {config_file}: {exc}", file=sys.stderr)
        return 1
    finally:
        logging.getLogger("mkdocs").removeHandler(handler)
    return 0
