"""Frozen results: the input key of a milestone, and whether its committed results match it.

The key (`KEY_VERSION`) is a SHA-256 over what can change a result, and only that:

- the milestone's own files, by relative path and content hash, except Markdown (prose: a
  README typo must not force a long re-run) and `milestone.yml` (its fields that matter
  are hashed as parsed steps below); of a notebook only its code cells count;
- the library modules the milestone imports, found by reading the imports of its Python
  files and notebooks (`imports.scan_imports`), followed through `src/`;
- every file matched by the milestone's declared `inputs` globs (its data);
- the declared steps: kind, path and arguments (not the timeout, title, status, summary
  or headline).

Caches (`__pycache__`, `.ipynb_checkpoints`, `results-local`, ...) are skipped at any depth;
the milestone's own `results/` is never an input (a glob that reaches it is an error).

The key is machine independent: no modification times, no absolute paths, and line endings
are normalised (CRLF hashes as LF), so a checkout on Windows gets the same key as on Linux.

The frozen `run.json` also holds a hash of every file the run wrote (`outputs`): a result
edited, added or deleted by hand after the run makes the results stale, naming the file.
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
from dlip.publish.run.imports import notebook_code, scan_imports

KEY_VERSION = "dlip-freeze-2"
RUN_RECORD = "run.json"
MANIFEST_SECTIONS = ("files", "imports", "inputs")
# Folder names skipped at any depth: caches and the scripts' own local output.
SKIPPED_DIRS = frozenset({"__pycache__", ".ipynb_checkpoints", ".pytest_cache", "results-local"})
# Folder names skipped at the top of a milestone: frozen results and the runner's scratch.
SKIPPED_TOP_DIRS = frozenset({RESULTS_DIRNAME})
SCRATCH_PREFIXES = (".results-tmp-", ".results-old-")
SKIPPED_FILES = ("*.pyc", ".DS_Store")
PROSE_SUFFIXES = (".md", ".markdown")
CONFIG_FILE = "milestone.yml"

_CHUNK = 1 << 20
_digest_cache: dict[tuple[str, str, int, int], str] = {}
_cache_lock = threading.Lock()


class InputError(ValueError):
    """A milestone's declared inputs cannot be a key (they reach its own results)."""


def input_key(project: Project, milestone: Milestone) -> str:
    """The hex key of everything the milestone's run depends on."""
    return key_from_manifest(input_manifest(project, milestone), milestone)


def input_manifest(project: Project, milestone: Milestone) -> dict[str, dict[str, str]]:
    """Content hashes of the milestone's own files, the library it imports, its inputs."""
    own = milestone_files(milestone)
    sources = [path for rel, path in own if path.suffix.lower() in (".py", ".ipynb")]
    scan = scan_imports(project.root, sources, milestone.path)
    return {
        "files": {rel: source_digest(path) for rel, path in own},
        "imports": {rel: file_digest(path) for rel, path in sorted(scan.library.items())},
        "inputs": {
            rel: file_digest(path) for rel, path in declared_input_files(project, milestone)
        },
    }


def key_from_manifest(manifest: Mapping[str, Mapping[str, str]], milestone: Milestone) -> str:
    """The key of a manifest and the milestone's parsed steps (see the module doc)."""
    h = hashlib.sha256()
    h.update(f"{KEY_VERSION}\n".encode())
    for section in MANIFEST_SECTIONS:
        h.update(f"[{section}]\n".encode())
        for rel, digest in sorted(manifest.get(section, {}).items()):
            h.update(f"{rel}\0{digest}\n".encode())
    steps = [[s.kind, s.path, list(s.args)] for s in milestone.steps]
    h.update(b"[steps]\n")
    h.update(json.dumps(steps, separators=(",", ":")).encode())
    return h.hexdigest()


def milestone_files(milestone: Milestone) -> list[tuple[str, Path]]:
    """(relative posix path, path) of every input file inside the milestone folder.

    Markdown and `milestone.yml` at the top are left out: prose and labels change no result.
    """
    return [
        (rel, path)
        for rel, path in _walk(milestone.path, top_level=True)
        if rel != CONFIG_FILE and not rel.lower().endswith(PROSE_SUFFIXES)
    ]


def imported_packages(project: Project, milestone: Milestone) -> list[str]:
    """The top-level names of third-party modules the milestone's code imports (any depth)."""
    own = milestone_files(milestone)
    sources = [path for _, path in own if path.suffix.lower() in (".py", ".ipynb")]
    return sorted(scan_imports(project.root, sources, milestone.path).external)


def declared_input_files(project: Project, milestone: Milestone) -> list[tuple[str, Path]]:
    """(repo-relative posix path, path) of every file matched by the `inputs` globs.

    Raises InputError when a glob reaches the milestone's own results or scratch folders:
    the run's output would be its own input, and the results would be stale forever.
    """
    root = project.root
    found: dict[str, Path] = {}
    for pattern in milestone.inputs:
        for match in sorted(root.glob(pattern)):
            if not is_inside(match, root):
                continue  # a glob or symlink that leads out of the repo is never an input
            if _own_output(milestone, match):
                raise InputError(
                    f"inputs: {pattern!r} includes the milestone's own {RESULTS_DIRNAME}/; "
                    "a run's output cannot be its input (narrow the glob)"
                )
            rel_match = match.relative_to(root)
            if any(part in SKIPPED_DIRS for part in rel_match.parts):
                continue
            if match.is_dir():
                prefix = rel_match.as_posix()
                for rel, path in _walk(match, milestone=milestone):
                    found[f"{prefix}/{rel}" if prefix != "." else rel] = path
            elif match.is_file() and not _skipped_file(match.name):
                found[rel_match.as_posix()] = match
    return sorted(found.items())


def input_problems(project: Project, milestone: Milestone) -> list[Problem]:
    """Errors in what a milestone declares as its inputs (a glob reaching its own results)."""
    try:
        declared_input_files(project, milestone)
    except InputError as exc:
        return [Problem(milestone.path / CONFIG_FILE, str(exc))]
    return []


def file_digest(path: Path) -> str:
    """SHA-256 of a file with CRLF read as LF, cached by (path, mtime, size) in this process."""
    return _cached(path, "raw", _raw_digest)


def source_digest(path: Path) -> str:
    """`file_digest`, except that a notebook counts by its code cells only.

    A notebook that cannot be read as one is hashed as raw bytes: it still changes the key.
    """
    if path.suffix.lower() != ".ipynb":
        return file_digest(path)
    return _cached(path, "code", _notebook_digest)


def output_hashes(results_dir: Path) -> dict[str, str]:
    """Hash of every file a run left in `results/`, `run.json` excepted (links by target)."""
    hashes: dict[str, str] = {}
    if not results_dir.is_dir() or results_dir.is_symlink():
        return hashes
    for dirpath, dirnames, filenames in os.walk(results_dir):
        base = Path(dirpath)
        for name in sorted(dirnames):
            if (base / name).is_symlink():
                filenames.append(name)  # os.walk does not enter it; hash the link itself
        dirnames[:] = sorted(d for d in dirnames if not (base / d).is_symlink())
        for name in sorted(filenames):
            path = base / name
            rel = path.relative_to(results_dir).as_posix()
            if rel == RUN_RECORD:
                continue
            if path.is_symlink():
                target = os.readlink(path)
                hashes[rel] = "link:" + hashlib.sha256(os.fsencode(target)).hexdigest()
            elif path.is_file():
                hashes[rel] = file_digest(path)
    return hashes


def tampered_outputs(milestone: Milestone, record: Mapping[str, Any]) -> str | None:
    """Which files of `results/` differ from what the run recorded, or None."""
    recorded = record.get("outputs")
    if not isinstance(recorded, dict):
        return "results/run.json records no hash of the run's outputs"
    actual = output_hashes(milestone.results_dir)
    changes = []
    for rel in sorted(set(recorded) | set(actual)):
        shown = f"{RESULTS_DIRNAME}/{rel}"
        if rel not in actual:
            changes.append(f"{shown} (deleted)")
        elif rel not in recorded:
            changes.append(f"{shown} (not written by the run)")
        elif recorded[rel] != actual[rel]:
            changes.append(f"{shown} (edited)")
    if not changes:
        return None
    return "results changed after the run: " + _limited(changes)


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
    if record.get("key_version") != KEY_VERSION:
        return (f"frozen under input key {record.get('key_version')!r}; this dlip computes "
                f"{KEY_VERSION!r}")
    tampered = tampered_outputs(milestone, record)
    if tampered:
        return tampered
    try:
        manifest = input_manifest(project, milestone)
    except InputError as exc:
        return str(exc)
    if record.get("key") == key_from_manifest(manifest, milestone):
        return None
    changed = describe_changes(record.get("manifest"), manifest)
    if changed:
        return "inputs changed since the last run: " + changed
    return "the declared steps changed since the last run"


def staleness_of(project: Project, milestones: list[Milestone]) -> dict[str, str | None]:
    """`staleness` of each milestone by name: computed once per build, handed to the pages."""
    return {m.name: staleness(project, m) for m in milestones}


def stale_problems(
    project: Project,
    milestones: list[Milestone],
    reasons: Mapping[str, str | None] | None = None,
) -> list[Problem]:
    """One problem per milestone whose frozen results are missing, failed, edited or out of
    date, plus the errors in declared inputs.

    `reasons` is `staleness_of` when the caller already has it; otherwise it is computed.
    """
    if reasons is None:
        reasons = staleness_of(project, milestones)
    problems = []
    for milestone in milestones:
        declared = input_problems(project, milestone)
        problems += declared
        name = milestone.name
        reason = reasons[name] if name in reasons else staleness(project, milestone)
        if reason is not None and not declared:
            problems.append(
                Problem(
                    milestone.path,
                    f"{reason}; run `dlip run {milestone.number}` and commit "
                    f"{milestone.name}/{RESULTS_DIRNAME}/",
                )
            )
    return problems


def describe_changes(old: Any, new: Mapping[str, Mapping[str, str]], limit: int = 5) -> str:
    """The files that differ between two manifests, as `a.py, b.py (new), ...`."""
    if not isinstance(old, dict):
        return ""
    changes = []
    for section in MANIFEST_SECTIONS:
        before = old.get(section) if isinstance(old.get(section), dict) else {}
        after = new.get(section, {})
        for rel in sorted(set(before) | set(after)):
            if rel not in after:
                changes.append(f"{rel} (removed)")
            elif rel not in before:
                changes.append(f"{rel} (new)")
            elif before[rel] != after[rel]:
                changes.append(rel)
    return _limited(list(dict.fromkeys(changes)), limit)  # a file can be imported and declared


def _limited(items: list[str], limit: int = 5) -> str:
    if len(items) > limit:
        items = items[:limit] + [f"and {len(items) - limit} more"]
    return ", ".join(items)


def _own_output(milestone: Milestone, match: Path) -> bool:
    """True when a matched path is, or holds, the milestone's results or scratch folders."""
    try:
        rel = match.resolve().relative_to(milestone.path.resolve())
    except ValueError:
        return match.is_dir() and is_inside(milestone.path, match)
    if not rel.parts:
        return True  # the milestone folder itself, results included
    return rel.parts[0] in SKIPPED_TOP_DIRS or rel.parts[0].startswith(SCRATCH_PREFIXES)


def _walk(folder: Path, top_level: bool = False, milestone: Milestone | None = None
          ) -> list[tuple[str, Path]]:
    """Files under folder, caches skipped; at the top of a milestone, results and scratch."""
    found = []
    for dirpath, dirnames, filenames in os.walk(folder):
        base = Path(dirpath)
        rel_base = base.relative_to(folder).as_posix()
        dirnames[:] = sorted(
            d
            for d in dirnames
            if d not in SKIPPED_DIRS and not (top_level and rel_base == "." and _is_top_skipped(d))
        )
        if milestone is not None:
            for d in dirnames:
                if _own_output(milestone, base / d):
                    raise InputError(
                        f"inputs: {folder.name}/ holds the milestone's own {RESULTS_DIRNAME}/; "
                        "a run's output cannot be its input (narrow the glob)"
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


def _cached(path: Path, kind: str, compute: Any) -> str:
    stat = path.stat()
    cache_key = (str(path), kind, stat.st_mtime_ns, stat.st_size)
    with _cache_lock:
        cached = _digest_cache.get(cache_key)
    if cached is not None:
        return cached
    digest = compute(path)
    with _cache_lock:
        _digest_cache[cache_key] = digest
    return digest


def _raw_digest(path: Path) -> str:
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
    return h.hexdigest()


def _notebook_digest(path: Path) -> str:
    try:
        code = notebook_code(path)
    except ValueError:
        return _raw_digest(path)
    return "code:" + hashlib.sha256(code.replace("\r\n", "\n").encode("utf-8")).hexdigest()
