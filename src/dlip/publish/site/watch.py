"""How `dlip serve` notices a save: inotify where the files live on a local Linux disk,
else polling, as `mkdocs serve` always does.

MkDocs' live-reload server polls every watched folder twice a second. At 10,000 posts that
is a stat of every post twice a second (about a fifth of a CPU core while nobody types) and
up to half a second before a save is even seen. inotify tells at once and costs nothing
while idle; but it misses changes made from elsewhere on network and host-shared file
systems (NFS, SMB, WSL's Windows drives, a container's mounted folder), so it is used only
on the local file systems it is known to work on, and a failure to set it up (the limit of
watches reached) falls back to polling.
"""

from __future__ import annotations

import itertools
import logging
import os
import sys
from typing import Any

log = logging.getLogger("mkdocs.dlip")

# File systems on which inotify sees every change to a file.
LOCAL_FILE_SYSTEMS = frozenset({"ext2", "ext3", "ext4", "xfs", "btrfs", "tmpfs", "overlay",
                                "zfs", "f2fs", "jfs", "reiserfs", "bcachefs"})
POLL_SECONDS = 0.5  # MkDocs' own interval


def file_system(path: str) -> str | None:
    """The type of the file system `path` is on (Linux: the longest mount point above it)."""
    try:
        with open("/proc/self/mounts", encoding="utf-8") as mounts:
            lines = mounts.read().splitlines()
    except OSError:
        return None
    path = os.path.realpath(path)
    best, kind = "", None
    for line in lines:
        fields = line.split()
        if len(fields) < 3:
            continue
        point = fields[1].replace("\\040", " ")
        inside = path == point or path.startswith(point.rstrip("/") + "/")
        if inside and len(point) >= len(best):
            best, kind = point, fields[2]
    return kind


def native_ok(root: str) -> bool:
    """Whether inotify can be trusted with the files under `root`."""
    return sys.platform.startswith("linux") and file_system(root) in LOCAL_FILE_SYSTEMS


class Observer:
    """A watchdog observer for LiveReloadServer: records what to watch, and on `start`
    watches it with inotify (when `native`) or by polling."""

    def __init__(self, native: bool) -> None:
        self.native = native
        self.kind = "not started"
        self._plan: dict[int, tuple[Any, str, bool]] = {}
        self._observer: Any = None
        self._watches: dict[int, Any] = {}
        self._refs = itertools.count()

    def schedule(self, handler: Any, path: str, recursive: bool = False) -> int:
        ref = next(self._refs)
        self._plan[ref] = (handler, path, recursive)
        if self._observer is not None:
            self._watches[ref] = self._observer.schedule(handler, path, recursive=recursive)
        return ref

    def unschedule(self, ref: int) -> None:
        self._plan.pop(ref, None)
        watch = self._watches.pop(ref, None)
        if watch is not None and self._observer is not None:
            self._observer.unschedule(watch)

    def start(self) -> None:
        from watchdog.observers.polling import PollingObserver

        if self.native:
            from watchdog.observers.inotify import InotifyObserver

            observer = InotifyObserver()
            try:
                self._run(observer)
                self.kind = "inotify"
                log.info("Noticing saves through inotify")
                return
            except OSError as exc:
                log.info("inotify unavailable (%s): polling for changes instead", exc)
                observer.stop()
        self._run(PollingObserver(timeout=POLL_SECONDS))
        self.kind = "polling"
        log.info("Noticing saves by looking every %s s", POLL_SECONDS)

    def _run(self, observer: Any) -> None:
        self._watches = {ref: observer.schedule(handler, path, recursive=recursive)
                         for ref, (handler, path, recursive) in self._plan.items()}
        observer.start()
        self._observer = observer

    def stop(self) -> None:
        if self._observer is not None:
            self._observer.stop()

    def join(self, timeout: float | None = None) -> None:
        if self._observer is not None:
            self._observer.join(timeout)
