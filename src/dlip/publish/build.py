"""The publisher's commands: build, check, new post, serve.

`dlip build` runs stale milestones, generates the pages and runs `mkdocs build --strict`.
Broken links are warnings there (the site still builds); invalid posts and failed runs are
errors: the rest of the site is still built, and the exit code is 1. `dlip check` builds
nothing and fails on every error, broken links and stale results included.
"""

from __future__ import annotations

import logging
import os
import sys
import time
from datetime import date
from pathlib import Path

from dlip.publish.model import Inventory, Problem, Severity
from dlip.publish.pages import Site, generate, write_site
from dlip.publish.posts import discover_posts, post_filename, safe_title
from dlip.publish.project import Project
from dlip.publish.readme import readme_problems


def discover(project: Project) -> Inventory:
    """Posts and milestones of the repo, with every problem found in them."""
    from dlip.publish.milestones import discover_milestones

    posts, post_problems = discover_posts(project)
    milestones, milestone_problems = discover_milestones(project)
    return Inventory(posts, milestones, post_problems + milestone_problems)


def generate_pages(
    project: Project,
    inventory: Inventory | None = None,
    *,
    link_severity: Severity = "warning",
    write: bool = True,
) -> Site:
    """Discover (unless given), generate and write every page; the hook calls this too."""
    from dlip.publish import site_config

    inventory = inventory or discover(project)
    if write and project.user_mkdocs_yml is None:
        site_config.write_default_config(project)
    site = generate(
        project,
        inventory.posts,
        inventory.milestones,
        site_name=site_config.site_name(project),
        site_url=site_config.site_url(project),
        link_severity=link_severity,
    )
    if write:
        write_site(project, site)
    return site


def build(project: Project, *, jobs: int = 1, run: bool = True) -> int:
    """`dlip build`: 0 when the site is built and nothing is wrong, 1 otherwise."""
    if not project.root.is_dir():
        print(f"error: {project.root}: no such folder", file=sys.stderr)
        return 1
    start = time.monotonic()
    inventory = discover(project)
    problems = list(inventory.problems)
    if run and inventory.milestones:
        from dlip.publish.runner import run_stale

        for outcome in run_stale(project, inventory.milestones, jobs=jobs):
            if outcome.ran or not outcome.ok:
                stream = sys.stdout if outcome.ok else sys.stderr
                print(outcome.report(), file=stream, flush=True)
            if not outcome.ok:
                problems.append(Problem(outcome.milestone.path,
                                        f"run {outcome.status}: {outcome.message}"))
    elif inventory.milestones:
        from dlip.publish.freeze import stale_problems

        problems += [Problem(p.path, p.reason, "warning") for p in
                     stale_problems(project, inventory.milestones)]
    problems += readme_problems(project, inventory.milestones, "warning")
    site = generate_pages(project, inventory)
    problems += site.problems
    _print_problems(problems)
    ok = run_mkdocs(project)
    errors = sum(1 for p in problems if p.severity == "error")
    warnings = len(problems) - errors
    elapsed = time.monotonic() - start
    posts = sum(1 for p in inventory.posts if not p.draft)
    status = "built" if ok else "FAILED to build"
    print(f"{status} {_shown(project.site_dir)}/: {posts} posts, "
          f"{len(inventory.milestones)} milestones, {len(site.pages)} generated files; "
          f"{errors} errors, {warnings} warnings; {elapsed:.1f} s", file=sys.stderr)
    return 0 if ok and not errors else 1


def check(project: Project) -> int:
    """`dlip check`: list every problem, one a line; 1 if any is an error."""
    from dlip.publish.freeze import stale_problems

    inventory = discover(project)
    problems = list(inventory.problems)
    problems += stale_problems(project, inventory.milestones)
    problems += readme_problems(project, inventory.milestones)
    site = generate_pages(project, inventory, link_severity="error", write=False)
    problems += site.problems
    _print_problems(problems)
    errors = sum(1 for p in problems if p.severity == "error")
    notes = sum(1 for path in site.notes if path.suffix.lower() == ".md")
    checked = [_count(len(inventory.posts), "post"), _count(len(inventory.milestones), "milestone")]
    if notes:
        checked.append(_count(notes, "note"))
    summary = (f"dlip check: {', '.join(checked)}: {_count(errors, 'error')}, "
               f"{_count(len(problems) - errors, 'warning')}")
    print(summary, file=sys.stderr if errors else sys.stdout)
    return 1 if errors else 0


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def new_post(project: Project, title: str) -> Path:
    """Create today's `daily-blog/YYYY-MM-DD - Title.md` with a `# Title` heading."""
    title = " ".join(title.split())
    if not title:
        raise ValueError("a post needs a title")
    safe = safe_title(title)
    if not safe:
        raise ValueError(f"{title!r} cannot be a file name")
    path = project.posts_dir / post_filename(date.today(), safe)
    project.posts_dir.mkdir(parents=True, exist_ok=True)
    with open(path, "x", encoding="utf-8") as f:  # "x": never overwrite a post
        f.write(f"# {title}\n\n")
    return path


def serve(project: Project, dev_addr: str = "127.0.0.1:8000") -> int:
    """`mkdocs serve` on the repo's config; the hook regenerates pages on every change."""
    from mkdocs.commands.serve import serve as mkdocs_serve
    from mkdocs.exceptions import MkDocsException

    from dlip.publish import site_config

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


def run_mkdocs(project: Project) -> bool:
    """`mkdocs build --strict` in this process, into the project's site folder."""
    from mkdocs.commands.build import build as mkdocs_build
    from mkdocs.config import load_config
    from mkdocs.exceptions import MkDocsException

    from dlip.publish import site_config
    from dlip.publish.hook import READY_ENV

    config_file = project.user_mkdocs_yml or site_config.write_default_config(project)
    handler = _log_to_stderr(logging.WARNING)
    previous = os.environ.get(READY_ENV)
    os.environ[READY_ENV] = "1"  # the pages are generated; the hook only sets the nav
    try:
        config = load_config(str(config_file), strict=True, site_dir=str(project.site_dir))
        config.plugins.on_startup(command="build", dirty=False)
        try:
            mkdocs_build(config)
        finally:
            config.plugins.on_shutdown()
    except MkDocsException as exc:
        print(f"error: {_shown(config_file)}: mkdocs: {exc}", file=sys.stderr)
        return False
    finally:
        logging.getLogger("mkdocs").removeHandler(handler)
        if previous is None:
            os.environ.pop(READY_ENV, None)
        else:
            os.environ[READY_ENV] = previous
    return True


def _print_problems(problems: list[Problem]) -> None:
    """One line each, errors first: `error: daily-blog/x.md: reason`."""
    for p in sorted(problems, key=lambda p: (p.severity != "error", str(p.path))):
        where = _shown(p.path) + (f":{p.line}" if p.line else "")
        print(f"{p.severity}: {where}: {p.reason}", file=sys.stderr)


def _log_to_stderr(level: int) -> logging.Handler:
    handler = logging.StreamHandler(sys.stderr)
    handler.setLevel(level)
    handler.setFormatter(logging.Formatter("mkdocs %(levelname)s: %(message)s"))
    logger = logging.getLogger("mkdocs")
    logger.addHandler(handler)
    if logger.level == logging.NOTSET or logger.level > level:
        logger.setLevel(level)
    return handler


def _shown(path: Path) -> str:
    """A path as the user typed it: relative to where they are, when it is below."""
    try:
        return path.relative_to(Path.cwd()).as_posix() or "."
    except ValueError:
        return str(path)
