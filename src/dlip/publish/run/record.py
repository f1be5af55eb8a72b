"""What `run.json` records of a run: each step's command, status, time, memory, log and
interpreter (a notebook's kernel included), where it ran (commit, machine), the version of
every installed package, a hash of every file the run wrote, the environment a step runs
in, and the duration the last run took, for progress estimates.

`environment_drift` compares the frozen versions of the packages a milestone imports with
the versions installed now: the page says so, the results do not become stale.
"""

from __future__ import annotations

import json
import os
import platform
import re
import subprocess
import sys
from dataclasses import dataclass
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import Any

from dlip import atomic
from dlip.publish.model import Milestone, RunStep
from dlip.publish.project import RESULTS_DIRNAME, Project
from dlip.publish.run import freeze

RECORD_FORMAT = 2


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
    interpreter: dict[str, str] | None = None  # executable and version; a notebook's kernel

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
        if self.interpreter:
            record["interpreter"] = self.interpreter
        return record


def display_command(step: RunStep) -> list[str]:
    """The command as a reader would type it in the milestone folder."""
    if step.kind == "notebook":
        return ["jupyter", "execute", step.path]
    return ["python", step.path, *step.args]


def run_record(
    milestone: Milestone,
    key: str,
    duration: float,
    results: list[StepResult],
    commit: str | None,
    dirty: bool | None,
    manifest: dict[str, dict[str, str]],
    outputs: dict[str, str] | None = None,
    used: list[str] | None = None,
) -> dict[str, Any]:
    """The `run.json` of a successful run, dated now.

    `outputs` hashes every file the run wrote (`freeze.output_hashes`); `used` names the
    distributions the milestone's code imports, whose versions the page compares later.
    """
    return {
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
        "packages": installed_packages(),
        "packages_used": sorted(used or []),
        "machine": machine_info(),
        "steps": [r.as_record() for r in results],
        "manifest": manifest,
        "outputs": dict(sorted((outputs or {}).items())),
    }


def installed_packages() -> dict[str, str]:
    """Name -> version of every distribution installed in this interpreter's environment."""
    found: dict[str, str] = {}
    for dist in metadata.distributions():
        name = dist.metadata["Name"] if dist.metadata else None
        if name:
            found.setdefault(_canonical(name), dist.version)
    return dict(sorted(found.items()))


def distributions_of(modules: list[str]) -> list[str]:
    """The installed distributions that provide these top-level module names."""
    mapping = metadata.packages_distributions()
    names = {_canonical(d) for module in modules for d in mapping.get(module, [])}
    return sorted(names)


def environment_drift(record: dict[str, Any]) -> list[str]:
    """`name frozen (now X)` for each package the run imported whose installed version differs.

    The Python version counts as the package `python`. Empty when the record predates this.
    """
    drift = []
    frozen_python = record.get("python")
    if isinstance(frozen_python, str) and frozen_python != platform.python_version():
        drift.append(f"python {frozen_python} (now {platform.python_version()})")
    packages = record.get("packages")
    used = record.get("packages_used")
    if not isinstance(packages, dict) or not isinstance(used, list):
        return drift
    for name in used:
        if not isinstance(name, str):
            continue
        frozen = packages.get(name)
        now = package_version(name)
        if frozen != now:
            drift.append(f"{name} {frozen or 'absent'} (now {now or 'not installed'})")
    return drift


def interpreter_info(executable: str | None = None) -> dict[str, str]:
    """The interpreter a step ran in: this one unless `executable` names another."""
    if executable is None or Path(executable) == Path(sys.executable):
        return {"executable": sys.executable, "version": platform.python_version()}
    try:
        out = subprocess.run(
            [executable, "-c", "import platform, sys; print(sys.executable); "
             "print(platform.python_version())"],
            capture_output=True, text=True, timeout=30, check=True,
        )  # fmt: skip
        exe, version = out.stdout.split()[:2]
    except (OSError, ValueError, subprocess.SubprocessError):
        return {"executable": executable, "version": "unknown"}
    return {"executable": exe, "version": version}


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def step_env(scratch: Path) -> dict[str, str]:
    """The environment every step runs in: where results go, fixed seeds, no GUI backend."""
    env = dict(os.environ)
    env.update(
        DLIP_RESULTS_DIR=str(scratch),
        DLIP_SEED="0",
        MPLBACKEND="Agg",
        PYTHONHASHSEED="0",
        PYTHONUNBUFFERED="1",
    )
    return env


def last_duration(previous: dict[str, Any] | None, step: RunStep) -> float | None:
    """How long this step took in the last frozen run, for the progress estimate."""
    if not previous:
        return None
    for entry in previous.get("steps") or []:
        if isinstance(entry, dict) and entry.get("path") == step.path:
            value = entry.get("duration_s")
            return float(value) if isinstance(value, (int, float)) else None
    return None


def git_state(project: Project, milestone: Milestone) -> tuple[str | None, bool | None]:
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


def package_version(package: str) -> str | None:
    """The installed version of a distribution, or None."""
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


def machine_info() -> dict[str, Any]:
    return {
        "platform": platform.platform(),
        "machine": platform.machine(),
        "cpu_count": os.cpu_count(),
    }


def write_json(path: Path, data: dict[str, Any]) -> None:
    """Write `data` as indented JSON, atomically."""
    atomic.write_text(path, json.dumps(data, indent=2, sort_keys=False) + "\n")
