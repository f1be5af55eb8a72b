"""Find milestone folders and read their optional `milestone.yml`.

A milestone is a folder named `<2-3 digits>_<slug>`, under `code/` or, in repos without a
`code/` folder, at the top level. Everything wrong with a `milestone.yml` is collected as a
`Problem` naming the field, so `dlip check` can list every mistake in one pass.
"""

from __future__ import annotations

import math
import re
from pathlib import Path, PurePosixPath
from typing import Any

import yaml

from dlip.publish.model import METRIC_FORMATS, MetricSpec, Milestone, Problem, RunStep, refusal
from dlip.publish.project import MILESTONE_CONFIG, Project, outside_reason

FOLDER_RE = re.compile(r"^(?P<number>\d{2,3})_(?P<slug>[^/\\]+)$")
STATUSES = ("planned", "in-progress", "done")
DEFAULT_TIMEOUT = RunStep.__dataclass_fields__["timeout"].default
KNOWN_FIELDS = ("title", "section", "status", "summary", "run", "inputs", "headline",
                "metrics")
METRIC_FIELDS = ("label", "format", "better")
STEP_FIELDS = ("script", "notebook", "args", "timeout")
# Folders that are never milestones even when they happen to match the pattern.
SKIPPED_PREFIXES = (".", "_")


def discover_milestones(project: Project) -> tuple[list[Milestone], list[Problem]]:
    """Every milestone folder of the repo, sorted by number, and every problem found."""
    problems: list[Problem] = []
    base = project.code_dir if project.code_dir.is_dir() else project.root
    milestones = []
    refused = refusal(base, project.root)
    if refused is not None:
        return [], [refused]
    for folder in sorted(base.iterdir()):
        if folder.name.startswith(SKIPPED_PREFIXES):
            continue
        refused = refusal(folder, project.root)
        if refused is not None:
            if base == project.code_dir or FOLDER_RE.match(folder.name):
                problems.append(refused)
            continue
        if not folder.is_dir():
            continue
        if FOLDER_RE.match(folder.name) is None:
            if base == project.code_dir:
                problems.append(
                    Problem(
                        folder,
                        "folder is not named <number>_<slug> (like 000_neural-network-xor); "
                        "it is not published as a milestone",
                        severity="warning",
                    )
                )
            continue
        milestone, found = read_milestone(project, folder)
        milestones.append(milestone)
        problems.extend(found)
    milestones.sort(key=lambda m: (int(m.number), m.name))
    problems.extend(_duplicate_numbers(milestones))
    return milestones, problems


def find_milestone(milestones: list[Milestone], name_or_number: str) -> Milestone:
    """The milestone called by folder name ("000_xor") or number ("000", "0")."""
    wanted = name_or_number.strip().rstrip("/").split("/")[-1]
    exact = [m for m in milestones if m.name == wanted]
    if exact:
        return exact[0]
    matches = []
    if wanted.isdigit():
        matches = [m for m in milestones if int(m.number) == int(wanted)]
    available = ", ".join(m.name for m in milestones) or "none found"
    if len(matches) == 1:
        return matches[0]
    if len(matches) > 1:
        names = ", ".join(m.name for m in matches)
        raise LookupError(
            f"milestone {name_or_number!r} is ambiguous: {names}; use the folder name"
        )
    raise LookupError(f"no milestone {name_or_number!r}; available: {available}")


def find_readme(folder: Path, root: Path | None = None) -> Path | None:
    """The folder's README, whatever its case (README.md, README.MD, readme.md); one that
    leads outside `root` (the folder itself unless given) is never read."""
    candidates = sorted(
        p for p in folder.iterdir() if p.name.lower() == "readme.md"
        and outside_reason(p, root or folder) is None and p.is_file()
    )
    return candidates[0] if candidates else None


def read_milestone(project: Project, folder: Path) -> tuple[Milestone, list[Problem]]:
    """One milestone folder as data, with the problems of its `milestone.yml`."""
    match = FOLDER_RE.match(folder.name)
    if match is None:
        raise ValueError(f"{folder} is not a milestone folder name")
    number, slug = match["number"], match["slug"]
    title = _readme_title(folder, project.root) or _title_from_slug(slug)
    config_path = folder / MILESTONE_CONFIG
    refused = refusal(config_path, project.root) if config_path.is_symlink() else None
    if refused is not None or not config_path.is_file():
        milestone = Milestone(path=folder, number=number, slug=slug, title=title)
        return milestone, [refused] if refused is not None else []

    config, problems = _load_yaml(config_path)
    if config is None:
        return Milestone(
            path=folder, number=number, slug=slug, title=title, has_config=True
        ), problems
    check = _Checker(project, folder, config_path, problems)
    for unknown in sorted(set(config) - set(KNOWN_FIELDS), key=str):
        check.problem(
            f"unknown field {unknown!r} (known: {', '.join(KNOWN_FIELDS)})", severity="warning"
        )
    status = check.choice(config, "status")
    steps = check.steps(config.get("run"))
    milestone = Milestone(
        path=folder,
        number=number,
        slug=slug,
        title=check.text(config, "title") or title,
        section=check.text(config, "section"),
        status=status,  # type: ignore[arg-type]
        summary=check.text(config, "summary"),
        steps=steps,
        inputs=check.inputs(config.get("inputs")),
        headline=check.text(config, "headline"),
        metrics=check.metrics(config.get("metrics")),
        has_config=True,
    )
    return milestone, problems


def _load_yaml(path: Path) -> tuple[dict[str, Any] | None, list[Problem]]:
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        return None, [Problem(path, f"not valid UTF-8 (byte {exc.start})")]
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        what = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        return None, [Problem(path, f"invalid YAML: {what}", line=line)]
    if data is None:
        return {}, []
    if not isinstance(data, dict):
        return None, [Problem(path, f"must be a mapping of fields, not {_kind(data)}")]
    return data, []


class _Checker:
    """Validates fields one by one, recording a problem for each bad one."""

    def __init__(self, project: Project, folder: Path, path: Path, problems: list[Problem]):
        self.project = project
        self.folder = folder
        self.path = path
        self.problems = problems

    def problem(self, reason: str, severity: str = "error") -> None:
        self.problems.append(Problem(self.path, reason, severity=severity))  # type: ignore[arg-type]

    def text(self, config: dict[str, Any], field: str) -> str | None:
        value = config.get(field)
        if value is None:
            return None
        if not isinstance(value, str) or not value.strip():
            self.problem(f"{field}: must be non-empty text, not {_kind(value)}")
            return None
        return value.strip()

    def metrics(self, value: Any) -> tuple[MetricSpec, ...]:
        """`metrics:` as a mapping of metric name to {label, format, better}."""
        if value is None:
            return ()
        if not isinstance(value, dict):
            self.problem("metrics: must map metric names to {label, format, better}, "
                         f"not {_kind(value)}")
            return ()
        specs = []
        for name, entry in value.items():
            where = f"metrics.{name}"
            if not isinstance(entry, dict) or not isinstance(entry.get("label"), str) \
                    or not entry["label"].strip():
                self.problem(f"{where}: needs a label, like {{label: test accuracy, "
                             f"format: percent, better: higher}}")
                continue
            for unknown in sorted(set(entry) - set(METRIC_FIELDS), key=str):
                self.problem(f"{where}: unknown field {unknown!r} "
                             f"(known: {', '.join(METRIC_FIELDS)})", severity="warning")
            fmt = entry.get("format", "number")
            if fmt not in METRIC_FORMATS:
                self.problem(f"{where}.format: {fmt!r} is not one of {', '.join(METRIC_FORMATS)}")
                fmt = "number"
            better = entry.get("better")
            if better not in (None, "higher", "lower"):
                self.problem(f"{where}.better: {better!r} is not higher or lower")
                better = None
            specs.append(MetricSpec(str(name), entry["label"].strip(), fmt, better))
        return tuple(specs)

    def choice(self, config: dict[str, Any], field: str) -> str | None:
        value = config.get(field)
        if value is None:
            return None
        if value not in STATUSES:
            self.problem(f"{field}: {value!r} is not one of {', '.join(STATUSES)}")
            return None
        return value

    def steps(self, value: Any) -> tuple[RunStep, ...]:
        if value is None:
            return ()
        if not isinstance(value, list):
            self.problem(
                f"run: must be a list of entries like '- script: train.py', not {_kind(value)}"
            )
            return ()
        steps = [self.step(i, entry) for i, entry in enumerate(value, start=1)]
        if any(s is None for s in steps):
            return ()  # never run half of what the author declared
        return tuple(s for s in steps if s is not None)

    def step(self, index: int, entry: Any) -> RunStep | None:
        where = f"run[{index}]"
        if not isinstance(entry, dict):
            self.problem(f"{where}: must be a mapping like 'script: train.py', not {_kind(entry)}")
            return None
        ok = True
        for unknown in sorted(set(entry) - set(STEP_FIELDS), key=str):
            self.problem(f"{where}: unknown field {unknown!r} (known: {', '.join(STEP_FIELDS)})")
            ok = False
        kinds = [k for k in ("script", "notebook") if k in entry]
        if len(kinds) != 1:
            self.problem(
                f"{where}: needs exactly one of 'script' or 'notebook', found {len(kinds)}"
            )
            return None
        kind = kinds[0]
        rel = entry[kind]
        if not isinstance(rel, str) or not rel.strip():
            self.problem(f"{where}.{kind}: must be a file name, not {_kind(rel)}")
            return None
        if not _stays_inside(rel):
            self.problem(f"{where}.{kind}: {rel!r} must be a path inside the milestone folder")
            return None
        if not (self.folder / rel).is_file():
            self.problem(f"{where}.{kind}: file {rel!r} not found in {self.folder.name}/")
            ok = False
        elif kind == "notebook" and not rel.endswith(".ipynb"):
            self.problem(f"{where}.notebook: {rel!r} is not a .ipynb file")
            ok = False
        args = entry.get("args", [])
        if not isinstance(args, list) or not all(isinstance(a, str) for a in args):
            self.problem(
                f'{where}.args: must be a list of strings (quote numbers: [--epochs, "10"]), '
                f"got {args!r}"
            )
            ok = False
        elif kind == "notebook" and args:
            self.problem(f"{where}.args: notebooks take no arguments")
            ok = False
        timeout = entry.get("timeout", DEFAULT_TIMEOUT)
        if (isinstance(timeout, bool) or not isinstance(timeout, (int, float))
                or not math.isfinite(timeout) or timeout <= 0):  # .nan would disable the limit
            self.problem(f"{where}.timeout: must be a positive number of seconds, got {timeout!r}")
            ok = False
        if not ok:
            return None
        return RunStep(kind=kind, path=rel, args=tuple(args), timeout=float(timeout))

    def inputs(self, value: Any) -> tuple[str, ...]:
        if value is None:
            return ()
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list):
            self.problem(
                f"inputs: must be a list of globs like 'src/dlip/gpt/**', not {_kind(value)}"
            )
            return ()
        globs = []
        for i, pattern in enumerate(value, start=1):
            if not isinstance(pattern, str) or not pattern.strip():
                self.problem(f"inputs[{i}]: must be a glob string, not {_kind(pattern)}")
            elif not _stays_inside(pattern):
                self.problem(f"inputs[{i}]: {pattern!r} points outside the repo")
            else:
                globs.append(pattern.strip())
                if not _glob_matches_something(self.project.root, pattern.strip()):
                    self.problem(f"inputs[{i}]: {pattern!r} matches no file", severity="warning")
        return tuple(globs)


def _stays_inside(rel: str) -> bool:
    """True for a relative path that cannot climb out of the folder it is relative to."""
    if "\\" in rel or rel.startswith("~"):
        return False
    path = PurePosixPath(rel)
    return not path.is_absolute() and ".." not in path.parts


def _glob_matches_something(root: Path, pattern: str) -> bool:
    return any(p.is_file() or p.is_dir() for p in root.glob(pattern))


def _duplicate_numbers(milestones: list[Milestone]) -> list[Problem]:
    problems = []
    by_number: dict[int, list[Milestone]] = {}
    for m in milestones:
        by_number.setdefault(int(m.number), []).append(m)
    for group in by_number.values():
        if len(group) > 1:
            names = ", ".join(m.name for m in group)
            problems.append(
                Problem(
                    group[1].path,
                    f"number {group[0].number} is used by several milestones ({names}); "
                    "refer to them by folder name",
                    severity="warning",
                )
            )
    return problems


def _readme_title(folder: Path, root: Path) -> str | None:
    """The README's first heading, unless it says nothing ("Check out the Video")."""
    readme = find_readme(folder, root)
    heading = first_heading(readme) if readme is not None else None
    return None if heading is None or GENERIC_HEADING_RE.match(heading) else heading


# First headings that say nothing about the page ("Check out the Video" in a README): the
# folder's name is a better title for a milestone, a note folder or the site.
GENERIC_HEADING_RE = re.compile(
    r"^(?:readme|read me|index|overview|introduction|intro|contents|table of contents|toc|"
    r"notes|about|untitled|home|todo|(?:check out|watch) (?:the|my) video.*|demo|video)\W*$",
    re.IGNORECASE,
)


def first_heading(path: Path) -> str | None:
    """The text of the file's first `# ` heading; None without one (or when it is empty)."""
    try:
        with path.open(encoding="utf-8", errors="replace") as f:
            for line in f:
                if line.startswith("# "):
                    return line[2:].strip().strip("#").strip() or None
    except OSError:
        return None
    return None


def _title_from_slug(slug: str) -> str:
    words = re.sub(r"[-_]+", " ", slug).strip()
    return words[:1].upper() + words[1:] if words else slug


def _kind(value: Any) -> str:
    if value is None or value == "":
        return "empty"
    return {dict: "a mapping", list: "a list", str: "text", bool: "true/false"}.get(
        type(value), type(value).__name__
    )
