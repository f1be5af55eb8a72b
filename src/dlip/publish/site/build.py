"""The publisher's commands: build and check.

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
import warnings
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path

from dlip import atomic
from dlip.publish.discover.inventory import discover
from dlip.publish.discover.post_folders import posts_source
from dlip.publish.markdown import escape_md
from dlip.publish.model import Inventory, Problem, Severity
from dlip.publish.pages.generate import Site, generate
from dlip.publish.pages.roadmap import readme_problems
from dlip.publish.project import Project
from dlip.publish.run import freeze
from dlip.publish.run.runner import run_stale
from dlip.publish.site import config as site_config
from dlip.publish.site.docs import write_site
from dlip.publish.site.gitignore import ensure_ignored


def generate_pages(
    project: Project,
    inventory: Inventory | None = None,
    *,
    link_severity: Severity = "warning",
    write: bool = True,
    stale: Mapping[str, str | None] | None = None,
) -> Site:
    """Discover (unless given), generate and write every page; the hook calls this too.

    `stale` is the build's `freeze.staleness_of`, so no page hashes the inputs again.
    """
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
        stale=stale,
        rejected=inventory.rejected,
    )
    site.problems.extend(_check_notebooks(project, site))
    if write:
        write_site(project, site)
    return site


def _check_notebooks(project: Project, site: Site) -> list[Problem]:
    """Every notebook the site would publish must read as one (nbformat, schema validated).

    A malformed one is an error naming it; its page says it could not be read, so links to
    it still resolve and MkDocs (whose notebook plugin would crash on it) never sees it.
    """
    import nbformat

    problems = []
    for rel, source in list(site.copies.items()):
        if not rel.lower().endswith(".ipynb"):
            continue
        try:
            with warnings.catch_warnings():  # old notebooks without cell ids still publish
                warnings.simplefilter("ignore")
                nbformat.validate(nbformat.read(source, as_version=4))
        except Exception as exc:  # nbformat raises JSON, schema, encoding and OS errors
            reason = " ".join(str(exc).split())[:200] or type(exc).__name__
            problems.append(Problem(source, f"not a readable notebook ({reason}); "
                                            "left out of the site"))
            del site.copies[rel]
            site.pages[rel] = _unreadable_notebook(source.name)
    return problems


def _unreadable_notebook(name: str) -> str:
    """A valid notebook that stands in for one that cannot be read."""
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.cells.append(nbformat.v4.new_markdown_cell(
        f"This notebook ({escape_md(name)}) could not be read, so it is not published."))
    return nbformat.writes(nb)


def build(project: Project, *, jobs: int = 1, run: bool = True) -> int:
    """`dlip build`: 0 when the site is built and nothing is wrong, 1 otherwise."""
    if not project.root.is_dir():
        print(f"error: {project.root}: no such folder", file=sys.stderr)
        return 1
    start = time.monotonic()
    inventory = discover(project)
    problems = list(inventory.problems)
    stale: dict[str, str | None] = {}
    if run and inventory.milestones:
        for outcome in run_stale(project, inventory.milestones, jobs=jobs):
            if outcome.ran or not outcome.ok:
                stream = sys.stdout if outcome.ok else sys.stderr
                print(outcome.report(), file=stream, flush=True)
            m = outcome.milestone
            if not outcome.ok:
                problems.append(Problem(m.path, f"run {outcome.status}: {outcome.message}"))
            # Fresh or just frozen: up to date. A failed run left the old results as they were.
            stale[m.name] = None if outcome.ok else freeze.staleness(project, m)
    elif inventory.milestones:
        stale = freeze.staleness_of(project, inventory.milestones)
        problems += [Problem(p.path, p.reason, "warning") for p in
                     freeze.stale_problems(project, inventory.milestones, stale)]
    problems += readme_problems(project, inventory.milestones, "warning")
    site = generate_pages(project, inventory, stale=stale)
    problems += site.problems
    # What the path rule refused is left out of the site: a warning here, an error in check.
    problems = [replace(p, severity="warning") if p.refused else p for p in problems]
    _print_problems(problems)
    ok = run_mkdocs(project)
    errors = sum(1 for p in problems if p.severity == "error")
    warnings = len(problems) - errors
    elapsed = time.monotonic() - start
    posts = sum(1 for p in inventory.posts if not p.draft)
    status = "built" if ok else "FAILED to build"
    source = posts_source(project, [p.path for p in inventory.posts])
    ignored = ensure_ignored(project)
    if ignored:
        print(ignored, file=sys.stderr)
    print(f"{status} {_shown(project.site_dir)}/: {posts} posts{' ' + source if source else ''}, "
          f"{len(inventory.milestones)} milestones, {len(site.pages)} generated files; "
          f"{errors} errors, {warnings} warnings; {elapsed:.1f} s", file=sys.stderr)
    return 0 if ok and not errors else 1


def check(project: Project) -> int:
    """`dlip check`: list every problem, one a line; 1 if any is an error."""
    inventory = discover(project)
    problems = list(inventory.problems)
    stale = freeze.staleness_of(project, inventory.milestones)
    problems += freeze.stale_problems(project, inventory.milestones, stale)
    problems += readme_problems(project, inventory.milestones)
    site = generate_pages(project, inventory, link_severity="error", write=False, stale=stale)
    problems += site.problems
    _print_problems(problems)
    errors = sum(1 for p in problems if p.severity == "error")
    notes = sum(1 for path in site.notes if path.suffix.lower() == ".md")
    source = posts_source(project, [p.path for p in inventory.posts])
    checked = [_count(len(inventory.posts), "post") + (f" {source}" if source else ""),
               _count(len(inventory.milestones), "milestone")]
    if notes:
        checked.append(_count(notes, "note"))
    summary = (f"dlip check: {', '.join(checked)}: {_count(errors, 'error')}, "
               f"{_count(len(problems) - errors, 'warning')}")
    print(summary, file=sys.stderr if errors else sys.stdout)
    return 1 if errors else 0


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def run_mkdocs(project: Project) -> bool:
    """`mkdocs build --strict` in this process, into the project's site folder."""
    from mkdocs.commands.build import build as mkdocs_build
    from mkdocs.config import load_config
    from mkdocs.exceptions import MkDocsException


    config_file = project.user_mkdocs_yml or site_config.write_default_config(project)
    handler = log_to_stderr(logging.WARNING)
    previous = os.environ.get(site_config.READY_ENV)
    os.environ[site_config.READY_ENV] = "1"  # the pages are generated; the hook only sets the nav
    try:
        # Built into a folder beside site/ and swapped in whole: a build that fails or is
        # killed half-way leaves the last good site as it was.
        with atomic.atomic_directory(project.site_dir) as building:
            config = load_config(str(config_file), strict=True, site_dir=str(building))
            config.plugins.on_startup(command="build", dirty=False)
            try:
                mkdocs_build(config)
            finally:
                config.plugins.on_shutdown()
            building.chmod(0o755)  # mkdtemp makes it private; a site is published
    except MkDocsException as exc:
        print(f"error: {_shown(config_file)}: mkdocs: {exc}", file=sys.stderr)
        return False
    except OSError as exc:
        where = exc.filename or project.site_dir
        print(f"error: {_shown(Path(where))}: cannot write the site: {exc.strerror or exc}",
              file=sys.stderr)
        return False
    except Exception as exc:  # a plugin that crashes on some page: one line, old site kept
        print(f"error: {_shown(config_file)}: mkdocs failed: {type(exc).__name__}: {exc}; "
              f"{_shown(project.site_dir)}/ left as it was", file=sys.stderr)
        return False
    finally:
        logging.getLogger("mkdocs").removeHandler(handler)
        if previous is None:
            os.environ.pop(site_config.READY_ENV, None)
        else:
            os.environ[site_config.READY_ENV] = previous
    return True


def _print_problems(problems: list[Problem]) -> None:
    """One line each, errors first: `error: daily-blog/x.md: reason`."""
    for p in sorted(problems, key=lambda p: (p.severity != "error", str(p.path))):
        where = _shown(p.path) + (f":{p.line}" if p.line else "")
        print(f"{p.severity}: {where}: {p.reason}", file=sys.stderr)


def log_to_stderr(level: int) -> logging.Handler:
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
