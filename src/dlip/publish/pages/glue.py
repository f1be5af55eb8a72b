"""Live metrics in prose: `{{ metric 000 solve_rate_2_4_1 }}` becomes the frozen value.

Posts, READMEs and notes quote a milestone's numbers by name instead of copying them, so
the text follows the code when it is re-run. The value comes from the milestone's frozen
`results/metrics.json`, written by `results.format_metric` like everywhere else on the site
(or as a percentage: `{{ metric 001 fashion_cnn_accuracy percent }}`),
inside a small marked span whose tooltip names the milestone and the date of its run.

A glue that names no milestone or no metric stays as it was written: `dlip build` warns,
`dlip check` fails, both naming the file and line. Code blocks and inline code are left
alone, so a post can show the syntax itself.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dlip.publish.markdown import markdown_lines, outside_code_spans
from dlip.publish.model import Milestone, Problem, Severity

GLUE_RE = re.compile(r"\{\{\s*metric\b(?P<inside>[^{}\n]*)\}\}")
CSS_CLASS = "dlip-metric"


@dataclass
class _Frozen:
    metrics: dict[str, Any]
    run_date: str | None


@dataclass
class Glue:
    """Fills glue from the frozen results of these milestones (each read once)."""

    milestones: list[Milestone]
    _frozen: dict[str, _Frozen] = field(default_factory=dict, repr=False)

    def fill(
        self,
        text: str,
        source: Path,
        problems: list[Problem],
        severity: Severity = "warning",
        first_line: int | None = 1,
    ) -> str:
        """`text` with every glue replaced; one problem per glue that cannot be filled.

        `first_line` is the file line `text` starts on, so problems point at the file;
        None when `text` is the tail of the file (a post's body): it is found when needed.
        """
        if "{{" not in text:
            return text
        out = []
        for index, (line, is_code) in enumerate(markdown_lines(text)):
            if is_code or "{{" not in line:
                out.append(line)
                continue

            def replace(m: re.Match[str], index: int = index) -> str:
                filled, reason = self.value(m["inside"])
                if filled is None:
                    start = first_line or text_start_line(source, text)
                    problems.append(Problem(source, f"{m.group(0)}: {reason}", severity,
                                            line=start + index))
                    return m.group(0)
                return filled

            out.append(outside_code_spans(line, lambda part: GLUE_RE.sub(replace, part)))
        return "".join(out)

    def value(self, inside: str) -> tuple[str | None, str]:
        """(the HTML for `metric <milestone> <name>`, "") or (None, why it cannot be filled)."""
        from dlip.publish.discover.milestones import find_milestone
        from dlip.publish.markdown import md_text
        from dlip.publish.pages.results import format_metric, format_percent

        words = inside.split()
        if len(words) not in (2, 3) or words[2:] not in ([], ["percent"]):
            return None, ("write it as {{ metric <milestone number or folder> <metric name> }}"
                          ", with `percent` after the name to show a fraction as a percentage")
        wanted, name = words[:2]
        as_percent = len(words) == 3
        try:
            milestone = find_milestone(self.milestones, wanted)
        except LookupError as exc:
            return None, str(exc)
        frozen = self._read(milestone)
        if name not in frozen.metrics:
            if not frozen.metrics:
                return None, (f"{milestone.name} has no frozen metrics; run "
                              f"`dlip run {milestone.number}` first")
            return None, (f"{milestone.name} has no metric {name!r} in results/metrics.json "
                          f"(it has {_some(frozen.metrics)})")
        raw = frozen.metrics[name]
        if as_percent and (isinstance(raw, bool) or not isinstance(raw, int | float)):
            return None, f"{name} is {raw!r}, not a number to show as a percentage"
        shown = format_percent(raw) if as_percent else format_metric(raw)
        source = f"{name} from {milestone.name}"
        rounded = f"{raw:.6g}" if isinstance(raw, float) else ""
        if rounded and rounded != shown:  # more digits than the page shows, never float noise
            source = f"{name} = {rounded} from {milestone.name}"
        if frozen.run_date:
            source += f", run {frozen.run_date}"
        title = html.escape(f"Live metric: {source}", quote=True)
        value = md_text(shown)
        return f'<span class="{CSS_CLASS}" title="{title}">{value}</span>', ""

    def _read(self, milestone: Milestone) -> _Frozen:
        from dlip.publish.pages.results import read_metrics
        from dlip.publish.run.freeze import read_record

        frozen = self._frozen.get(milestone.name)
        if frozen is None:
            record = read_record(milestone) or {}
            run_date = str(record["date"])[:10] if record.get("date") else None
            frozen = self._frozen[milestone.name] = _Frozen(read_metrics(milestone), run_date)
        return frozen


def text_start_line(path: Path, text: str) -> int:
    """The line of `path` where `text`, the tail of the file (a post's body), begins."""
    try:
        whole = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError):
        return 1
    if not text or not whole.endswith(text):
        return 1
    return whole[: len(whole) - len(text)].count("\n") + 1


def _some(metrics: dict[str, Any], limit: int = 8) -> str:
    names = sorted(metrics)
    shown = ", ".join(names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")
