"""Line-based progress for long runs: readable in a terminal and in a CI log alike.

Each running step prints a line when it starts, every `interval` seconds while it runs
(elapsed time, and what is left judging by its last recorded duration), and when it ends.
"""

from __future__ import annotations

import sys
import threading
import time
from dataclasses import dataclass
from typing import TextIO


def format_duration(seconds: float) -> str:
    """`0.4 s`, `12 s`, `3:05`, `1:02:03`: short and unambiguous."""
    if seconds < 10:
        return f"{seconds:.1f} s"
    if seconds < 60:
        return f"{seconds:.0f} s"
    minutes, secs = divmod(int(round(seconds)), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


@dataclass
class _Task:
    label: str
    started: float
    expected: float | None


class Progress:
    """Reports running tasks on a stream (stderr by default) from any thread."""

    def __init__(
        self, enabled: bool = True, stream: TextIO | None = None, interval: float = 15.0
    ) -> None:
        self.enabled = enabled
        self.stream = stream if stream is not None else sys.stderr
        self.interval = interval
        self._tasks: dict[int, _Task] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._ticker: threading.Thread | None = None
        self._next_id = 0

    def __enter__(self) -> Progress:
        if self.enabled:
            self._ticker = threading.Thread(target=self._tick, name="dlip-progress", daemon=True)
            self._ticker.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._ticker is not None:
            self._ticker.join()

    def start(self, label: str, expected: float | None = None) -> int:
        """Announce a task; returns a handle for `finish`."""
        with self._lock:
            self._next_id += 1
            handle = self._next_id
            self._tasks[handle] = _Task(label, time.monotonic(), expected)
        hint = f" (last run took {format_duration(expected)})" if expected else ""
        self.say(f"{label}: started{hint}")
        return handle

    def finish(self, handle: int, result: str) -> None:
        with self._lock:
            task = self._tasks.pop(handle, None)
        if task is not None:
            elapsed = time.monotonic() - task.started
            self.say(f"{task.label}: {result} after {format_duration(elapsed)}")

    def say(self, message: str) -> None:
        if self.enabled:
            with self._lock:
                print(f"[dlip] {message}", file=self.stream, flush=True)

    def _tick(self) -> None:
        while not self._stop.wait(self.interval):
            now = time.monotonic()
            with self._lock:
                tasks = list(self._tasks.values())
            for task in tasks:
                self.say(f"{task.label}: running, {_status(now - task.started, task.expected)}")


def _status(elapsed: float, expected: float | None) -> str:
    text = f"{format_duration(elapsed)} elapsed"
    if expected:
        left = expected - elapsed
        if left > 0:
            text += f", about {format_duration(left)} left"
        else:
            text += f", longer than last time ({format_duration(expected)})"
    return text
