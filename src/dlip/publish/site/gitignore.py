"""Keep the build's output out of the learner's git history.

`dlip build` writes `site/` and `.dlip/` into the repo; a learner who commits them by
accident carries megabytes of generated files forever. So the build adds them to the
repo's `.gitignore` (once, with a comment), or says how when it cannot.
"""

from __future__ import annotations

from dlip import atomic
from dlip.publish.project import SITE_DIRNAME, WORK_DIRNAME, Project

ENTRIES = (f"/{SITE_DIRNAME}/", f"/{WORK_DIRNAME}/")
COMMENT = "# written by `dlip build` (the site and its scratch space; never committed)"


def ensure_ignored(project: Project) -> str | None:
    """Add the build folders to the repo's .gitignore; a line for the user, or None when
    there was nothing to do (not a git repo, or already ignored)."""
    if not (project.root / ".git").exists():
        return None
    path = project.root / ".gitignore"
    try:
        text = path.read_text(encoding="utf-8") if path.is_file() else ""
    except (OSError, UnicodeDecodeError):
        return f"note: add {' and '.join(ENTRIES)} to .gitignore (it could not be read)"
    present = {line.strip() for line in text.splitlines()}
    missing = [e for e in ENTRIES if not present & {e, e.strip("/"), e.lstrip("/"), e.rstrip("/")}]
    if not missing:
        return None
    lines = ([] if not text or text.endswith("\n") else [""]) + [COMMENT, *missing, ""]
    try:
        atomic.write_text(path, text + "\n".join(lines))
    except OSError as exc:
        return (f"note: add {' and '.join(missing)} to .gitignore ({exc.strerror or exc}); "
                "the build's output must not be committed")
    return f"added {' and '.join(missing)} to .gitignore"
