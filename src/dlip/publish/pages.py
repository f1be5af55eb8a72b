"""Generate the site's Markdown pages and assets from posts, milestones and notes.

`generate` is pure: it returns every page's text and every file to copy, plus the
problems found (broken links first of all). `write_site` puts them under the docs folder,
touching only files whose content changed and deleting what an earlier run generated
but this one did not, so MkDocs and the live-reload server see the smallest change.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Any

from dlip.publish import (
    atomic,
    pages_blog,
    pages_home,
    pages_milestones,
    pages_notes,
    roadmap_chart,
)
from dlip.publish import readme as roadmap_block
from dlip.publish.feed import FEED_PATH, atom_feed
from dlip.publish.glue import Glue
from dlip.publish.links import LinkRewriter, SiteMap
from dlip.publish.model import Milestone, Post, Problem, Severity
from dlip.publish.posts import post_url_path, published
from dlip.publish.project import Project, is_inside

NAV_FILE = "nav.json"  # in the work dir: the hook reads it to set MkDocs' nav
MANIFEST_FILE = "generated.json"  # in the work dir: what the last run wrote
CSS_PATH = "_generated/dlip.css"
# Paths under a hand-written docs/ folder that belong to the generator (gitignored).
GENERATED_AREAS = ("blog/", "code/", "_generated/", "index.md")
MAX_NAV_NOTES = 40


@dataclass
class Site:
    """Everything one generation produces."""

    pages: dict[str, str] = field(default_factory=dict)  # docs-relative path -> text
    copies: dict[str, Path] = field(default_factory=dict)  # docs-relative path -> source
    nav: list[Any] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    notes: list[Path] = field(default_factory=list)  # the notes found, published or not


def generate(
    project: Project,
    posts: list[Post],
    milestones: list[Milestone],
    *,
    site_name: str,
    site_url: str | None = None,
    today: date | None = None,
    link_severity: Severity = "warning",
) -> Site:
    """Every page and asset of the site; nothing is written."""
    from dlip.publish import results
    from dlip.publish.site_config import DLIP_CSS

    today = today or date.today()
    site = Site()
    problems = site.problems
    glue = Glue(milestones)
    posts = [_glued(post, glue, problems, link_severity) for post in published(posts)]
    sitemap = SiteMap(project.root, attachment_dirs=[project.posts_dir])

    readme = roadmap_block.find_readme(project)
    readme_text = readme.read_text("utf-8", errors="replace") if readme is not None else None
    about = _about_page(project, readme_text)
    sitemap.add_page(".", pages_home.HOME)
    if readme is not None:
        sitemap.add_page(readme.name, about or pages_home.HOME)
    sitemap.add_page(project.posts_dir.name, pages_blog.BLOG_INDEX)
    for post in posts:
        sitemap.add_post(_rel(project, post.path), post_url_path(post))

    scanned: dict[str, pages_milestones.MilestoneFiles] = {}
    milestone_pages: dict[str, str] = {}
    for m in milestones:
        files = pages_milestones.scan(project, m)
        scanned[m.name] = files
        milestone_pages[m.name] = pages_milestones.page_path(project, m)
        pages_milestones.register(project, m, files, sitemap)
    if project.code_dir.is_dir() and sitemap.lookup(project.code_dir.name) is None:
        sitemap.add_page(project.code_dir.name, f"{pages_home.HOME}#roadmap")

    notes = site.notes = pages_notes.discover_notes(project, {m.path for m in milestones})
    note_pages: list[tuple[str, str]] = []
    for path in notes:
        page = pages_notes.note_page_path(project, path)
        if _is_reserved(page, sitemap):
            problems.append(Problem(path, f"its page {page} would replace a generated page; "
                                          "not published (rename it)", severity="warning"))
            continue
        sitemap.add_page(_rel(project, path), page)
        if path.suffix.lower() == ".ipynb":
            sitemap.add_asset(page, path)  # mkdocs-jupyter renders it, stored outputs as they are
        folder = _rel(project, path.parent)
        if path.name.lower() == "readme.md" and folder != ".":
            sitemap.add_page(folder, page)
        note_pages.append((pages_notes.note_title(path), page))

    # Posts first: their links tell each milestone which posts cite it.
    refs = _milestone_refs(posts, milestones, milestone_pages, problems, link_severity)
    all_refs = [pages_blog.MilestoneRef(pages_blog.milestone_label(m), milestone_pages[m.name])
                for m in milestones]
    site.pages.update(pages_blog.post_pages(posts, sitemap, refs, problems, link_severity,
                                            all_refs))

    home_rows = []
    for m in milestones:
        page = milestone_pages[m.name]
        citing = _citing_posts(page, posts, refs)
        headline = _headline(m, results.read_metrics(m))

        def rewrite(path: Path, text: str, page: str = page) -> str:
            return LinkRewriter(sitemap, path, page, problems, link_severity).rewrite(text)

        site.pages[page] = pages_milestones.milestone_page(
            project, m, scanned[m.name], sitemap, problems, link_severity,
            results.results_markdown(project, m, "results", rewrite),
            headline.markdown() if headline else None, citing, glue,
        )
        home_rows.append((m, page, headline))

    for path in notes:
        page = sitemap.lookup(_rel(project, path))
        if page is None or path.suffix.lower() != ".md":
            continue
        text = glue.fill(path.read_text(encoding="utf-8", errors="replace"), path, problems,
                         link_severity)
        site.pages[page] = LinkRewriter(sitemap, path, page, problems, link_severity).rewrite(text)

    readme_md = None
    if readme is not None and readme_text is not None:
        text = glue.fill(readme_text, readme, problems, link_severity)
        text = pages_milestones.drop_first_heading(text)
        # Home and about page both sit at the docs root: one rewrite serves the two.
        text = LinkRewriter(sitemap, readme, about or pages_home.HOME, problems,
                            link_severity).rewrite(text)
        if about:
            site.pages[about] = pages_home.about_page(text)
        readme_md = roadmap_block.without_block(text)  # the home page has its own roadmap
    site.pages[pages_home.HOME] = pages_home.home_page(site_name, readme_md, home_rows, posts,
                                                       about)
    site.pages[pages_home.PROGRESS_SVG] = roadmap_chart.progress_svg(home_rows)

    blog_refs = {p.path: refs[p.path] for p in posts if p.path in refs}
    site.pages.update(pages_blog.index_pages(posts, sitemap, blog_refs, today))
    site.pages.update(pages_blog.archive_pages(posts))
    site.pages.update(pages_blog.tag_pages(posts))
    site.pages[FEED_PATH] = atom_feed(posts, site_name, site_url)
    site.pages[CSS_PATH] = DLIP_CSS

    for docs_path, source in sitemap.assets.items():
        if docs_path not in site.pages:
            site.copies[docs_path] = source
    site.nav = _nav(home_rows, note_pages, about)
    return site


def write_site(project: Project, site: Site) -> tuple[int, int, int]:
    """Write changed pages, copy changed files, delete stale ones: (written, copied, deleted)."""
    docs = project.docs_dir
    docs.mkdir(parents=True, exist_ok=True)
    project.work_dir.mkdir(parents=True, exist_ok=True)
    manifest_path = project.work_dir / MANIFEST_FILE
    previous = _read_manifest(manifest_path)
    owns_everything = is_inside(docs, project.work_dir)
    written = copied = 0
    kept: list[str] = []
    for rel, text in site.pages.items():
        target = docs / rel
        if not _may_write(rel, target, previous, owns_everything, site.problems):
            continue
        kept.append(rel)
        data = text.encode("utf-8")
        if target.is_file() and not target.is_symlink() and _same_bytes(target, data):
            continue
        atomic.write_bytes(target, data)
        written += 1
    for rel, source in site.copies.items():
        target = docs / rel
        if not _may_write(rel, target, previous, owns_everything, site.problems):
            continue
        kept.append(rel)
        if _same_file(source, target):
            continue
        _atomic_copy(source, target)
        copied += 1
    deleted = _delete_stale(docs, previous - set(kept))
    atomic.write_bytes(manifest_path, json.dumps(sorted(kept), indent=0).encode())
    atomic.write_bytes(project.work_dir / NAV_FILE, json.dumps(site.nav, indent=1).encode())
    return written, copied, deleted


def read_nav(project: Project) -> list[Any] | None:
    path = project.work_dir / NAV_FILE
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


# --- pieces ------------------------------------------------------------------------------


def _about_page(project: Project, readme_text: str | None) -> str | None:
    """The page for the whole README: only when it has more than an introduction."""
    if readme_text is None:
        return None
    body = pages_milestones.drop_first_heading(roadmap_block.without_block(readme_text))
    intro, sections = pages_home.split_readme(body)
    if intro.strip() == body.strip():
        return None
    return pages_home.about_path([p.name for p in project.root.iterdir() if p.is_file()])


def _glued(post: Post, glue: Glue, problems: list[Problem], severity: Severity) -> Post:
    """The post with its live metrics filled in, so excerpts and the feed show values too."""
    body = glue.fill(post.body, post.path, problems, severity, first_line=None)
    return post if body == post.body else replace(post, body=body)


def _milestone_refs(
    posts: list[Post],
    milestones: list[Milestone],
    pages: dict[str, str],
    problems: list[Problem],
    severity: Severity,
) -> dict[Path, list[pages_blog.MilestoneRef]]:
    """The milestone each post names in its front matter (`milestone: 000`)."""
    from dlip.publish.milestones import find_milestone

    refs = {}
    for post in posts:
        if not post.milestone:
            continue
        try:
            m = find_milestone(milestones, post.milestone)
        except LookupError as exc:
            problems.append(Problem(post.path, f"milestone: {exc}", severity=severity))
            continue
        refs[post.path] = [pages_blog.MilestoneRef(pages_blog.milestone_label(m), pages[m.name])]
    return refs


def _citing_posts(
    page: str, posts: list[Post], refs: dict[Path, list[pages_blog.MilestoneRef]]
) -> list[tuple[str, str, str]]:
    """(date, title, docs path) of each post that names or links the milestone on `page`."""
    return [(post.date.isoformat(), post.title, post_url_path(post)) for post in posts
            if any(ref.page == page for ref in refs.get(post.path, ()))]


def _headline(m: Milestone, metrics: dict[str, Any]) -> pages_home.Headline | None:
    from dlip.publish.results import format_metric

    if not m.headline or m.headline not in metrics:
        return None
    return pages_home.Headline(m.headline, format_metric(metrics[m.headline]))


def _nav(rows: list[tuple[Milestone, str, pages_home.Headline | None]],
         notes: list[tuple[str, str]], about: str | None) -> list:
    nav: list[Any] = [{"Home": pages_home.HOME}]
    if about:
        nav.append({pages_home.ABOUT_TITLE: about})
    nav += [
        {"Blog": [
            {"Latest posts": pages_blog.BLOG_INDEX},
            {"Archive": pages_blog.ARCHIVE_INDEX},
            {"Tags": pages_blog.TAGS_INDEX},
        ]},
    ]
    if rows:
        nav.append({"Milestones": [{f"{m.number} · {m.title}": page} for m, page, _ in rows]})
    if notes:
        nav.append({"Notes": [{title: page} for title, page in notes[:MAX_NAV_NOTES]]})
    return nav


def _is_reserved(page: str, sitemap: SiteMap) -> bool:
    if page in sitemap.reserved or page == pages_home.HOME:
        return True
    return page.startswith(("blog/", "_generated/"))


# --- files -------------------------------------------------------------------------------


def _rel(project: Project, path: Path) -> str:
    return path.relative_to(project.root).as_posix()


def _may_write(rel: str, target: Path, previous: set[str], owns_everything: bool,
               problems: list[Problem]) -> bool:
    """Never overwrite a hand-written file in a docs/ folder the author also edits."""
    if owns_everything or rel in previous or not (target.exists() or target.is_symlink()):
        return True
    if rel.startswith(GENERATED_AREAS):
        return True
    problems.append(Problem(target, "hand-written file is in the way of a generated page; "
                                    "left as it is", severity="warning"))
    return False


def _read_manifest(path: Path) -> set[str]:
    try:
        return set(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError, TypeError):
        return set()


def _same_bytes(path: Path, data: bytes) -> bool:
    try:
        return path.stat().st_size == len(data) and path.read_bytes() == data
    except OSError:
        return False


def _same_file(source: Path, target: Path) -> bool:
    try:
        a, b = source.stat(), target.stat()
    except OSError:
        return False
    return a.st_size == b.st_size and a.st_mtime_ns == b.st_mtime_ns and not target.is_symlink()


def _atomic_copy(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.is_symlink():
        target.unlink()
    fd, tmp = tempfile.mkstemp(prefix=".dlip-", dir=target.parent)
    os.close(fd)
    try:
        shutil.copy2(source, tmp, follow_symlinks=True)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _delete_stale(docs: Path, stale: set[str]) -> int:
    deleted = 0
    for rel in sorted(stale):
        path = docs / rel
        if path.is_file() or path.is_symlink():
            path.unlink()
            deleted += 1
        parent = path.parent
        while parent != docs and is_inside(parent, docs):
            try:
                parent.rmdir()  # only when empty
            except OSError:
                break
            parent = parent.parent
    return deleted
