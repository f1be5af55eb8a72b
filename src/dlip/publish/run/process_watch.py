"""Watch one step's process: the peak memory of its whole tree, its time limit, and
killing it (its process group and every descendant, SIGTERM first, then SIGKILL).

A step cannot outlive itself. Each step runs under a small guard process
(`python -m dlip.publish.run.process_watch -- COMMAND...`, see `guard_main`) that makes
itself a child subreaper (`prctl(PR_SET_CHILD_SUBREAPER)` on Linux): a daemon that
double-forks, calls `setsid` and whose parent exits is re-parented to the guard instead of
to init, so it stays in the step's process tree. When the command ends, or the guard is
told to stop (timeout, Ctrl-C), it kills every descendant still alive (SIGTERM, then
SIGKILL for those that ignore it) before it exits. The runner itself is a subreaper too
(`set_child_subreaper`), so what escapes a guard killed outright comes back to it and is
killed with the step (`kill_adopted`). Where there is no subreaper (macOS, Windows) the
process group and every descendant seen while sampling are killed, as before.
"""

from __future__ import annotations

import ctypes
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
GUARD_GRACE_S = 2.0  # the guard's own grace on a stop: it finishes before the runner's
END_GRACE_S = 1.0  # at a step's normal end, for what it left running
PR_SET_CHILD_SUBREAPER = 36  # linux/prctl.h
_GUARD_MODULE = "dlip.publish.run.process_watch"


def set_child_subreaper(on: bool = True) -> bool:
    """Adopt this process's orphaned descendants (Linux prctl); False where impossible."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return int(libc.prctl(PR_SET_CHILD_SUBREAPER, int(on), 0, 0, 0)) == 0
    except (OSError, AttributeError):
        return False


def is_child_subreaper() -> bool:
    """Whether this process already adopts its orphaned descendants."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        value = ctypes.c_int(0)
        return int(libc.prctl(37, ctypes.byref(value), 0, 0, 0)) == 0 and value.value == 1
    except (OSError, AttributeError):  # 37: PR_GET_CHILD_SUBREAPER
        return False


def guarded(command: list[str]) -> list[str]:
    """`command` run under the guard: this interpreter, `-m process_watch -- command`."""
    return [sys.executable, "-m", _GUARD_MODULE, "--", *command]


class ProcessWatch:
    """Waits for a step's process, sampling the memory of its whole tree, enforcing limits."""

    def __init__(self, proc: subprocess.Popen[bytes], guard: bool = False) -> None:
        self.proc = proc
        self.guard = guard  # proc is the guard: its own memory is not the step's
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
            elif self.guard:
                continue
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


def kill_adopted(results_dir: str, keep: set[int] | None = None) -> int:
    """Kill the children this (subreaper) process adopted from the step writing `results_dir`.

    A step's processes carry `DLIP_RESULTS_DIR` in their environment; `keep` are pids the
    caller still runs itself. Returns how many were killed; each one is reaped.
    """
    killed = 0
    try:
        children = psutil.Process().children()
    except psutil.Error:
        return 0
    for child in children:
        if keep and child.pid in keep:
            continue
        try:
            if child.environ().get("DLIP_RESULTS_DIR") != results_dir:
                continue
            family = [child, *child.children(recursive=True)]
        except psutil.Error:
            continue
        for p in family:
            try:
                p.kill()
            except psutil.Error:
                pass
        try:
            os.waitpid(child.pid, 0)
        except ChildProcessError:
            pass
        killed += 1
    return killed


def kill_descendants(grace: float) -> None:
    """SIGTERM every descendant of this process, then SIGKILL until none is left; reap all.

    With this process a subreaper, descendants that double-forked away are still below it,
    so the loop ends only when the whole tree is gone.
    """
    me = psutil.Process()

    def alive() -> list[psutil.Process]:
        _reap_children()
        try:
            found = me.children(recursive=True)
        except psutil.Error:
            return []
        living = []
        for p in found:
            try:
                if p.status() != psutil.STATUS_ZOMBIE:
                    living.append(p)
            except psutil.Error:
                pass
        return living

    family = alive()
    for p in family:
        _send(p, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while family and time.monotonic() < deadline:
        time.sleep(0.05)
        family = alive()
    for _ in range(1000):  # a process may fork while we kill: repeat until nothing is left
        family = alive()
        if not family:
            break
        for p in family:
            p_stop = getattr(signal, "SIGSTOP", None)  # stopped, it cannot fork any more
            if p_stop is not None:
                _send(p, p_stop)
        for p in family:
            _send(p, getattr(signal, "SIGKILL", signal.SIGTERM))
        time.sleep(0.01)
    _reap_children()


def guard_main(argv: list[str]) -> int:
    """Run `argv` as a subreaper; when it ends or we are stopped, kill what it left."""
    subreaper = set_child_subreaper()
    stopping: list[int] = []

    def on_stop(signum: int, frame: object) -> None:
        stopping.append(signum)
        kill_descendants(GUARD_GRACE_S)

    signal.signal(signal.SIGTERM, on_stop)
    signal.signal(signal.SIGINT, on_stop)
    try:
        proc = subprocess.Popen(argv)
    except OSError as exc:
        print(f"dlip: cannot start {argv[0]}: {exc.strerror or exc}", file=sys.stderr)
        return 127
    status = _wait_reaping(proc.pid)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if subreaper or stopping:
        kill_descendants(END_GRACE_S)
    code = proc.returncode
    if code < 0:  # end the way the command ended, so the runner reports the same signal
        if -code not in (signal.SIGKILL, signal.SIGSTOP):
            signal.signal(-code, signal.SIG_DFL)
        os.kill(os.getpid(), -code)
    return code


_reaped: dict[int, int] = {}  # pid -> wait status of what the guard reaped


def _wait_reaping(pid: int) -> int:
    """Wait for `pid`, reaping every adopted orphan that dies meanwhile; its wait status."""
    while pid not in _reaped:
        try:
            done, status = os.waitpid(-1, 0)
        except ChildProcessError:
            break
        _reaped[done] = status
    return _reaped.get(pid, 0)


def _reap_children() -> None:
    while True:
        try:
            done, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if done == 0:
            return
        _reaped[done] = status


def _send(p: psutil.Process, sig: int) -> None:
    try:
        p.send_signal(sig)
    except psutil.Error:
        pass


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


if __name__ == "__main__":
    args = sys.argv[1:]
    if args[:1] == ["--"]:
        args = args[1:]
    if not args:
        sys.exit("usage: python -m dlip.publish.run.process_watch -- COMMAND [ARG...]")
    sys.exit(guard_main(args))
