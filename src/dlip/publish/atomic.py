"""Writes that either happen whole or not at all: a temp file beside the target, then rename.

Every file the publisher writes goes through here, so an interrupted build never leaves a
half-written page, README or post behind.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def write_bytes(path: Path, data: bytes) -> None:
    """Replace `path` with `data`; keeps an existing file's permissions, never follows a link."""
    path.parent.mkdir(parents=True, exist_ok=True)
    mode = path.stat().st_mode & 0o7777 if path.is_file() and not path.is_symlink() else None
    if path.is_symlink():
        path.unlink()  # write a file here, not into whatever the link points at
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        if mode is not None:
            os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_text(path: Path, text: str) -> None:
    """`write_bytes` for UTF-8 text, line endings kept exactly as given."""
    write_bytes(path, text.encode("utf-8"))
