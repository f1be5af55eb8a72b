"""The roadmap in the repo's README, kept in sync with the milestones (as simonw/til does).

The author marks a place in README.md:

    <!-- roadmap:start -->
    <!-- roadmap:end -->

and `dlip readme` writes between the markers one line per milestone, grouped by section:
its status, its title linked to its folder, and its headline metric from the frozen
results. `dlip check` fails while the block differs from what `dlip readme` would write,
so the README on GitHub never drifts from the code. A README without the markers is left
alone. The site's home page builds its own roadmap, so it drops this block.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

from dlip import atomic
from dlip.publish.discover.milestones import find_readme as find_folder_readme
from dlip.publish.markdown import escape_md
from dlip.publish.model import Milestone, Problem, Severity
from dlip.publish.project import Project

START = "<!-- roadmap:start -->"
END = "<!-- roadmap:end -->"
NOTE = "<!-- Written by `dlip readme` from each milestone.yml; edit those, then run it. -->"
STATUS_WORDS = {"done": "**DONE**", "in-progress": "*in progress*", "planned": "planned"}
NO_SECTION = "Milestones"


def find_readme(project: Project) -> Path | None:
    """The repo's README.md, whatever its case."""
    return find_folder_readme(project.root)


def roadmap_lines(project: Project, milestones: list[Milestone]) -> list[str]:
    """The Markdown between the markers, one milestone a line, grouped by section."""
    from dlip.publish.markdown import md_text
    from dlip.publish.pages.results import format_metric, labelled_metrics, read_metrics

    sections: dict[str, list[Milestone]] = {}
    for m in milestones:
        sections.setdefault(m.section or NO_SECTION, []).append(m)
    lines = [NOTE, ""]
    if not milestones:
        return lines + ["No milestones yet.", ""]
    for section, items in sections.items():
        lines += [f"**{escape_md(section)}**", ""]
        for m in items:
            folder = quote(m.path.relative_to(project.root).as_posix(), safe="/-_.~") + "/"
            parts = [STATUS_WORDS[m.status]] if m.status in STATUS_WORDS else []
            parts.append(f"[{escape_md(m.number)} · {escape_md(m.title)}]({folder})")
            metrics = read_metrics(m) if m.headline else {}
            labelled = [item for item in labelled_metrics(m, metrics) if item.name == m.headline]
            if labelled:
                parts.append(labelled[0].markdown(styled=False))
            elif m.headline and m.headline in metrics:
                value = md_text(format_metric(metrics[m.headline]))
                parts.append(f"{md_text(m.headline)}: **{value}**")
            lines.append("- " + " · ".join(parts))
        lines.append("")
    return lines


def block_span(text: str) -> tuple[int, int] | None:
    """(start, end) offsets of the text between the markers; None without markers.

    Raises ValueError for markers that do not pair up, with a reason for the user.
    """
    starts, ends = text.count(START), text.count(END)
    if starts == 0 and ends == 0:
        return None
    if starts != 1 or ends != 1:
        raise ValueError(f"needs exactly one {START} and one {END}; found {starts} and {ends}")
    begin = text.index(START) + len(START)
    end = text.index(END)
    if end < begin:
        raise ValueError(f"{END} comes before {START}")
    return begin, end


def updated(text: str, lines: list[str]) -> str | None:
    """The README text with a fresh block; None when it has no markers."""
    span = block_span(text)
    if span is None:
        return None
    newline = "\r\n" if "\r\n" in text else "\n"
    block = newline + newline.join(lines) + newline
    return text[: span[0]] + block + text[span[1]:]


def without_block(text: str) -> str:
    """The README without its roadmap block, for the home page (which has its own)."""
    try:
        span = block_span(text)
    except ValueError:
        return text
    if span is None:
        return text
    return text[: span[0] - len(START)] + text[span[1] + len(END):]


def readme_problems(
    project: Project, milestones: list[Milestone], severity: Severity = "error"
) -> list[Problem]:
    """A problem when the README's roadmap block is not what `dlip readme` would write."""
    readme = find_readme(project)
    if readme is None:
        return []
    try:
        text = _read(readme)
        fresh = updated(text, roadmap_lines(project, milestones))
    except ValueError as exc:
        return [Problem(readme, f"roadmap: {exc}", severity)]
    if fresh is None or fresh == text:
        return []
    line = text[: text.index(START)].count("\n") + 1
    return [Problem(readme, "the roadmap block is out of date with the milestones; run "
                            "`dlip readme`", severity, line=line)]


def write_roadmap(project: Project, milestones: list[Milestone]) -> tuple[Path | None, str]:
    """`dlip readme`: rewrite the block in place. (README path, what happened).

    Raises ValueError (with the reason) for markers that do not pair up or a README that
    is not UTF-8; nothing is written then.
    """
    readme = find_readme(project)
    if readme is None:
        return None, "no README.md; nothing to do"
    text = _read(readme)
    fresh = updated(text, roadmap_lines(project, milestones))
    if fresh is None:
        return readme, f"no {START} marker; left as it is"
    if fresh == text:
        return readme, "roadmap already up to date"
    atomic.write_text(readme, fresh)
    return readme, f"roadmap updated ({len(milestones)} milestones)"


def _read(path: Path) -> str:
    """The text as it is, line endings included; ValueError when it is not UTF-8."""
    try:
        with open(path, encoding="utf-8", newline="") as f:
            return f.read()
    except UnicodeDecodeError as exc:
        raise ValueError(f"not valid UTF-8 (byte {exc.start}); not rewritten") from None

