"""Run milestones in subprocesses and freeze their results.

Each declared step runs with the milestone folder as its working directory, in a session of
its own, under a guard that is a child subreaper (`process_watch`): when the step ends or
times out, every process it started is killed, daemons that double-forked away included.
Output goes straight to a log file on disk, never into memory. Everything a run writes
lands in a scratch folder `code/NNN_slug/.results-tmp-<pid>-<random>/` next to `results/`;
only a run whose every step succeeded replaces `results/`, with one
`renameat2(RENAME_EXCHANGE)` (`dlip.atomic.replace_dir`), so a kill at any moment leaves a
whole `results/`. `run.json` records a hash of every file the run wrote. A failed run
leaves the last good results alone and keeps its logs in `.dlip/failed/<milestone>/`; a
full disk removes the run's scratch files instead. One run of a milestone at a time: a
second gets "already running" (an flock in `.dlip/locks/`). Scratch folders left by a
killed run are cleaned up (and any process still writing to them stopped) the next time
that milestone runs.

This module orchestrates and reports progress; `process_watch` watches and kills a step's
processes, `run_record` writes what `run.json` says, `run_logs` handles the logs and
`notebook_step` executes a notebook step.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil

try:
    import fcntl
except ImportError:  # Windows: runs are not locked
    fcntl = None  # type: ignore[assignment]

from dlip import atomic
from dlip.publish.discover.milestones import discover_milestones, find_milestone
from dlip.publish.model import Milestone, RunStep
from dlip.publish.project import LOGS_DIRNAME, MILESTONE_CONFIG, Project
from dlip.publish.run import freeze
from dlip.publish.run.logs import cap_log, count_lines, tail_text
from dlip.publish.run.process_watch import (
    ProcessWatch,
    guarded,
    is_child_subreaper,
    kill_adopted,
    kill_writers,
    set_child_subreaper,
    sigterm_as_interrupt,
)
from dlip.publish.run.progress import Progress, format_duration
from dlip.publish.run.record import (
    StepResult,
    display_command,
    distributions_of,
    git_state,
    interpreter_info,
    last_duration,
    run_record,
    step_env,
    write_json,
)

FAILED_DIRNAME = "failed"  # under the project's work dir
FULL_LOGS_DIRNAME = "logs"  # under the project's work dir: untruncated logs of huge output
TMP_PREFIX = ".results-tmp-"
OLD_PREFIX = ".results-old-"
LOCKS_DIRNAME = "locks"  # under the project's work dir: one lock file per milestone
DISK_FULL_BYTES = 1 << 20  # less free space than this after a failed step: the disk is full


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
    with sigterm_as_interrupt():
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
    adopting = not is_child_subreaper() and set_child_subreaper()
    try:
        with Progress(enabled=progress) as reporter:
            return _run_all(project, unique, reporter, cancel, jobs=jobs, force=force)
    finally:
        if adopting:
            set_child_subreaper(False)


def _run_all(
    project: Project,
    unique: list[Milestone],
    reporter: Progress,
    cancel: threading.Event,
    *,
    jobs: int,
    force: bool,
) -> list[RunOutcome]:
    """Run each milestone that needs it, `jobs` at a time."""

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
    """Run every step of one milestone; freeze the results when all of them succeed.

    One run of a milestone at a time (a lock in the work dir); a full disk is a one-line
    failure that removes the run's scratch files and keeps the last good results.
    """
    try:
        with milestone_lock(project, milestone):
            return _run_locked(project, milestone, reporter or Progress(enabled=False),
                               cancel or threading.Event())
    except AlreadyRunning as exc:
        return RunOutcome(milestone, "failed", message=str(exc))


class AlreadyRunning(RuntimeError):
    """Another dlip holds this milestone's run lock."""


@contextmanager
def milestone_lock(project: Project, milestone: Milestone) -> Iterator[None]:
    """Hold `.dlip/locks/<milestone>.lock` (fcntl.flock) for the length of a run.

    The lock goes with the process: a killed run leaves no stale lock behind. Where flock
    does not exist (Windows) runs are not locked.
    """
    if fcntl is None:
        yield
        return
    path = project.work_dir / LOCKS_DIRNAME / f"{milestone.name}.lock"
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise AlreadyRunning(
                f"already running: another `dlip run` holds {_display(project, path)}"
            ) from None
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        yield
    finally:
        os.close(fd)  # releases the lock


def _run_locked(
    project: Project, milestone: Milestone, reporter: Progress, cancel: threading.Event
) -> RunOutcome:
    try:
        clean_scratch(milestone)
        manifest = freeze.input_manifest(project, milestone)
        key = freeze.key_from_manifest(manifest, milestone)
        used = distributions_of(freeze.imported_packages(project, milestone))
        commit, dirty = git_state(project, milestone)  # before the scratch folder exists
        scratch = Path(tempfile.mkdtemp(prefix=f"{TMP_PREFIX}{os.getpid()}-", dir=milestone.path))
        scratch.chmod(0o755)  # mkdtemp makes it private; results are committed and published
    except freeze.InputError as exc:
        return RunOutcome(milestone, "failed", message=f"{MILESTONE_CONFIG}: {exc}")
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
        env = step_env(scratch)
        for index, step in enumerate(milestone.steps, start=1):
            label = f"{milestone.name} [{index}/{len(milestone.steps)}] {step.path}"
            handle = reporter.start(label, last_duration(previous, step))
            result = run_step(milestone, step, index, scratch, env, cancel)
            reporter.finish(handle, result.status)
            results.append(result)
            if result.status != "ok":
                break
        duration = time.monotonic() - started
        failed = next((r for r in results if r.status != "ok"), None)
        if failed is not None:
            if disk_full(scratch):
                shutil.rmtree(scratch, ignore_errors=True)
                return _disk_full_outcome(project, milestone, scratch, duration)
            return _failed_outcome(project, milestone, scratch, failed, duration)
        for result in results:
            full = project.work_dir / FULL_LOGS_DIRNAME / milestone.name / Path(result.log).name
            result.log_truncated = cap_log(scratch / result.log, full)
        outputs = freeze.output_hashes(scratch)
        record = run_record(milestone, key, duration, results, commit, dirty, manifest,
                            outputs=outputs, used=used)
        write_json(scratch / freeze.RUN_RECORD, record)
        _replace_results(milestone, scratch)
    except OSError as exc:
        shutil.rmtree(scratch, ignore_errors=True)
        if exc.errno != errno.ENOSPC:
            raise
        where = exc.filename or scratch
        return _disk_full_outcome(project, milestone, Path(where), time.monotonic() - started)
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


def disk_full(path: Path) -> bool:
    """True when the filesystem holding `path` has (almost) no space left."""
    try:
        return shutil.disk_usage(path).free < DISK_FULL_BYTES
    except OSError:
        return False


def _disk_full_outcome(
    project: Project, milestone: Milestone, where: Path, duration: float
) -> RunOutcome:
    kept = "last good results kept" if milestone.results_dir.exists() else "no results frozen"
    return RunOutcome(
        milestone,
        "failed",
        duration_s=duration,
        message=f"no space left on the device holding {_display(project, where)}; "
        f"the run's scratch files were removed; {kept}",
    )


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
    kernel_info: Path | None = None
    if step.kind == "notebook":
        notebook_rel = step.path  # results/<same relative path>, where the pages look for it
        (scratch / notebook_rel).parent.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix=".kernel-", suffix=".json", dir=scratch.parent)
        os.close(fd)
        kernel_info = Path(name)
        command = [
            sys.executable, "-m", "dlip.publish.run.notebook_step", "--notebook", step.path,
            "--out", str(scratch / notebook_rel), "--timeout", str(step.timeout),
            "--kernel-info", str(kernel_info),
        ]  # fmt: skip
    else:
        command = [sys.executable, step.path, *step.args]
    try:
        result = _run_command(milestone, step, command, scratch, log_rel, env, cancel)
    finally:
        interpreter = _read_kernel_info(kernel_info) if kernel_info else interpreter_info()
    result.interpreter = interpreter
    if result.status == "ok":
        result.notebook = notebook_rel
    return result


def _read_kernel_info(path: Path) -> dict[str, str] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        data = None
    finally:
        path.unlink(missing_ok=True)
    return data if isinstance(data, dict) else None


def _run_command(
    milestone: Milestone,
    step: RunStep,
    command: list[str],
    scratch: Path,
    log_rel: str,
    env: dict[str, str],
    cancel: threading.Event | None,
) -> StepResult:
    started = time.monotonic()
    with open(scratch / log_rel, "wb") as log:
        try:
            proc = subprocess.Popen(
                guarded(command),
                cwd=milestone.path,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        except OSError as exc:
            return StepResult(step, "error", None, 0.0, 0, log_rel, error=str(exc))
        watch = ProcessWatch(proc, guard=True)
        try:
            status = watch.wait(step.timeout, cancel or threading.Event())
        except BaseException:
            watch.kill()
            raise
        finally:
            kill_adopted(env["DLIP_RESULTS_DIR"])  # what escaped a guard killed outright
    lines, size = count_lines(scratch / log_rel)
    return StepResult(
        step,
        status,
        proc.returncode,
        time.monotonic() - started,
        watch.peak_rss,
        log_rel,
        output_lines=lines,
        output_bytes=size,
    )


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
        kill_writers(entry)
        if entry.name.startswith(OLD_PREFIX) and not milestone.results_dir.exists():
            entry.rename(milestone.results_dir)
        else:
            shutil.rmtree(entry, ignore_errors=True)


def _owner_pid(name: str) -> int | None:
    rest = name.removeprefix(TMP_PREFIX).removeprefix(OLD_PREFIX)
    head = rest.split("-", 1)[0]
    return int(head) if head.isdigit() else None


# --- results folder ----------------------------------------------------------------------


def _replace_results(milestone: Milestone, scratch: Path) -> None:
    """Swap the scratch folder in as `results/`: two renames on one filesystem."""
    atomic.replace_dir(milestone.results_dir, scratch, old_prefix=OLD_PREFIX)


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


def _safe_name(rel: str) -> str:
    return "".join(c if c.isalnum() or c in "._-" else "_" for c in rel)


def _megabytes(n: int) -> str:
    return f"{n / 1e6:.0f} MB"


def _display(project: Project, path: Path) -> str:
    try:
        return path.relative_to(project.root).as_posix()
    except ValueError:
        return str(path)


if __name__ == "__main__":  # the notebook step's former address, for runs started before
    from dlip.publish.run.notebook_step import main

    sys.exit(main())
