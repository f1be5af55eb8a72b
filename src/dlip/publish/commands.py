"""The publisher's subcommands: build, run, check, new post, serve, import.

Handlers are thin: they parse, call one function of the pipeline, and turn its result
into an exit code. The work lives in the `build` and `runner` modules.
"""

from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path

from dlip.publish.project import Project


def _repo_folder(text: str) -> Path:
    """--repo must name an existing folder: no command creates a repo by accident."""
    path = Path(text)
    if not path.is_dir():
        raise argparse.ArgumentTypeError(f"{text}: no such folder")
    return path


def _add_repo_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--repo",
        type=_repo_folder,
        default=Path("."),
        help="the learning-in-public repo (default: the current directory)",
    )


def _cmd_build(args: argparse.Namespace) -> int:
    from dlip.publish.site.build import build

    return build(Project.at(args.repo), jobs=args.jobs, run=not args.no_run)


def _cmd_run(args: argparse.Namespace) -> int:
    from dlip.publish.run.runner import run_named

    return run_named(Project.at(args.repo), args.milestones, jobs=args.jobs)


def _cmd_check(args: argparse.Namespace) -> int:
    from dlip.publish.site.build import check

    return check(Project.at(args.repo))


def _cmd_readme(args: argparse.Namespace) -> int:
    from dlip.publish.discover.inventory import discover
    from dlip.publish.pages.roadmap import write_roadmap

    project = Project.at(args.repo)
    inventory = discover(project)
    try:
        path, what = write_roadmap(project, inventory.milestones)
    except ValueError as exc:
        print(f"error: {_readme_name(project)}: {exc}", file=sys.stderr)
        return 1
    print(f"{path.name if path else 'README.md'}: {what}")
    return 0


def _readme_name(project: Project) -> str:
    from dlip.publish.pages.roadmap import find_readme

    path = find_readme(project)
    return path.name if path else "README.md"


def _cmd_new_post(args: argparse.Namespace) -> int:
    from dlip.publish.discover.posts import new_post

    try:
        path = new_post(Project.at(args.repo), " ".join(args.title))
    except FileExistsError as exc:
        print(f"error: {exc.filename}: already exists; pick another title", file=sys.stderr)
        return 1
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"error: {exc.filename or args.repo}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    print(path)
    return 0


def _cmd_serve(args: argparse.Namespace) -> int:
    from dlip.publish.site.serve import serve

    return serve(Project.at(args.repo), dev_addr=args.dev_addr)


def _cmd_import(args: argparse.Namespace) -> int:
    from dlip.publish.discover.vault import import_vault

    return import_vault(Project.at(args.repo), args.vault, folder=args.folder, since=args.since,
                        dry_run=args.dry_run, force=args.force)


def _iso_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date like 2026-11-25") from None


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "build",
        help="run stale milestones, generate pages, build the site",
        description="Run every milestone whose frozen results are stale, generate the "
        "pages and build the static site with MkDocs.",
    )
    _add_repo_arg(p)
    p.add_argument("-j", "--jobs", type=int, default=1, help="milestones run in parallel")
    p.add_argument("--no-run", action="store_true", help="publish frozen results as they are")
    p.set_defaults(handler=_cmd_build)

    p = subparsers.add_parser(
        "run",
        help="run milestones and freeze their results",
        description="Run the named milestones (number or folder name), whether or not "
        "their results are fresh, and freeze their results in code/<milestone>/results/.",
    )
    _add_repo_arg(p)
    p.add_argument("milestones", nargs="+", metavar="NNN", help="milestone number or folder")
    p.add_argument("-j", "--jobs", type=int, default=1, help="milestones run in parallel")
    p.set_defaults(handler=_cmd_run)

    p = subparsers.add_parser(
        "check",
        help="validate posts, milestones, links and frozen results",
        description="Validate everything; exit non-zero on any problem, stale results "
        "included. Lists every problem in one run.",
    )
    _add_repo_arg(p)
    p.set_defaults(handler=_cmd_check)

    p = subparsers.add_parser(
        "readme",
        help="rewrite the roadmap block of README.md from the milestones",
        description="Rewrite the text between <!-- roadmap:start --> and <!-- roadmap:end --> "
        "in the repo's README.md: each milestone's status, title, link and headline metric, "
        "grouped by section. A README without the markers is left alone. `dlip check` "
        "fails while the block is out of date.",
    )
    _add_repo_arg(p)
    p.set_defaults(handler=_cmd_readme)

    p = subparsers.add_parser("new", help="create a new post", description="Create content.")
    new_sub = p.add_subparsers(dest="what", metavar="WHAT", required=True)
    q = new_sub.add_parser(
        "post",
        help='create daily-blog/YYYY-MM-DD - Title.md for today',
        description="Create today's post file and print its path.",
    )
    _add_repo_arg(q)
    q.add_argument("title", nargs="+", help="the post's title")
    q.set_defaults(handler=_cmd_new_post)

    p = subparsers.add_parser(
        "serve",
        help="serve the site with live reload",
        description="Serve the site with live reload; pages regenerate as you write.",
    )
    _add_repo_arg(p)
    p.add_argument("--dev-addr", default="127.0.0.1:8000", help="address to serve on")
    p.set_defaults(handler=_cmd_serve)

    p = subparsers.add_parser(
        "import",
        help="copy dated notes from an Obsidian vault into daily-blog/",
        description="Import notes from an Obsidian vault as daily posts. A note opts in with "
        "'publish: true' in its front matter or by living under --folder; its date comes from "
        "its file name (YYYY-MM-DD Title.md) or a 'date:' field. Embedded attachments are "
        "copied into daily-blog/assets/. Re-importing an unchanged note changes nothing; a post "
        "edited in the repo is kept unless --force. Nothing is written if any note has an "
        "error.",
    )
    _add_repo_arg(p)
    p.add_argument("vault", type=Path, help="the Obsidian vault folder")
    p.add_argument("--folder", metavar="SUBDIR", help="every dated note under this vault "
                   "folder is imported, publish flag or not")
    p.add_argument("--since", type=_iso_date, metavar="YYYY-MM-DD",
                   help="only notes dated on or after this day")
    p.add_argument("--dry-run", action="store_true", help="print what would happen; write nothing")
    p.add_argument("--force", action="store_true",
                   help="overwrite posts edited in the repo since their import")
    p.set_defaults(handler=_cmd_import)


if __name__ == "__main__":  # pragma: no cover
    sys.exit("use the `dlip` command")
