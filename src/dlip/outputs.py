"""What the `dlip` subcommands say about bad input, said one way for all of them.

A command checks where it will write before it does any work, so a mistyped path costs
nothing and leaves nothing half-written, and every problem is one `error:` line on
stderr with exit status 2. Kept apart from `dlip.cli` (which imports every command
module) so that the command modules can use it without an import cycle.
"""

from __future__ import annotations

import sys
from pathlib import Path

BAD_INPUT = 2
IMAGE_SUFFIXES = (".png", ".svg", ".pdf", ".jpg", ".jpeg")


def fail(message: str) -> int:
    """Print each line of `message` as an `error:` line on stderr; returns BAD_INPUT."""
    for line in message.splitlines():
        print(f"error: {line}", file=sys.stderr)
    return BAD_INPUT


def output_problem(path: Path, flag: str, image: bool = False) -> str | None:
    """Why `path`, given as `flag`, cannot take a command's output file; None when it can.

    A folder is refused (a file is written, never into a folder), so is a missing parent
    folder, and with `image` a name that matplotlib could not save as an image.
    """
    if path.is_dir():
        what = f"an image file (e.g. {path}/chart.png)" if image else "a file"
        return f"{flag} {path}: is a folder; name {what}"
    if image and path.suffix.lower() not in IMAGE_SUFFIXES:
        return f"{flag} {path}: not an image file name (use one of {', '.join(IMAGE_SUFFIXES)})"
    if not path.parent.is_dir():
        return f"{flag} {path}: folder {path.parent} does not exist"
    return None
