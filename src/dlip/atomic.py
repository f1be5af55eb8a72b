"""Writes that either happen whole or not at all, for the whole project.

A file is written to a temporary file beside its target and renamed over it; a folder is
built beside its target and swapped in. A reader (or a killed process) sees the old
content or the new one, never half of one. The publisher, the market data sets and the
model checkpoints all write through here.
"""

from __future__ import annotations

import ctypes
import ctypes.util
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

    One `renameat2(RENAME_EXCHANGE)` where Linux offers it: a process killed at any moment
    leaves the old folder or the new one under `target`, never none. Elsewhere two renames,
    the old folder first moved aside to a name starting with `old_prefix` (default
    `.<name>.old-`) and the pid, so whoever cleans up after a kill can put it back.
    """
    if target.exists() and _exchange(new, target):
        shutil.rmtree(new, ignore_errors=True)  # it now holds the old folder
        return
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

    On any exception the temporary folder is removed and `target` is left as it was. What a
    killed earlier write left beside `target` is cleared first (an old folder put back).
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    _leftovers(target)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.tmp-{os.getpid()}-", dir=target.parent))
    try:
        yield tmp
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    replace_dir(target, tmp)


_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths atomically; False where the system cannot."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True)
        fn = libc.renameat2
    except (OSError, AttributeError):
        return False
    fn.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    done = fn(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)
    return done == 0


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _leftovers(target: Path) -> None:
    """Clear what a killed `atomic_directory` left beside `target`; restore an old folder."""
    for path in target.parent.glob(f".{target.name}.*-*"):
        kind, _, rest = path.name[len(target.name) + 2:].partition("-")
        pid = rest.split("-")[0]
        if kind not in ("tmp", "old") or not pid.isdigit() or _alive(int(pid)):
            continue
        if kind == "old" and not target.exists():
            os.replace(path, target)
        else:
            shutil.rmtree(path, ignore_errors=True)
