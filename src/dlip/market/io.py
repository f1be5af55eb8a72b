"""Atomic directory writes, and the checks that keep `--out` from replacing the wrong folder.

The new folder is written beside the target, then swapped in with one
`renameat2(RENAME_EXCHANGE)` (Linux): a process killed at any moment leaves the old
folder or the new one under the target's name, never half of either and never none.
Where the exchange is unavailable, two renames are used and the old folder is put back
by the next build if a kill fell between them.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from dlip.market.errors import MarketDataError, Problem
from dlip.market.layout import META_FILE, READABLE_FORMATS

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
    """Clear what a killed build left beside `target`; restore an old folder if needed."""
    for path in target.parent.glob(f".{target.name}.*-*"):
        kind, _, rest = path.name[len(target.name) + 2:].partition("-")
        pid = rest.split("-")[0]
        if kind not in ("tmp", "old") or not pid.isdigit() or _alive(int(pid)):
            continue
        if kind == "old" and not target.exists():
            os.replace(path, target)
        else:
            shutil.rmtree(path, ignore_errors=True)


@contextmanager
def atomic_directory(target: Path) -> Iterator[Path]:
    """Yield a fresh temporary folder beside `target`; on success it replaces `target`.

    On any exception the temporary folder is removed and `target` is left as it was.
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
    if target.exists() and _exchange(tmp, target):
        shutil.rmtree(tmp, ignore_errors=True)  # now holds the old folder
        return
    old = None
    if target.exists():
        old = target.parent / f".{target.name}.old-{os.getpid()}"
        os.replace(target, old)
    os.replace(tmp, target)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def _refuse(out: Path, reason: str) -> MarketDataError:
    return MarketDataError([Problem(f"--out {out}", reason + "; nothing was touched")])


def is_dataset_folder(folder: Path) -> bool:
    import json

    try:
        meta = json.loads((folder / META_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(meta, dict) and meta.get("format") in READABLE_FORMATS


def check_out(out: Path, inputs: list[str]) -> None:
    """Refuse an --out that would replace something that is not a dataset folder."""
    target = Path(out).absolute().resolve()
    here = Path.cwd().resolve()
    if target == here or target in here.parents:
        raise _refuse(out, "is the current folder or one above it")
    if target == Path.home().resolve() or target.parent == target:
        raise _refuse(out, "is the home or root folder")
    for spec in inputs:
        path = Path(spec)
        if not path.exists():
            continue
        src = path.resolve()
        if src == target:
            raise _refuse(out, "is the input file itself")
        if target in src.parents:
            raise _refuse(out, f"contains the input {spec}")
    if not target.exists():
        return
    if not target.is_dir():
        raise _refuse(out, "is a file, not a dataset folder")
    if any(target.iterdir()) and not is_dataset_folder(target):
        raise _refuse(out, f"exists and is not a dataset folder (no readable {META_FILE})")
