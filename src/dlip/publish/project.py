"""Where things live in a repo. One source of truth for every path the publisher uses."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

POSTS_DIRNAME = "daily-blog"
CODE_DIRNAME = "code"
RESULTS_DIRNAME = "results"
LOGS_DIRNAME = "logs"  # inside results/: one log per step
MILESTONE_CONFIG = "milestone.yml"
WORK_DIRNAME = ".dlip"  # scratch space; never committed
SITE_DIRNAME = "site"


@dataclass(frozen=True)
class Project:
    """A learning-in-public repo: ours, or one the publisher has never seen."""

    root: Path

    @classmethod
    def at(cls, path: Path | str = ".") -> Project:
        return cls(Path(path).resolve())

    @property
    def posts_dir(self) -> Path:
        return self.root / POSTS_DIRNAME

    @property
    def code_dir(self) -> Path:
        return self.root / CODE_DIRNAME

    @property
    def work_dir(self) -> Path:
        return self.root / WORK_DIRNAME

    @property
    def site_dir(self) -> Path:
        return self.root / SITE_DIRNAME

    @property
    def user_mkdocs_yml(self) -> Path | None:
        """The repo's own mkdocs.yml, if it has one."""
        path = self.root / "mkdocs.yml"
        return path if path.is_file() else None

    @property
    def docs_dir(self) -> Path:
        """Where pages are generated: `docs/` beside our mkdocs.yml, else the work dir."""
        if self.user_mkdocs_yml is not None:
            return self.root / "docs"
        return self.work_dir / "docs"


def is_inside(path: Path, folder: Path) -> bool:
    """True when the real file (symlinks followed) lives inside `folder`.

    Every check that keeps the publisher from reading or copying outside the repo uses this.
    """
    try:
        path.resolve().relative_to(folder.resolve())
    except ValueError:
        return False
    return True
