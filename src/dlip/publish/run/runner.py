"""Run milestones in subprocesses and freeze their results.

Each declared step runs with the milestone folder as its working directory, in a session of
its own, so a timeout can kill the whole process group, children included. Output goes
straight to a log file on disk, never into memory. Everything a run writes lands in a scratch
folder `code/NNN_slug/.results-tmp-<pid>-<random>/` next to `results/`; only a run whose
every step succeeded replaces `results/`, by rename on the same filesystem. A failed run
leaves the last good results alone and keeps its logs in `.dlip/failed/<milestone>/`.
Scratch folders left by a killed run are cleaned up (and any process still writing to them
stopped) the next time that milestone runs.

This module orchestrates and reports progress; `process_watch` watches and kills a step's
processes, `run_record` writes what `run.json` says, `run_logs` handles the logs and
`notebook_step` executes a notebook step.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil

from dlip import atomic
from dlip.publish.discover.milestones import discover_milestones, find_milestone
from dlip.publish.model import Milestone, RunStep
from dlip.publish.project import LOGS_DIRNAME, Project
from dlip.publish.run import freeze
from dlip.publish.run.logs import cap_log, count_lines, tail_text
from dlip.publish.run.process_watch import ProcessWatch, kill_writers, sigterm_as_interrupt
from dlip.publish.run.progress import Progress, format_duration
from dlip.publish.run.record import (
    StepResult,
    display_command,
    git_state,
    last_duration,
    run_record,
    step_env,
    write_json,
)

FAILED_DIRNAME = "failed"  # under the project's work dir
FULL_LOGS_DIRNAME = "logs"  # under the project's work dir: untruncated logs of huge output
TMP_PREFIX = ".results-tmp-"
OLD_PREFIX = ".results-old-"


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
        commit, dirty = git_state(project, milestone)  # before the scratch folder exists
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
            return _failed_outcome(project, milestone, scratch, failed, duration)
        for result in results:
            full = project.work_dir / FULL_LOGS_DIRNAME / milestone.name / Path(result.log).name
            result.log_truncated = cap_log(scratch / result.log, full)
        record = run_record(milestone, key, duration, results, commit, dirty, manifest)
        write_json(scratch / freeze.RUN_RECORD, record)
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
            sys.executable, "-m", "dlip.publish.run.notebook_step", "--notebook", step.path,
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
        watch = ProcessWatch(proc)
        try:
            status = watch.wait(step.timeout, cancel or threading.Event())
        except BaseException:
            watch.kill()
            raise
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
        notebook=notebook_rel if status == "ok" else None,
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
