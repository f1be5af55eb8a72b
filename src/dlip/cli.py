"""`dlip ...`: one entry point; each area of the project registers its own subcommands.

Subcommand modules import their heavy dependencies inside their handlers, so `dlip --help`
and the publisher's commands work on an install without the ML extra.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from importlib.metadata import PackageNotFoundError, version

from dlip.market import commands as market_commands
from dlip.patterns import commands as patterns_commands
from dlip.publish import commands as publish_commands

# Each registers its subcommands; each handler returns a process exit code.
COMMAND_MODULES = (publish_commands, market_commands, patterns_commands)


def installed_version() -> str:
    """The version pip installed (pyproject.toml's), so a bug report can name it."""
    try:
        return version("dlip")
    except PackageNotFoundError:  # run from a source tree that was never installed
        return "unknown (not installed)"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="dlip",
        description="Deep Learning in Public: publish daily posts and milestone results.",
    )
    parser.add_argument("--version", action="version", version=f"dlip {installed_version()}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module in COMMAND_MODULES:
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.handler(args) or 0)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader went away (`dlip dataset card DIR | head`): stop quietly, and point
        # stdout at /dev/null so Python's flush at exit does not raise again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1


if __name__ == "__main__":
    sys.exit(main())
