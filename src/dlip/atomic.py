"""Writes that either happen whole or not at all, for the whole project.

A file is written to a temporary file beside its target and renamed over it; a folder is
built beside its target and swapped in. A reader (or a killed process) sees the old
content or the new one, never half of one. The publisher, the market data sets and the
model checkpoints all write through here.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path


def write_bytes(path: Path, data: bytes) -> None:
    """Replace `path` with `data`; keeps an existing file's permissions, never follows a link."""
    write_with(path, lambda tmp: tmp.write_bytes(data))


def write_text(path: Path, text: str) -> None:
    """`write_bytes` for UTF-8 text, line endings kept exactly as given."""
    write_bytes(path, text.encode("utf-8"))


def write_with(path: Path, write: Callable[[Path], object]) -> None:
    """Replace `path` with what `write(tmp)` writes to a temporary path beside it.

    For writers that want a path of their own (a tensor file, `torch.save`). An existing
    file's permissions are kept; a link at `path` is replaced, never written through.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    mode = path.stat().st_mode & 0o7777 if path.is_file() and not path.is_symlink() else None
    if path.is_symlink():
        path.unlink()  # write a file here, not into whatever the link points at
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        write(Path(tmp))
        if mode is not None:
            os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def copy_file(source: Path, target: Path) -> None:
    """Copy `source` (its content and times, following links) over `target` atomically."""
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


def replace_dir(target: Path, new: Path, *, old_prefix: str | None = None) -> None:
    """Swap the finished folder `new` in as `target` (same filesystem), then drop the old one.

    The old folder is first renamed aside to a name starting with `old_prefix` (default
    `.<name>.old-<pid>`), so a process killed between the two renames leaves it findable.
    """
    old = None
    if target.exists():
        prefix = old_prefix or f".{target.name}.old-"
        old = Path(tempfile.mkdtemp(prefix=f"{prefix}{os.getpid()}-", dir=target.parent))
        old.rmdir()
        os.replace(target, old)
    os.replace(new, target)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


@contextmanager
def atomic_directory(target: Path) -> Iterator[Path]:
    """Yield a fresh temporary folder beside `target`; on success it replaces `target`.

    On any exception the temporary folder is removed and `target` is left as it was.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.tmp-", dir=target.parent))
    try:
        yield tmp
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    replace_dir(target, tmp)
