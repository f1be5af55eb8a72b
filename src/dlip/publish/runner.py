"""Run milestones in subprocesses and freeze their results.

Each declared step runs with the milestone folder as its working directory, in a session of
its own, so a timeout can kill the whole process group, children included. Output goes
straight to a log file on disk, never into memory. Everything a run writes lands in a scratch
folder `code/NNN_slug/.results-tmp-<pid>-<random>/` next to `results/`; only a run whose
every step succeeded replaces `results/`, by rename on the same filesystem. A failed run
leaves the last good results alone and keeps its logs in `.dlip/failed/<milestone>/`.
Scratch folders left by a killed run are cleaned up (and any process still writing to them
stopped) the next time that milestone runs.

`python -m dlip.publish.runner --notebook NB --out OUT --timeout S` executes one notebook
with nbclient; the runner calls it as a step subprocess so notebooks get the same timeout,
capture and memory accounting as scripts.
"""

from __future__ import annotations

import json
import math
import os
import platform
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import Any

import psutil

from dlip.publish import freeze
from dlip.publish.milestones import discover_milestones, find_milestone
from dlip.publish.model import Milestone, RunStep
from dlip.publish.progress import Progress, format_duration
from dlip.publish.project import RESULTS_DIRNAME, Project

RECORD_FORMAT = 1
LOGS_DIRNAME = "logs"
FAILED_DIRNAME = "failed"  # under the project's work dir
FULL_LOGS_DIRNAME = "logs"  # under the project's work dir: untruncated logs of huge output
LOG_LIMIT_BYTES = 4 << 20  # a committed log keeps this much of its head and tail
TMP_PREFIX = ".results-tmp-"
OLD_PREFIX = ".results-old-"
KILL_GRACE_S = 3.0  # between SIGTERM and SIGKILL
TAIL_LINES = 15
VERSIONED_PACKAGES = ("numpy", "torch")


@dataclass
class StepResult:
    """How one step went; becomes an entry of `run.json`'s `steps`."""

    step: RunStep
    status: str  # ok | failed | timeout | interrupted | error
    exit_code: int | None
    duration_s: float
    peak_memory_bytes: int
    log: str  # relative to the results folder
    output_lines: int = 0
    output_bytes: int = 0
    notebook: str | None = None  # the executed notebook, relative to the results folder
    error: str | None = None
    log_truncated: bool = False  # the committed log keeps head and tail; see cap_log

    def as_record(self) -> dict[str, Any]:
        record = {
            "kind": self.step.kind,
            "path": self.step.path,
            "args": list(self.step.args),
            "command": display_command(self.step),
            "timeout_s": self.step.timeout,
            "status": self.status,
            "exit_code": self.exit_code,
            "duration_s": round(self.duration_s, 3),
            "peak_memory_bytes": self.peak_memory_bytes,
            "log": self.log,
            "output_lines": self.output_lines,
            "output_bytes": self.output_bytes,
            "log_truncated": self.log_truncated,
        }
        if self.notebook:
            record["notebook"] = self.notebook
        return record


@dataclass
class RunOutcome:
    """What happened to one milestone: ran and froze, failed, or had nothing to do."""

    milestone: Milestone
    status: str  # ok | failed | timeout | interrupted | error | fresh | nothing
    duration_s: float = 0.0
    message: str = ""
    output_tail: str = ""  # last lines of the failing step's output
    log_path: Path | None = None  # full log of the failing step
    record: dict[str, Any] | None = None
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.status in ("ok", "fresh", "nothing")

    @property
    def ran(self) -> bool:
        return self.status not in ("fresh", "nothing")

    def summary_line(self) -> str:
        """One line for the terminal: status, milestone, the gist."""
        head = f"{self.status.upper() if not self.ok else self.status:<8} {self.milestone.name}"
        return f"{head}: {self.message}" if self.message else head

    def report(self) -> str:
        """The summary line, plus the output tail and log location when it failed."""
        lines = [self.summary_line()]
        lines += [f"  warning: {w}" for w in self.warnings]
        if not self.ok and self.output_tail:
            lines.append("  last lines of output:")
            lines += [f"  | {line}" for line in self.output_tail.splitlines()]
        if not self.ok and self.log_path is not None:
            lines.append(f"  full log: {self.log_path}")
        return "\n".join(lines)


# --- public entry points ---------------------------------------------------------------


def run_named(project: Project, names: list[str], *, jobs: int = 1) -> int:
    """`dlip run NNN ...`: run the named milestones, fresh results or not.

    Prints one line per milestone on stdout; failures add the tail of their output.
    Returns 0 when every milestone succeeded, 1 when one failed, 2 on bad input.
    """
    milestones, problems = discover_milestones(project)
    try:
        chosen = [find_milestone(milestones, name) for name in names]
    except LookupError as exc:
        print(f"dlip run: {exc.args[0]}", file=sys.stderr)
        return 2
    chosen_paths = {m.path for m in chosen}
    errors = [
        p
        for p in problems
        if p.severity == "error" and (p.path in chosen_paths or p.path.parent in chosen_paths)
    ]
    for problem in errors:
        print(problem, file=sys.stderr)
    if errors:
        return 2
    with _sigterm_as_interrupt():
        outcomes = run_milestones(project, chosen, jobs=jobs, force=True)
    for outcome in outcomes:
        stream = sys.stdout if outcome.ok else sys.stderr
        print(outcome.report(), file=stream, flush=True)
    return 0 if all(o.ok for o in outcomes) else 1


def run_stale(project: Project, milestones: list[Milestone], jobs: int = 1) -> list[RunOutcome]:
    """Run every milestone whose frozen results are missing or out of date (for `dlip build`)."""
    return run_milestones(project, milestones, jobs=jobs, force=False)


def run_milestones(
    project: Project,
    milestones: list[Milestone],
    *,
    jobs: int = 1,
    force: bool = False,
    progress: bool = True,
) -> list[RunOutcome]:
    """Run milestones (stale ones only, unless `force`), `jobs` at a time; one outcome each."""
    unique = list({m.name: m for m in milestones}.values())
    cancel = threading.Event()
    with Progress(enabled=progress) as reporter:

        def one(milestone: Milestone) -> RunOutcome:
            if not milestone.steps:
                why = "no run entries in" if milestone.has_config else "no"
                return RunOutcome(
                    milestone, "nothing", message=f"nothing to run: {why} milestone.yml"
                )
            if not force:
                reason = freeze.staleness(project, milestone)
                if reason is None:
                    return RunOutcome(milestone, "fresh", message="frozen results are up to date")
                reporter.say(f"{milestone.name}: {reason}; running it")
            return run_milestone(project, milestone, reporter=reporter, cancel=cancel)

        if jobs <= 1 or len(unique) <= 1:
            try:
                return [one(m) for m in unique]
            except KeyboardInterrupt:
                cancel.set()
                raise
        pool = ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="dlip-run")
        try:
            futures = [pool.submit(one, m) for m in unique]
            return [f.result() for f in futures]
        except BaseException:
            cancel.set()  # running steps are killed, their scratch folders removed
            raise
        finally:
            pool.shutdown(wait=True, cancel_futures=True)


def run_milestone(
    project: Project,
    milestone: Milestone,
    *,
    reporter: Progress | None = None,
    cancel: threading.Event | None = None,
) -> RunOutcome:
    """Run every step of one milestone; freeze the results when all of them succeed."""
    reporter = reporter or Progress(enabled=False)
    cancel = cancel or threading.Event()
    try:
        clean_scratch(milestone)
        manifest = freeze.input_manifest(project, milestone)
        key = freeze.key_from_manifest(manifest, milestone)
        commit, dirty = _git_state(project, milestone)  # before the scratch folder exists
        scratch = Path(tempfile.mkdtemp(prefix=f"{TMP_PREFIX}{os.getpid()}-", dir=milestone.path))
        scratch.chmod(0o755)  # mkdtemp makes it private; results are committed and published
    except OSError as exc:
        where = exc.filename or milestone.path
        return RunOutcome(
            milestone, "failed", message=f"cannot prepare the run: {where}: {exc.strerror or exc}"
        )
    previous = freeze.read_record(milestone)
    started = time.monotonic()
    results: list[StepResult] = []
    try:
        (scratch / LOGS_DIRNAME).mkdir()
        env = _step_env(scratch)
        for index, step in enumerate(milestone.steps, start=1):
            label = f"{milestone.name} [{index}/{len(milestone.steps)}] {step.path}"
            handle = reporter.start(label, _last_duration(previous, step))
            result = run_step(milestone, step, index, scratch, env, cancel)
            reporter.finish(handle, result.status)
            results.append(result)
            if result.status != "ok":
                break
        duration = time.monotonic() - started
        failed = next((r for r in results if r.status != "ok"), None)
        if failed is not None:
            return _failed_outcome(project, milestone, scratch, failed, duration)
        for result in results:
            full = project.work_dir / FULL_LOGS_DIRNAME / milestone.name / Path(result.log).name
            result.log_truncated = cap_log(scratch / result.log, full)
        record = {
            "format": RECORD_FORMAT,
            "milestone": milestone.name,
            "status": "ok",
            "key": key,
            "key_version": freeze.KEY_VERSION,
            "date": datetime.now(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z"),
            "duration_s": round(duration, 3),
            "peak_memory_bytes": max((r.peak_memory_bytes for r in results), default=0),
            "commit": commit,
            "dirty": dirty,
            "python": platform.python_version(),
            "packages": {name: _version(name) for name in VERSIONED_PACKAGES},
            "machine": _machine(),
            "steps": [r.as_record() for r in results],
            "manifest": manifest,
        }
        _write_json(scratch / freeze.RUN_RECORD, record)
        _replace_results(milestone, scratch)
    except BaseException:
        shutil.rmtree(scratch, ignore_errors=True)
        raise
    outcome = RunOutcome(
        milestone,
        "ok",
        duration_s=duration,
        message=f"{format_duration(duration)}, peak memory "
        f"{_megabytes(record['peak_memory_bytes'])}, results in "
        f"{_display(project, milestone.results_dir)}/",
        record=record,
    )
    changed = freeze.describe_changes(manifest, freeze.input_manifest(project, milestone))
    if changed:
        outcome.warnings.append(
            f"the run changed its own inputs ({changed}); write outputs to DLIP_RESULTS_DIR "
            "instead, or the results will look stale"
        )
    return outcome


def run_step(
    milestone: Milestone,
    step: RunStep,
    index: int,
    scratch: Path,
    env: dict[str, str],
    cancel: threading.Event | None = None,
) -> StepResult:
    """Run one step as a subprocess; its output goes to `scratch/logs/NN-name.log`."""
    log_rel = f"{LOGS_DIRNAME}/{index:02d}-{_safe_name(step.path)}.log"
    notebook_rel = None
    if step.kind == "notebook":
        notebook_rel = step.path  # results/<same relative path>, where the pages look for it
        (scratch / notebook_rel).parent.mkdir(parents=True, exist_ok=True)
        command = [
            sys.executable, "-m", "dlip.publish.runner", "--notebook", step.path,
            "--out", str(scratch / notebook_rel), "--timeout", str(step.timeout),
        ]  # fmt: skip
    else:
        command = [sys.executable, step.path, *step.args]
    started = time.monotonic()
    with open(scratch / log_rel, "wb") as log:
        try:
            proc = subprocess.Popen(
                command,
                cwd=milestone.path,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        except OSError as exc:
            return StepResult(step, "error", None, 0.0, 0, log_rel, error=str(exc))
        watch = _Watch(proc)
        try:
            status = watch.wait(step.timeout, cancel or threading.Event())
        except BaseException:
            watch.kill()
            raise
    lines, size = _count_lines(scratch / log_rel)
    return StepResult(
        step,
        status,
        proc.returncode,
        time.monotonic() - started,
        watch.peak_rss,
        log_rel,
        output_lines=lines,
        output_bytes=size,
        notebook=notebook_rel if status == "ok" else None,
    )


def display_command(step: RunStep) -> list[str]:
    """The command as a reader would type it in the milestone folder."""
    if step.kind == "notebook":
        return ["jupyter", "execute", step.path]
    return ["python", step.path, *step.args]


def clean_scratch(milestone: Milestone) -> None:
    """Remove scratch folders left by killed runs, stopping processes still writing there.

    If a run was killed between moving the old results aside and moving the new ones in,
    the old results are put back.
    """
    if not milestone.path.is_dir():
        return
    for entry in sorted(milestone.path.iterdir()):
        if not entry.name.startswith((TMP_PREFIX, OLD_PREFIX)) or not entry.is_dir():
            continue
        owner = _owner_pid(entry.name)
        if owner is not None and owner != os.getpid() and psutil.pid_exists(owner):
            continue  # another dlip is running this milestone right now
        _kill_writers(entry)
        if entry.name.startswith(OLD_PREFIX) and not milestone.results_dir.exists():
            entry.rename(milestone.results_dir)
        else:
            shutil.rmtree(entry, ignore_errors=True)


# --- process handling --------------------------------------------------------------------


class _Watch:
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


def _kill_writers(scratch: Path) -> None:
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


def _owner_pid(name: str) -> int | None:
    rest = name.removeprefix(TMP_PREFIX).removeprefix(OLD_PREFIX)
    head = rest.split("-", 1)[0]
    return int(head) if head.isdigit() else None


@dataclass
class _SigtermAsInterrupt:
    previous: Any = None

    def __enter__(self) -> None:
        if threading.current_thread() is threading.main_thread():
            self.previous = signal.signal(signal.SIGTERM, _raise_interrupt)

    def __exit__(self, *exc: object) -> None:
        if self.previous is not None:
            signal.signal(signal.SIGTERM, self.previous)


def _sigterm_as_interrupt() -> _SigtermAsInterrupt:
    """While running, SIGTERM (a cancelled CI job) cleans up like Ctrl-C does."""
    return _SigtermAsInterrupt()


def _raise_interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


# --- results folder ----------------------------------------------------------------------


def _replace_results(milestone: Milestone, scratch: Path) -> None:
    """Swap the scratch folder in as `results/`: two renames on one filesystem."""
    results = milestone.results_dir
    old = None
    if results.exists():
        old = Path(tempfile.mkdtemp(prefix=f"{OLD_PREFIX}{os.getpid()}-", dir=milestone.path))
        old.rmdir()
        results.rename(old)
    scratch.rename(results)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def _failed_outcome(
    project: Project, milestone: Milestone, scratch: Path, failed: StepResult, duration: float
) -> RunOutcome:
    """Keep the failed run's logs in the work dir; the frozen results stay as they were."""
    keep = project.work_dir / FAILED_DIRNAME / milestone.name
    shutil.rmtree(keep, ignore_errors=True)
    keep.parent.mkdir(parents=True, exist_ok=True)
    try:
        shutil.move(str(scratch), str(keep))
    except OSError:
        keep = scratch
    log_path = keep / failed.log
    step_text = " ".join(display_command(failed.step))
    if failed.status == "timeout":
        what = (
            f"timed out: `{step_text}` ran past its limit of {failed.step.timeout:g} s; "
            "its processes were killed"
        )
    elif failed.status == "interrupted":
        what = f"interrupted while running `{step_text}`"
    elif failed.status == "error":
        what = f"could not start `{step_text}`: {failed.error}"
    else:
        what = f"`{step_text}` exited with code {failed.exit_code}"
    kept = "last good results kept" if milestone.results_dir.exists() else "no results frozen"
    return RunOutcome(
        milestone,
        failed.status if failed.status != "error" else "failed",
        duration_s=duration,
        message=f"{what}; {kept}",
        output_tail=tail_text(log_path),
        log_path=Path(_display(project, log_path)),
    )


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


def _count_lines(path: Path) -> tuple[int, int]:
    lines = size = 0
    last = b"\n"
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            lines += chunk.count(b"\n")
            size += len(chunk)
            last = chunk[-1:]
    return lines + (last != b"\n"), size


# --- environment and provenance ------------------------------------------------------------


def _step_env(scratch: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DLIP_RESULTS_DIR=str(scratch),
        DLIP_SEED="0",
        MPLBACKEND="Agg",
        PYTHONHASHSEED="0",
        PYTHONUNBUFFERED="1",
    )
    return env


def _last_duration(previous: dict[str, Any] | None, step: RunStep) -> float | None:
    if not previous:
        return None
    for entry in previous.get("steps") or []:
        if isinstance(entry, dict) and entry.get("path") == step.path:
            value = entry.get("duration_s")
            return float(value) if isinstance(value, (int, float)) else None
    return None


def _git_state(project: Project, milestone: Milestone) -> tuple[str | None, bool | None]:
    """The commit the run started from, and whether the milestone's inputs differ from it."""

    def git(*args: str) -> str | None:
        try:
            out = subprocess.run(
                ["git", "-C", str(project.root), *args],
                capture_output=True, text=True, timeout=30, check=False,
            )  # fmt: skip
        except (OSError, subprocess.TimeoutExpired):
            return None
        return out.stdout if out.returncode == 0 else None

    head = git("rev-parse", "HEAD")
    if head is None:
        return None, None
    rel = milestone.path.relative_to(project.root).as_posix()
    specs = [rel, f":(exclude){rel}/{RESULTS_DIRNAME}"]
    specs += [f":(glob){pattern}" for pattern in milestone.inputs]
    status = git("status", "--porcelain", "--", *specs)
    return head.strip(), bool(status and status.strip())


def _version(package: str) -> str | None:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


def _machine() -> dict[str, Any]:
    return {
        "platform": platform.platform(),
        "machine": platform.machine(),
        "cpu_count": os.cpu_count(),
    }


def _write_json(path: Path, data: dict[str, Any]) -> None:
    path.write_text(json.dumps(data, indent=2, sort_keys=False) + "\n", encoding="utf-8")


def _safe_name(rel: str) -> str:
    return "".join(c if c.isalnum() or c in "._-" else "_" for c in rel)


def _megabytes(n: int) -> str:
    return f"{n / 1e6:.0f} MB"


def _display(project: Project, path: Path) -> str:
    try:
        return path.relative_to(project.root).as_posix()
    except ValueError:
        return str(path)


# --- notebook step -----------------------------------------------------------------------


def _execute_notebook(notebook: Path, out: Path, timeout: float) -> int:
    """Execute a notebook with nbclient in the current directory; save it executed."""
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    nb = nbformat.read(notebook, as_version=4)
    client = NotebookClient(
        nb,
        timeout=max(1, math.ceil(timeout)),
        kernel_name="python3",
        resources={"metadata": {"path": str(Path.cwd())}},
    )
    error = None
    try:
        client.execute()
    except Exception as exc:  # a failing cell, a dead kernel, a cell timeout
        error = exc if isinstance(exc, CellExecutionError) else f"{type(exc).__name__}: {exc}"
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            if output.get("output_type") == "stream":
                print(output.get("text", ""), end="", flush=True)
    nbformat.write(nb, out)
    if error is not None:
        print(str(error), file=sys.stderr, flush=True)
        return 1
    return 0


def _main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(description="Execute one notebook step (used by dlip run).")
    parser.add_argument("--notebook", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--timeout", type=float, required=True)
    args = parser.parse_args(argv)
    return _execute_notebook(args.notebook, args.out, args.timeout)


if __name__ == "__main__":
    sys.exit(_main())
