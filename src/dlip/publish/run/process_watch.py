"""Watch one step's process: the peak memory of its whole tree, its time limit, and
killing it (its process group and every descendant seen, SIGTERM first, then SIGKILL).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psutil

KILL_GRACE_S = 3.0  # between SIGTERM and SIGKILL


class ProcessWatch:
    """Waits for a step's process, sampling the memory of its whole tree, enforcing limits."""

    def __init__(self, proc: subprocess.Popen[bytes]) -> None:
        self.proc = proc
        self.peak_rss = 0
        self.seen: dict[int, psutil.Process] = {}
        try:
            self.root: psutil.Process | None = psutil.Process(proc.pid)
        except psutil.Error:
            self.root = None

    def wait(self, timeout: float, cancel: threading.Event) -> str:
        started = time.monotonic()
        pause = 0.02
        while not self._reaped():
            self._sample()
            elapsed = time.monotonic() - started
            if elapsed > timeout or cancel.is_set():
                self.kill()
                return "timeout" if elapsed > timeout else "interrupted"
            time.sleep(min(pause, max(0.0, timeout - elapsed) + 0.01))
            pause = min(pause * 1.5, 0.25)
        self._kill_leftovers()
        return "ok" if self.proc.returncode == 0 else "failed"

    def kill(self) -> None:
        """SIGTERM the process group and every known descendant, then SIGKILL what is left."""
        self._sample()
        self._signal_all(signal.SIGTERM)
        deadline = time.monotonic() + KILL_GRACE_S
        while time.monotonic() < deadline:
            if self._reaped() and not self._alive_descendants():
                break
            time.sleep(0.05)
        self._kill_leftovers()
        if self.proc.returncode is None:
            self._reap(block=True)

    def _kill_leftovers(self) -> None:
        self._signal_all(signal.SIGKILL)

    def _signal_all(self, sig: int) -> None:
        try:
            os.killpg(self.proc.pid, sig)
        except (ProcessLookupError, PermissionError):
            pass
        for child in self._alive_descendants():
            try:
                child.send_signal(sig)
            except psutil.Error:
                pass

    def _alive_descendants(self) -> list[psutil.Process]:
        alive = []
        for child in self.seen.values():
            try:
                if child.is_running() and child.status() != psutil.STATUS_ZOMBIE:
                    alive.append(child)
            except psutil.Error:
                pass
        return alive

    def _sample(self) -> None:
        if self.root is None or self.proc.returncode is not None:
            return
        total = 0
        try:
            family = [self.root, *self.root.children(recursive=True)]
        except psutil.Error:
            return
        for p in family:
            if p.pid != self.proc.pid:
                self.seen.setdefault(p.pid, p)
            try:
                total += p.memory_info().rss
            except psutil.Error:
                pass
        self.peak_rss = max(self.peak_rss, total)

    def _reaped(self) -> bool:
        return self.proc.returncode is not None or self._reap(block=False)

    def _reap(self, block: bool) -> bool:
        """Reap the child with wait4, which also reports its peak memory."""
        try:
            pid, status, usage = os.wait4(self.proc.pid, 0 if block else os.WNOHANG)
        except ChildProcessError:
            self.proc.poll()
            return self.proc.returncode is not None
        if pid == 0:
            return False
        self.proc.returncode = os.waitstatus_to_exitcode(status)
        scale = 1 if sys.platform == "darwin" else 1024  # bytes on macOS, KiB on Linux
        self.peak_rss = max(self.peak_rss, usage.ru_maxrss * scale)
        return True


def kill_writers(scratch: Path) -> None:
    """Kill processes left running by a killed dlip whose results folder is `scratch`."""
    target = str(scratch)
    for proc in psutil.process_iter(["pid"]):
        try:
            if proc.pid == os.getpid():
                continue
            if proc.environ().get("DLIP_RESULTS_DIR") == target:
                proc.kill()
        except psutil.Error:
            continue


@dataclass
class _SigtermAsInterrupt:
    previous: Any = None

    def __enter__(self) -> None:
        if threading.current_thread() is threading.main_thread():
            self.previous = signal.signal(signal.SIGTERM, _raise_interrupt)

    def __exit__(self, *exc: object) -> None:
        if self.previous is not None:
            signal.signal(signal.SIGTERM, self.previous)


def sigterm_as_interrupt() -> _SigtermAsInterrupt:
    """While running, SIGTERM (a cancelled CI job) cleans up like Ctrl-C does."""
    return _SigtermAsInterrupt()


def _raise_interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt
