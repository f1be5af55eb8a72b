"""The checks that keep `--out` from replacing the wrong folder.

The folder itself is written by `dlip.atomic.atomic_directory` (re-exported here): built
beside the target, then swapped in with one `renameat2(RENAME_EXCHANGE)` (Linux), so a
process killed at any moment leaves the old folder or the new one, never half of either.
"""

from __future__ import annotations

from pathlib import Path

from dlip.atomic import atomic_directory
from dlip.market.errors import MarketDataError, Problem
from dlip.market.layout import META_FILE, READABLE_FORMATS

__all__ = ["atomic_directory", "check_out", "is_dataset_folder"]


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
