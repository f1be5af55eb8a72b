"""Frozen results: the input key of a milestone, and whether its committed results match it.

The key is a SHA-256 over everything a run depends on:

- every file in the milestone folder (results and caches excluded), by relative path and
  content hash;
- every file matched by the milestone's declared `inputs` globs, by repo-relative path;
- the declared steps (kind, path, arguments; not the timeout).

It is machine independent: no modification times, no absolute paths, and line endings are
normalised (CRLF hashes as LF), so a checkout on Windows gets the same key as on Linux.
Results frozen against one `KEY_VERSION` stay valid as long as the algorithm is unchanged.
"""

from __future__ import annotations

import fnmatch
import hashlib
import json
import os
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from dlip.publish.model import Milestone, Problem
from dlip.publish.project import RESULTS_DIRNAME, Project, is_inside

KEY_VERSION = "dlip-freeze-1"
RUN_RECORD = "run.json"
# Folder names skipped at any depth: caches and the scripts' own local output.
SKIPPED_DIRS = frozenset({"__pycache__", ".ipynb_checkpoints", ".pytest_cache", "results-local"})
# Folder names skipped at the top of a milestone: frozen results and the runner's scratch.
SKIPPED_TOP_DIRS = frozenset({RESULTS_DIRNAME})
SCRATCH_PREFIXES = (".results-tmp-", ".results-old-")
SKIPPED_FILES = ("*.pyc", ".DS_Store")

_CHUNK = 1 << 20
_digest_cache: dict[tuple[str, int, int], str] = {}
_cache_lock = threading.Lock()


def input_key(project: Project, milestone: Milestone) -> str:
    """The hex key of everything the milestone's run depends on."""
    return key_from_manifest(input_manifest(project, milestone), milestone)


def input_manifest(project: Project, milestone: Milestone) -> dict[str, dict[str, str]]:
    """Content hashes of the milestone's own files and of its declared inputs."""
    return {
        "files": {rel: file_digest(path) for rel, path in milestone_files(milestone)},
        "inputs": {
            rel: file_digest(path) for rel, path in declared_input_files(project, milestone)
        },
    }


def key_from_manifest(manifest: dict[str, dict[str, str]], milestone: Milestone) -> str:
    h = hashlib.sha256()
    h.update(f"{KEY_VERSION}\n".encode())
    for section in ("files", "inputs"):
        h.update(f"[{section}]\n".encode())
        for rel, digest in sorted(manifest[section].items()):
            h.update(f"{rel}\0{digest}\n".encode())
    steps = [[s.kind, s.path, list(s.args)] for s in milestone.steps]
    h.update(b"[steps]\n")
    h.update(json.dumps(steps, separators=(",", ":")).encode())
    return h.hexdigest()


def milestone_files(milestone: Milestone) -> list[tuple[str, Path]]:
    """(relative posix path, path) of every input file inside the milestone folder."""
    return sorted(_walk(milestone.path, top_level=True))


def declared_input_files(project: Project, milestone: Milestone) -> list[tuple[str, Path]]:
    """(repo-relative posix path, path) of every file matched by the `inputs` globs."""
    root = project.root
    found: dict[str, Path] = {}
    for pattern in milestone.inputs:
        for match in root.glob(pattern):
            if not is_inside(match, root):
                continue  # a glob or symlink that leads out of the repo is never an input
            if match.is_dir():
                prefix = match.relative_to(root).as_posix()
                for rel, path in _walk(match):
                    found[f"{prefix}/{rel}"] = path
            elif match.is_file() and not _skipped_file(match.name):
                found[match.relative_to(root).as_posix()] = match
    return sorted(found.items())


def file_digest(path: Path) -> str:
    """SHA-256 of a file with CRLF read as LF, cached by (path, mtime, size) in this process."""
    stat = path.stat()
    cache_key = (str(path), stat.st_mtime_ns, stat.st_size)
    with _cache_lock:
        cached = _digest_cache.get(cache_key)
    if cached is not None:
        return cached
    h = hashlib.sha256()
    carry = b""
    with path.open("rb") as f:
        while chunk := f.read(_CHUNK):
            block = carry + chunk
            carry = b"\r" if block.endswith(b"\r") else b""
            if carry:
                block = block[:-1]
            h.update(block.replace(b"\r\n", b"\n"))
    h.update(carry)
    digest = h.hexdigest()
    with _cache_lock:
        _digest_cache[cache_key] = digest
    return digest


def read_record(milestone: Milestone) -> dict[str, Any] | None:
    """The frozen `results/run.json`, or None when there is none or it cannot be read."""
    path = milestone.results_dir / RUN_RECORD
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def staleness(project: Project, milestone: Milestone) -> str | None:
    """Why the milestone's frozen results cannot be published as they are, or None."""
    if not milestone.steps:
        return None
    record = read_record(milestone)
    if record is None:
        if (milestone.results_dir / RUN_RECORD).exists():
            return "results/run.json cannot be read"
        return "no frozen results"
    if record.get("status") != "ok":
        return f"the frozen run did not succeed (status {record.get('status')!r})"
    manifest = input_manifest(project, milestone)
    if record.get("key") == key_from_manifest(manifest, milestone):
        return None
    changed = describe_changes(record.get("manifest"), manifest)
    if changed:
        return "inputs changed since the last run: " + changed
    return "the declared steps or inputs changed since the last run"


def staleness_of(project: Project, milestones: list[Milestone]) -> dict[str, str | None]:
    """`staleness` of each milestone by name: computed once per build, handed to the pages."""
    return {m.name: staleness(project, m) for m in milestones}


def stale_problems(
    project: Project,
    milestones: list[Milestone],
    reasons: Mapping[str, str | None] | None = None,
) -> list[Problem]:
    """One problem per milestone whose frozen results are missing, failed or out of date.

    `reasons` is `staleness_of` when the caller already has it; otherwise it is computed.
    """
    if reasons is None:
        reasons = staleness_of(project, milestones)
    problems = []
    for milestone in milestones:
        name = milestone.name
        reason = reasons[name] if name in reasons else staleness(project, milestone)
        if reason is not None:
            problems.append(
                Problem(
                    milestone.path,
                    f"{reason}; run `dlip run {milestone.number}` and commit "
                    f"{milestone.name}/{RESULTS_DIRNAME}/",
                )
            )
    return problems


def describe_changes(old: Any, new: dict[str, dict[str, str]], limit: int = 5) -> str:
    """The files that differ between two manifests, as `a.py, b.py (new), ...`."""
    if not isinstance(old, dict):
        return ""
    changes = []
    for section in ("files", "inputs"):
        before = old.get(section) if isinstance(old.get(section), dict) else {}
        after = new[section]
        for rel in sorted(set(before) | set(after)):
            if rel not in after:
                changes.append(f"{rel} (removed)")
            elif rel not in before:
                changes.append(f"{rel} (new)")
            elif before[rel] != after[rel]:
                changes.append(rel)
    if len(changes) > limit:
        changes = changes[:limit] + [f"and {len(changes) - limit} more"]
    return ", ".join(changes)


def _walk(folder: Path, top_level: bool = False) -> list[tuple[str, Path]]:
    """Files under folder; at the top of a milestone, results and scratch folders are skipped."""
    found = []
    for dirpath, dirnames, filenames in os.walk(folder):
        base = Path(dirpath)
        rel_base = base.relative_to(folder).as_posix()
        dirnames[:] = sorted(
            d
            for d in dirnames
            if d not in SKIPPED_DIRS and not (top_level and rel_base == "." and _is_top_skipped(d))
        )
        for name in sorted(filenames):
            path = base / name
            if _skipped_file(name) or not path.is_file():
                continue
            found.append((name if rel_base == "." else f"{rel_base}/{name}", path))
    return found


def _is_top_skipped(name: str) -> bool:
    return name in SKIPPED_TOP_DIRS or name.startswith(SCRATCH_PREFIXES)


def _skipped_file(name: str) -> bool:
    return any(fnmatch.fnmatchcase(name, pattern) for pattern in SKIPPED_FILES)

