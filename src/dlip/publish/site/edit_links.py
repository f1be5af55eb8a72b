"""Edit and source links for every page, pointing at the file the author actually edits.

MkDocs would point a generated page at its copy under docs/, which is not in the repo.
Each generated page instead links to its own source (`pages.sources`): a post's file,
a milestone's README.md and folder, a note. A page the author wrote under docs/ links
to itself. Links are made for GitHub and GitLab remotes, on the branch being built.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

from dlip.publish.pages.sources import Source
from dlip.publish.project import Project, is_inside

_BRANCH_IN_EDIT_URI = re.compile(r"^/?(?:-/)?(?:edit|blob|tree)/([^/]+)/")


@dataclass(frozen=True)
class PageLinks:
    edit: str | None
    view: str | None


@dataclass(frozen=True)
class EditLinks:
    """Turns repo-relative paths into edit, file and folder URLs on the repo's host."""

    repo_url: str
    branch: str
    gitlab: bool

    @classmethod
    def for_site(cls, repo_url: str | None, project: Project,
                 user_config: dict[str, Any]) -> EditLinks | None:
        """None when the repo is not on a host we know, or the author turned edit links off
        (`edit_uri: ""` in mkdocs.yml, MkDocs' own switch)."""
        if not repo_url or user_config.get("edit_uri") == "":
            return None
        host = urlsplit(repo_url).hostname or ""
        if host != "github.com" and "gitlab" not in host:
            return None
        configured = user_config.get("edit_uri")
        match = _BRANCH_IN_EDIT_URI.match(configured) if isinstance(configured, str) else None
        branch = match[1] if match else current_branch(project)
        return cls(repo_url.rstrip("/"), branch, "gitlab" in host)

    def url(self, action: str, repo_rel: str) -> str:
        """`action` is edit, blob (a file) or tree (a folder)."""
        prefix = "-/" if self.gitlab else ""
        path = quote(repo_rel.strip("/"), safe="/")
        return f"{self.repo_url}/{prefix}{action}/{quote(self.branch, safe='')}/{path}"


@dataclass(frozen=True)
class PageLinker:
    """One build's edit and source links: the repo's host (None: leave MkDocs' own links)
    and what the last generation wrote, read once per build, not once per page."""

    links: EditLinks | None
    root: Path
    generated: set[str]  # docs-relative pages dlip wrote
    sources: dict[str, Source]  # docs-relative page -> its file in the repo
    docs_are_generated: bool  # the docs folder is dlip's own (.dlip/docs)

    @classmethod
    def for_build(cls, project: Project, repo_url: str | None) -> PageLinker:
        from dlip.publish.site.config import read_user_config
        from dlip.publish.site.docs import read_generated

        generated, sources = read_generated(project)
        return cls(EditLinks.for_site(repo_url, project, read_user_config(project)),
                   project.root, generated, sources,
                   is_inside(project.docs_dir, project.work_dir))

    def apply(self, page: Any) -> None:
        """Set the MkDocs page's `edit_url` and `dlip_source_url` (the theme's buttons)."""
        src = page.file.src_uri
        if self.links is None:
            if src in self.generated or src in self.sources:
                page.edit_url = None  # MkDocs' guess would name the generated copy
            return
        found = self.for_page(src, page.file.abs_src_path)
        page.edit_url, page.dlip_source_url = found.edit, found.view

    def for_page(self, src_uri: str, abs_src_path: str | None) -> PageLinks:
        """The links of the page MkDocs built from `src_uri` (docs-relative)."""
        assert self.links is not None
        source = self.sources.get(src_uri)
        if source is not None:
            return PageLinks(self.links.url("edit", source.edit) if source.edit else None,
                             self.links.url("tree" if source.view_is_folder else "blob",
                                            source.view))
        if src_uri in self.generated or abs_src_path is None or self.docs_are_generated:
            return PageLinks(None, None)  # made by dlip from nothing the author wrote
        path = Path(abs_src_path)
        if not is_inside(path, self.root):
            return PageLinks(None, None)
        rel = path.resolve().relative_to(self.root.resolve()).as_posix()
        return PageLinks(self.links.url("edit", rel), self.links.url("blob", rel))


def current_branch(project: Project) -> str:
    """The checked-out branch (from .git/HEAD); on a detached HEAD the branch CI names
    (GITHUB_REF_NAME, CI_COMMIT_REF_NAME), else `main`."""
    fallback = os.environ.get("GITHUB_REF_NAME") or os.environ.get("CI_COMMIT_REF_NAME") or "main"
    try:
        head = (project.root / ".git" / "HEAD").read_text(encoding="utf-8").strip()
    except OSError:
        return fallback
    prefix = "ref: refs/heads/"
    return head[len(prefix):] if head.startswith(prefix) else fallback
