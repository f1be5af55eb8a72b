"""Plain data objects that every stage of the publisher passes around."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Literal

from dlip.publish.project import RESULTS_DIRNAME, outside_reason

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the input, named by file (and line or field when known)."""

    path: Path
    reason: str
    severity: Severity = "error"
    line: int | None = None
    # Refused by the path rule (`project.outside_reason`): `check` fails, `build` warns.
    refused: bool = False

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else str(self.path)
        return f"{self.severity}: {where}: {self.reason}"


def refusal(path: Path, root: Path, severity: Severity = "error",
            where: str = "the repo") -> Problem | None:
    """The problem of reading `path` under the one path rule, or None when it may be read."""
    reason = outside_reason(path, root, where)
    if reason is None:
        return None
    return Problem(path, f"{reason}; refused, not published", severity, refused=True)


@dataclass(frozen=True)
class Post:
    """A daily post: `daily-blog/YYYY-MM-DD - Title.md`."""

    path: Path  # absolute path of the source file
    date: date  # from the filename
    title: str  # from the first `# ` heading, else from the filename
    slug: str  # unique across posts; used in the post's URL
    body: str  # Markdown without front matter (and without the title heading)
    tags: tuple[str, ...] = ()
    milestone: str | None = None  # folder name of the milestone it talks about, if any
    draft: bool = False
    summary: str | None = None


METRIC_FORMATS = ("number", "percent", "count", "bits per byte", "seconds", "ratio")


@dataclass(frozen=True)
class MetricSpec:
    """How a reader sees one metric: `milestone.yml`'s `metrics: {name: {label, format, better}}`.

    `label` is the words ("MNIST test accuracy"), or a sentence holding `{value}`
    ("{value} of 100 seeds solve XOR"); `format` one of METRIC_FORMATS; `better` says which
    way is good ("higher", "lower", or None when neither is).
    """

    name: str
    label: str
    format: str = "number"
    better: Literal["higher", "lower"] | None = None


@dataclass(frozen=True)
class RunStep:
    """One declared entry point of a milestone, run in order."""

    kind: Literal["script", "notebook"]
    path: str  # relative to the milestone folder
    args: tuple[str, ...] = ()
    timeout: float = 600.0


@dataclass(frozen=True)
class Milestone:
    """A folder `code/<number>_<slug>/`, with or without `milestone.yml`."""

    path: Path  # absolute path of the folder
    number: str  # as written in the folder name: "000", "05"
    slug: str  # the part after the underscore
    title: str
    section: str | None = None
    status: Literal["planned", "in-progress", "done"] | None = None
    summary: str | None = None
    steps: tuple[RunStep, ...] = ()
    inputs: tuple[str, ...] = ()  # extra globs, relative to the repo root
    headline: str | None = None  # metric name shown on the roadmap
    metrics: tuple[MetricSpec, ...] = ()  # labelled headline metrics, in the order declared
    has_config: bool = False

    @property
    def name(self) -> str:
        """The folder name, which is how users and the CLI refer to a milestone."""
        return self.path.name

    @property
    def results_dir(self) -> Path:
        return self.path / RESULTS_DIRNAME


@dataclass
class Inventory:
    """Everything discovered in a repo, plus every problem found on the way."""

    posts: list[Post] = field(default_factory=list)
    milestones: list[Milestone] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    # Posts not published for errors of their own; `check` still reports their links.
    rejected: list[Post] = field(default_factory=list)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]
