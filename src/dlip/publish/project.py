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


def outside_reason(path: Path, root: Path, where: str = "the repo") -> str | None:
    """Why the publisher must not read or copy `path`; None when it may.

    The one rule for every path the publisher reads or copies (posts, notes, milestone
    folders and their files, logs, results, figures, link targets): its real file, symlinks
    followed to the end, must exist and lie inside `root` (the repo, or a folder of it).
    Callers turn a reason into a `Problem` and skip the path; nothing here raises.
    """
    try:
        real = path.resolve(strict=True)
    except FileNotFoundError:
        if path.is_symlink():
            return "is a link to nothing (a dangling symlink)"
        return "does not exist"
    except (OSError, RuntimeError) as exc:  # a symlink loop, a folder we may not read
        return f"cannot be resolved ({getattr(exc, 'strerror', None) or exc})"
    try:
        real.relative_to(root.resolve())
    except ValueError:
        return f"leads outside {where} (through a symlink or an absolute path)"
    return None


def is_inside(path: Path, folder: Path) -> bool:
    """True when the real file (symlinks followed) exists and lives inside `folder`."""
    return outside_reason(path, folder) is None
