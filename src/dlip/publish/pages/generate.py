"""Generate the site's Markdown pages and assets from posts, milestones and notes.

`generate` is pure: it returns every page's text and every file to copy, plus the
problems found (broken links first of all). `dlip.publish.site.docs` writes them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Any

from dlip.publish import sanitize
from dlip.publish.discover.notes import discover_notes, read_notes_config
from dlip.publish.discover.post_folders import dated_outside, post_folders
from dlip.publish.discover.posts import post_url_path, published
from dlip.publish.model import Milestone, Post, Problem, Severity, refusal
from dlip.publish.pages import blog, home, roadmap_chart
from dlip.publish.pages import milestones as milestone_md
from dlip.publish.pages import notes as notes_md
from dlip.publish.pages import roadmap as roadmap_block
from dlip.publish.pages.feed import FEED_PATH, atom_feed
from dlip.publish.pages.glue import Glue
from dlip.publish.pages.links import LinkRewriter, SiteMap
from dlip.publish.pages.math import math_assets
from dlip.publish.pages.sources import Source, page_sources
from dlip.publish.pages.style import CSS_PATH, DLIP_CSS
from dlip.publish.project import Project
from dlip.publish.run import freeze


@dataclass
class Site:
    """Everything one generation produces."""

    pages: dict[str, str] = field(default_factory=dict)  # docs-relative path -> text
    copies: dict[str, Path] = field(default_factory=dict)  # docs-relative path -> source
    nav: list[Any] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    # What `regenerate_posts` needs to redo one post's page without the rest of the site.
    context: PostContext | None = field(default=None, repr=False)
    notes: list[Path] = field(default_factory=list)  # the notes found, published or not
    sources: dict[str, Source] = field(default_factory=dict)  # page -> its file in the repo


def generate(
    project: Project,
    posts: list[Post],
    milestones: list[Milestone],
    *,
    site_name: str,
    site_url: str | None = None,
    today: date | None = None,
    link_severity: Severity = "warning",
    stale: Mapping[str, str | None] | None = None,
    rejected: Sequence[Post] = (),
) -> Site:
    """Every page and asset of the site; nothing is written.

    `stale` is `freeze.staleness_of` for these milestones, computed once by the build;
    without it the staleness is computed here, once. `rejected` are posts left out for
    errors of their own: their links are checked too, so every problem shows at once.
    """
    from dlip.publish.pages import results

    today = today or date.today()
    if stale is None:
        stale = freeze.staleness_of(project, milestones)
    site = Site()
    problems = site.problems
    glue = Glue(milestones)
    posts = [_glued(post, glue, problems, link_severity) for post in published(posts)]
    folders = post_folders(project)
    sitemap = SiteMap(project.root, attachment_dirs=folders)
    # An embedded note shows live metrics too; its own page reports any that do not fill.
    sitemap.fill_embedded = lambda text, path: glue.fill(text, path, [], link_severity)

    readme = roadmap_block.find_readme(project)  # never one that leads out of the repo
    problems.extend(r for p in project.root.iterdir() if p.name.lower() == "readme.md"
                    and (r := refusal(p, project.root)) is not None)
    readme_text = readme.read_text("utf-8", errors="replace") if readme is not None else None
    about = _about_page(project, readme_text)
    readme_page = (home.readme_path([p.name for p in project.root.iterdir() if p.is_file()])
                   if about else None)
    sitemap.add_page(".", home.HOME)
    if readme is not None:
        sitemap.add_page(readme.name, readme_page or home.HOME)
    if about:
        sitemap.reserved.add(about)
    if posts:
        for folder in folders:
            sitemap.add_page(_rel(project, folder), blog.BLOG_INDEX)
    for post in posts:
        sitemap.add_post(_rel(project, post.path), post_url_path(post))

    scanned: dict[str, milestone_md.MilestoneFiles] = {}
    milestone_pages: dict[str, str] = {}
    for m in milestones:
        files = milestone_md.scan(project, m)
        problems.extend(files.refused)
        scanned[m.name] = files
        milestone_pages[m.name] = milestone_md.page_path(project, m)
        milestone_md.register(project, m, files, sitemap)
    if project.code_dir.is_dir() and sitemap.lookup(project.code_dir.name) is None:
        sitemap.add_page(project.code_dir.name, f"{home.HOME}#roadmap")

    notes_config = read_notes_config(project)
    problems.extend(notes_config.problems)
    notes = site.notes = discover_notes(project, {m.path for m in milestones}, notes_config)
    problems.extend(dated_outside(notes, project))
    plan = notes_md.plan_notes(project, notes, sitemap, problems,
                               lambda page: _is_reserved(page, sitemap),
                               {m.path for m in milestones} | set(folders))

    # Posts first: their links tell each milestone which posts cite it.
    refs = _milestone_refs(posts, milestones, milestone_pages, problems, link_severity)
    all_refs = [blog.MilestoneRef(blog.milestone_label(m), milestone_pages[m.name])
                for m in milestones]
    site.context = PostContext({p.path: p for p in posts}, sitemap,
                               {path: list(items) for path, items in refs.items()},
                               all_refs, glue, link_severity)
    site.pages.update(blog.post_pages(posts, sitemap, refs, problems, link_severity,
                                            all_refs))

    home_rows = []
    for m in milestones:
        page = milestone_pages[m.name]
        citing = _citing_posts(page, posts, refs)
        headline = _headline(m, results.read_metrics(m))

        def rewrite(path: Path, text: str, page: str = page) -> str:
            return LinkRewriter(sitemap, path, page, problems, link_severity).rewrite(text)

        site.pages[page] = milestone_md.milestone_page(
            project, m, scanned[m.name], sitemap, problems, link_severity,
            results.results_markdown(project, m, "results", rewrite, stale, problems),
            headline.markdown() if headline else None, citing, glue,
        )
        site.pages.update(milestone_md.notebook_pages(project, m, scanned[m.name], sitemap,
                                                      problems, link_severity))
        home_rows.append((m, page, headline))

    site.pages.update(notes_md.note_pages(project, plan, sitemap, glue, problems, link_severity))

    readme_md = None
    if readme is not None and readme_text is not None:
        text = glue.fill(readme_text, readme, problems, link_severity)
        text = milestone_md.drop_first_heading(text)
        # Home, about and README pages all sit at the docs root: one rewrite serves them.
        text = LinkRewriter(sitemap, readme, about or home.HOME, problems,
                            link_severity).rewrite(text)
        if about and readme_page:
            site.pages[about] = home.about_page(roadmap_block.without_block(text), readme_page,
                                                len(posts), len(milestones))
            site.pages[readme_page] = home.readme_page(text)
        readme_md = roadmap_block.without_block(text)  # the home page has its own roadmap
    site.pages[home.HOME] = home.home_page(site_name, readme_md, home_rows, posts,
                                           readme_page)
    site.pages[home.PROGRESS_SVG] = roadmap_chart.progress_svg(home_rows)

    blog_refs = {p.path: refs[p.path] for p in posts if p.path in refs}
    if posts:  # a repo without posts has no blog: no empty index, calendar or archive
        site.pages.update(blog.index_pages(posts, sitemap, blog_refs, today))
        site.pages.update(blog.archive_pages(posts))
        site.pages.update(blog.tag_pages(posts))
    site.pages[FEED_PATH] = atom_feed(posts, site_name, site_url, project.root)
    site.pages[CSS_PATH] = DLIP_CSS

    _copy_assets(project, sitemap, site)
    site.copies.update(math_assets())
    # Milestone titles and note headings are data in the nav: the theme puts them in unescaped.
    site.nav = sanitize.nav_titles(_nav(home_rows, notes_md.notes_nav(plan, project), about,
                                        bool(posts)))
    _check_rejected(rejected, sitemap, glue, milestones, milestone_pages, problems,
                    link_severity)
    site.sources = page_sources(sitemap)
    return site


# --- pieces ------------------------------------------------------------------------------


def _copy_assets(project: Project, sitemap: SiteMap, site: Site) -> None:
    """The repo files the pages link, past the path rule and the sanitizer: the last gate
    before a copy. HTML files and notebooks' outputs are published sanitized; an SVG that is
    more than a drawing, and XML documents that cannot be checked, are not published."""
    reported = {p.path for p in site.problems if p.refused}
    for rel, text in site.pages.items():  # notebook pages: their outputs are data
        if rel.lower().endswith(".ipynb") and (notebook := sanitize.clean_notebook(text)):
            site.pages[rel] = notebook
    for docs_path, source in sitemap.assets.items():
        if docs_path in site.pages:
            continue
        refused = refusal(source, project.root)
        if refused is not None:
            if source not in reported:
                site.problems.append(refused)
            continue
        unsafe = sanitize.file_problem(source)
        if unsafe is not None:
            site.problems.append(Problem(source, unsafe, refused=True))
        elif sanitize.document_kind(source.name) == "html":
            site.pages[docs_path] = sanitize.clean_html(
                source.read_text(encoding="utf-8", errors="replace"))
        elif source.suffix.lower() == ".ipynb" and (notebook := sanitize.clean_notebook(
                source.read_text(encoding="utf-8", errors="replace"))) is not None:
            site.pages[docs_path] = notebook  # outputs are data; an invalid one stays a copy
        else:
            site.copies[docs_path] = source


def _about_page(project: Project, readme_text: str | None) -> str | None:
    """The page for the whole README: only when it has more than an introduction."""
    if readme_text is None:
        return None
    body = milestone_md.drop_first_heading(roadmap_block.without_block(readme_text))
    intro, sections = home.split_readme(body)
    if intro.strip() == body.strip():
        return None
    return home.about_path([p.name for p in project.root.iterdir() if p.is_file()])


def _check_rejected(
    posts: Sequence[Post],
    sitemap: SiteMap,
    glue: Glue,
    milestones: list[Milestone],
    milestone_pages: dict[str, str],
    problems: list[Problem],
    severity: Severity,
) -> None:
    """The links, metrics and milestone of posts that are not published: reported, not kept.

    Runs after the copies are listed, so nothing a rejected post links gets published.
    """
    checked = [post for post in posts if not post.draft]
    for post in checked:
        body = glue.fill(post.body, post.path, problems, severity, first_line=None)
        LinkRewriter(sitemap, post.path, post_url_path(post), problems, severity).rewrite(body)
    _milestone_refs(checked, milestones, milestone_pages, problems, severity)


@dataclass
class PostContext:
    """The site map and references one generation made its post pages from."""

    posts: dict[Path, Post]
    sitemap: SiteMap
    refs: dict[Path, list[blog.MilestoneRef]]
    all_refs: list[blog.MilestoneRef]
    glue: Glue
    severity: Severity


# A post edit that changes any of these shows on other pages too (index, archive, tags, nav).
_POST_SHAPE = ("date", "title", "slug", "tags", "milestone", "draft", "summary")


def regenerate_posts(site: Site, paths: Sequence[Path]) -> dict[str, str] | None:
    """The pages of the posts at `paths`, edited since `site` was generated, made from the
    same site map: what `dlip serve` shows a second after a save. None when an edit reaches
    beyond its own page (a new title, date, tag, ...) or cannot be read: generate again."""
    ctx = site.context
    if ctx is None:
        return None
    from dlip.publish.discover.posts import read_post

    edited = []
    for path in paths:
        post, found = read_post(path)
        before = ctx.posts.get(path)
        if post is None or before is None or any(p.severity == "error" for p in found) \
                or any(getattr(post, f) != getattr(before, f) for f in _POST_SHAPE) \
                or _embedded(ctx.sitemap, path):
            return None  # ... or the post shows on another page, embedded there
        edited.append(post)
    problems: list[Problem] = []
    glued = [_glued(post, ctx.glue, problems, ctx.severity) for post in edited]
    refs = {path: list(items) for path, items in ctx.refs.items()}
    return blog.post_pages(glued, ctx.sitemap, refs, problems, ctx.severity, ctx.all_refs)


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
) -> dict[Path, list[blog.MilestoneRef]]:
    """The milestone each post names in its front matter (`milestone: 000`)."""
    from dlip.publish.discover.milestones import find_milestone

    refs = {}
    for post in posts:
        if not post.milestone:
            continue
        try:
            m = find_milestone(milestones, post.milestone)
        except LookupError as exc:
            problems.append(Problem(post.path, f"milestone: {exc}", severity=severity))
            continue
        refs[post.path] = [blog.MilestoneRef(blog.milestone_label(m), pages[m.name])]
    return refs


def _citing_posts(
    page: str, posts: list[Post], refs: dict[Path, list[blog.MilestoneRef]]
) -> list[tuple[str, str, str]]:
    """(date, title, docs path) of each post that names or links the milestone on `page`."""
    return [(post.date.isoformat(), post.title, post_url_path(post)) for post in posts
            if any(ref.page == page for ref in refs.get(post.path, ()))]


def _headline(m: Milestone, metrics: dict[str, Any]) -> home.Headline | None:
    """The headline metric, in the words `milestone.yml` labels it with when it does."""
    from dlip.publish.pages.results import format_metric, labelled_metrics

    if not m.headline or m.headline not in metrics:
        return None
    labelled = next((item for item in labelled_metrics(m, metrics)
                     if item.name == m.headline), None)
    return home.Headline(m.headline, format_metric(metrics[m.headline]), labelled)


def _nav(rows: list[tuple[Milestone, str, home.Headline | None]],
         notes: list[Any], about: str | None, has_posts: bool) -> list:
    """Home, About, Blog (only with posts), Milestones, then the notes as their folders."""
    nav: list[Any] = [{"Home": home.HOME}]
    if about:
        nav.append({home.ABOUT_TITLE: about})
    if has_posts:
        nav.append({"Blog": [
            {"Latest posts": blog.BLOG_INDEX},
            {"Archive": blog.ARCHIVE_INDEX},
            {"Tags": blog.TAGS_INDEX},
        ]})
    if rows:
        nav.append({"Milestones": [{f"{m.number} · {m.title}": page} for m, page, _ in rows]})
    if notes:
        nav.append({"Notes": notes})
    return nav


def _is_reserved(page: str, sitemap: SiteMap) -> bool:
    if page in sitemap.reserved or page == home.HOME:
        return True
    return page.startswith(("blog/", "_generated/"))


# --- files -------------------------------------------------------------------------------


def _embedded(sitemap: SiteMap, path: Path) -> bool:
    """Whether some page shows the file at `path` with `![[...]]`."""
    try:
        return path.relative_to(sitemap.root).as_posix() in sitemap.embedded
    except ValueError:
        return False


def _rel(project: Project, path: Path) -> str:
    return path.relative_to(project.root).as_posix()
