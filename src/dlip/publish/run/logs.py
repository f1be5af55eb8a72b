"""A step's log on disk: capped to head and tail before it is committed, its last lines
for an error report, its size in lines and bytes. Logs are read in blocks, never whole.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

LOG_LIMIT_BYTES = 4 << 20  # a committed log keeps this much of its head and tail
TAIL_LINES = 15


def cap_log(log: Path, full_copy: Path, limit: int = LOG_LIMIT_BYTES) -> bool:
    """Shrink a huge log to its first and last `limit / 2` bytes, cut at line ends.

    Results are committed to git, which should not carry 100 MB of output; the full log is
    moved to `full_copy` (in the untracked work dir) on the machine that ran it.
    Returns whether the log was cut.
    """
    size = log.stat().st_size
    if size <= limit:
        return False
    full_copy.parent.mkdir(parents=True, exist_ok=True)
    shutil.move(str(log), str(full_copy))
    half = limit // 2
    with open(full_copy, "rb") as src, open(log, "wb") as out:
        head = src.read(half)
        head = head[: head.rfind(b"\n") + 1] or head
        src.seek(size - half)
        tail = src.read()
        tail = tail[tail.find(b"\n") + 1 :] or tail
        cut = size - len(head) - len(tail)
        out.write(head)
        out.write(
            f"[dlip: {cut} bytes of output cut here to keep the results small; the full log "
            f"was kept on the machine that ran it, as {full_copy.name}]\n".encode()
        )
        out.write(tail)
    return True


def tail_text(path: Path, lines: int = TAIL_LINES, max_bytes: int = 8192) -> str:
    """The last lines of a (possibly huge) text file, read from its end."""
    try:
        with open(path, "rb") as f:
            f.seek(0, os.SEEK_END)
            size = f.tell()
            f.seek(max(0, size - max_bytes))
            data = f.read()
    except OSError:
        return ""
    text = data.decode("utf-8", errors="replace")
    return "\n".join(text.rstrip("\n").splitlines()[-lines:])


def count_lines(path: Path) -> tuple[int, int]:
    lines = size = 0
    last = b"\n"
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            lines += chunk.count(b"\n")
            size += len(chunk)
            last = chunk[-1:]
    return lines + (last != b"\n"), size
