"""The frozen results of a milestone as a Markdown block for its page.

Everything a run produced is data, never markup: output, metric names and values, file
names and provenance are escaped before they reach the page. Long output shows its first
and last lines and links the full log. The block uses only what plain MkDocs renders
(tables and raw HTML), so it needs no Markdown extension.
"""

from __future__ import annotations

import html
import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from dlip.publish.markdown import md_text
from dlip.publish.model import Milestone, Problem, refusal
from dlip.publish.pages import results_md
from dlip.publish.pages.links import page_url
from dlip.publish.project import LOGS_DIRNAME, Project, outside_reason
from dlip.publish.run import freeze
from dlip.publish.run.logs import count_lines
from dlip.publish.run.progress import format_duration
from dlip.publish.run.record import environment_drift
from dlip.publish.sanitize import svg_problem

METRICS_FILE = "metrics.json"
SIGNIFICANT_DIGITS = 4  # of a metric that is not a whole number
SCIENTIFIC_BELOW = 1e-4  # magnitudes this small are written like 5.4e-07
FIGURE_SUFFIXES = (".png", ".svg")
MAX_FULL_LINES = 200  # longer output shows head and tail
COLLAPSE_METRICS_OVER = 12  # a longer raw metrics table is folded away
HEAD_LINES = TAIL_LINES = 100
MAX_LINE_CHARS = 1000
_TAIL_BLOCK = 1 << 16
_TAIL_MAX_BYTES = 4 << 20
_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
_HEX = re.compile(r"[0-9a-f]+")
_SVG_MAX_BYTES = 20 << 20


RESULTS_WHERE = "the milestone's results/ folder"


def readable_result(milestone: Milestone, path: Path) -> bool:
    """True when `path` may be read as a result: the path rule, with results/ as its root.

    The page scan reports what is refused; the results block only leaves it out.
    """
    return outside_reason(path, milestone.results_dir, RESULTS_WHERE) is None


def read_metrics(milestone: Milestone) -> dict[str, Any]:
    """The flat name -> number-or-string mapping in `results/metrics.json`; {} if none."""
    metrics, _ = _load_metrics(milestone)
    return metrics


def format_metric(value: Any) -> str:
    """How a metric value is written everywhere on the site (plain text, not escaped).

    Integers in full with thousands separators (30,003); other numbers to about four
    significant digits (0.6881, 12.35), big ones whole (8,570,457), tiny ones in
    scientific form (5.4e-07); booleans as yes or no; strings as they are.
    """
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        if not math.isfinite(value) or value == 0:
            return f"{value:g}"
        if abs(value) < SCIENTIFIC_BELOW:
            return f"{value:.2g}"
        text = f"{value:.{SIGNIFICANT_DIGITS}g}"
        return f"{value:,.0f}" if "e" in text or abs(float(text)) >= 1000 else text
    return str(value)


def format_as(fmt: str, value: Any) -> str:
    """A metric value in the format `milestone.yml` declares for it (plain text).

    percent: 0.983 -> 98.3%; count: 30003 -> 30,003; bits per byte: 1.8143 -> 1.81 bits
    per byte; seconds: 729.7 -> 12 min 10 s; ratio: 12.34 -> 12.3x; number: `format_metric`.
    Text and yes/no values are shown as `format_metric` writes them, whatever the format.
    """
    if isinstance(value, bool) or not isinstance(value, (int, float)) \
            or not math.isfinite(value):
        return format_metric(value)
    if fmt == "percent":
        pct = value * 100
        text = f"{pct:.0f}" if abs(pct - round(pct)) < 0.05 else f"{pct:.1f}"
        return f"{text}%"
    if fmt == "count":
        return f"{round(value):,}"
    if fmt == "bits per byte":
        return f"{value:.2f} bits per byte" if abs(value) >= 0.1 else f"{value:.3g} bits per byte"
    if fmt == "seconds":
        return format_duration(float(value))
    if fmt == "ratio":
        return f"{value:.3g}\u00d7"
    return format_metric(value)


@dataclass(frozen=True)
class Labelled:
    """One metric as a reader reads it: its label, its formatted value, which way is better."""

    name: str
    label: str
    value: str
    better: str | None = None

    def text(self) -> str:
        """Plain text: "100% of 100 seeds solve XOR" or "Test accuracy: 98.3%, higher is better"."""
        sentence = (self.label.replace("{value}", self.value) if "{value}" in self.label
                    else f"{self.label}: {self.value}")
        return f"{sentence}, {self.better} is better" if self.better else sentence

    def markdown(self, styled: bool = True) -> str:
        """The sentence as Markdown, the value bold, the label never read as markup;
        `styled=False` for places the site's CSS does not reach (the repo's README)."""
        value = f"**{md_text(self.value)}**"
        if "{value}" in self.label:
            sentence = value.join(md_text(part) for part in self.label.split("{value}"))
        else:
            sentence = f"{md_text(self.label)}: {value}"
        if self.better and styled:
            sentence += f' <span class="dlip-better">({self.better} is better)</span>'
        elif self.better:
            sentence += f" ({self.better} is better)"
        return sentence


def labelled_metrics(milestone: Milestone, metrics: Mapping[str, Any]) -> list[Labelled]:
    """The metrics `milestone.yml` labels, in its order, those the frozen run wrote."""
    return [Labelled(spec.name, spec.label, format_as(spec.format, metrics[spec.name]),
                     spec.better)
            for spec in milestone.metrics if spec.name in metrics]


def format_percent(fraction: float) -> str:
    """A fraction as a percentage with two decimals (0.97433 -> 97.43%), for prose."""
    return f"{fraction * 100:.2f}%"


def results_markdown(
    project: Project,
    milestone: Milestone,
    results_url: str,
    rewrite: results_md.Rewrite | None = None,
    stale: Mapping[str, str | None] | None = None,
    problems: list[Problem] | None = None,
) -> str:
    """The results section of a milestone page; `results_url` is where results/ is published.

    Markdown files the run wrote come after the metrics, their links passed through
    `rewrite`. `stale` is the build's `freeze.staleness_of`; without it the milestone's
    staleness is computed here. Returns "" for a milestone that declares nothing to run and
    has no frozen results.
    """
    record = freeze.read_record(milestone)
    if not milestone.steps and record is None:
        return ""
    url = results_url.rstrip("/")
    parts = ["## Results"]
    if stale is not None and milestone.name in stale:
        reason = stale[milestone.name]
    else:
        reason = freeze.staleness(project, milestone)
    notice = _notice(milestone, record, reason)
    if notice:
        parts.append(notice)
    if record is None:
        return "\n\n".join(parts) + "\n"
    metrics, metrics_error = _load_metrics(milestone)
    if metrics or metrics_error:
        parts.append(_metrics_table(milestone, metrics, metrics_error))
    written = results_md.embedded(milestone, rewrite)
    if written:
        parts.append(written)
    figures = _figures(milestone, url)
    if figures:
        parts.append("### Figures\n\n" + "\n\n".join(figures))
    outputs = [_step_output(milestone, step, url, problems)
               for step in record.get("steps") or [] if isinstance(step, dict)]
    outputs = [o for o in outputs if o]
    if outputs:
        parts.append("### Output\n\n" + "\n\n".join(outputs))
    parts.append(_provenance(record))
    return "\n\n".join(parts) + "\n"


# --- sections ----------------------------------------------------------------------------


def _notice(milestone: Milestone, record: dict[str, Any] | None, reason: str | None) -> str:
    if not milestone.steps:
        return _admonition(
            "note",
            "Not re-run",
            "These results were frozen earlier; milestone.yml no longer declares how to run them.",
        )
    if reason is None:
        return ""
    fix = f"Run `dlip run {milestone.number}` to refresh them."
    if record is None:
        return _admonition("warning", "No results yet", f"This milestone has not been run. {fix}")
    return _admonition(
        "warning", "Stale results", f"The results below are out of date: {reason}. {fix}"
    )


def _metrics_table(milestone: Milestone, metrics: dict[str, Any], error: str | None) -> str:
    """The labelled metrics in words first; every metric the run wrote in a table below,
    folded away when there are labelled ones or more than a screenful."""
    lines = ["### Metrics", ""]
    if error:
        lines += [f"*{md_text(error)}*", ""]
    labelled = labelled_metrics(milestone, metrics)
    if labelled:
        lines += [f"- {item.markdown()}" for item in labelled] + [""]
    if not metrics:
        return "\n".join(lines).rstrip()
    rows = []
    for name, value in metrics.items():
        cell, text = html.escape(name), html.escape(format_metric(value))
        if name == milestone.headline:
            cell, text = f"<strong>{cell}</strong>", f"<strong>{text}</strong>"
        rows.append(f"<tr><td>{cell}</td><td>{text}</td></tr>")
    table = ("<table>\n<thead><tr><th>Metric</th><th>Value</th></tr></thead>\n<tbody>\n"
             + "\n".join(rows) + "\n</tbody>\n</table>")
    if labelled or len(metrics) > COLLAPSE_METRICS_OVER:
        table = (f'<details class="dlip-all-metrics">\n<summary>All {len(metrics)} metrics, '
                 f"as the run wrote them</summary>\n{table}\n</details>")
    lines.append(table)
    return "\n".join(lines).rstrip()


def _figures(milestone: Milestone, url: str) -> list[str]:
    results = milestone.results_dir
    found = sorted(
        p
        for p in results.rglob("*")
        if p.suffix.lower() in FIGURE_SUFFIXES
        and readable_result(milestone, p)
        and p.is_file()
        and p.relative_to(results).parts[0] != LOGS_DIRNAME
    )
    figures = []
    for path in found:
        rel = path.relative_to(results).as_posix()
        if not is_safe_figure(path):
            figures.append(f"*{md_text(rel)} is not shown: an SVG with more than drawing in it*")
            continue
        alt = re.sub(r"[-_]+", " ", path.stem).strip() or path.name
        figures.append(figure(f"{url}/{quote(rel)}", alt[:1].upper() + alt[1:], rel))
    return figures


FIGURE_RE = re.compile(r'<figure class="dlip-figure" data-file="(?P<file>[^"]*)"[^>]*>.*?</figure>',
                       re.DOTALL)


def figure(src: str, caption: str, file: str = "") -> str:
    """An image with its caption under it (Material's figure; the lightbox opens it full
    size). `file` names a results/ file, so a page that shows it elsewhere can drop this one."""
    return (f'<figure class="dlip-figure" data-file="{html.escape(file, quote=True)}" '
            f'markdown="span">\n![{md_text(caption)}]({src})\n'
            f"<figcaption>{html.escape(caption)}</figcaption>\n</figure>")


def without_figures(results_md: str, shown: set[str]) -> str:
    """The results block without the gallery figures whose results/ file is in `shown`,
    and without its Figures heading when none is left."""
    text = FIGURE_RE.sub(lambda m: "" if html.unescape(m["file"]) in shown else m.group(0),
                         results_md)
    return re.sub(r"### Figures\n\n\s*(?=###|\Z)", "", re.sub(r"\n{3,}", "\n\n", text))


def is_safe_figure(path: Path) -> bool:
    """False for an SVG that could run code or load from elsewhere when opened on the site's
    own origin: it fails the allowlist of `sanitize.svg_problem` (generate leaves it out)."""
    if path.suffix.lower() != ".svg":
        return True
    try:
        with open(path, "rb") as f:
            data = f.read(_SVG_MAX_BYTES + 1)
    except OSError:
        return False
    return len(data) <= _SVG_MAX_BYTES and svg_problem(data) is None


def _step_output(milestone: Milestone, step: dict[str, Any], url: str,
                 problems: list[Problem] | None = None) -> str:
    log_rel = step.get("log")
    if not isinstance(log_rel, str) or not log_rel.strip():
        return ""
    log = milestone.results_dir / log_rel
    refused = refusal(log, milestone.results_dir, where=RESULTS_WHERE)
    if refused is not None and problems is not None and (log.exists() or log.is_symlink()):
        problems.append(Problem(milestone.results_dir / freeze.RUN_RECORD,
                                f"step log {log_rel!r} {refused.reason}", refused=True))
    if refused is not None or not log.is_file():
        return ""
    command = " ".join(str(c) for c in step.get("command") or [step.get("path", "")])
    total = step.get("output_lines")
    head, tail, total = _head_and_tail(log, total if isinstance(total, int) else None)
    log_name = "log, cut to its head and tail" if step.get("log_truncated") else "full log"
    log_link = f'<a href="{html.escape(url + "/" + quote(log_rel))}">{log_name}</a>'
    if not head:
        body = "<em>(no output)</em>"
    elif tail is None:
        body = _pre(head)
    else:
        omitted = total - len(head) - len(tail)
        body = (
            _pre(head)
            + f"\n<p><em>… {omitted} lines not shown; {len(head)} first and {len(tail)} last "
            f"of {total} lines; see the {log_link}.</em></p>\n" + _pre(tail)
        )
    lines = f"{total} line{'s' if total != 1 else ''}"
    summary = f"Output of <code>{html.escape(command)}</code> ({lines}, {log_link})"
    notebook = step.get("notebook")
    if isinstance(notebook, str) and ".." not in Path(notebook).parts:
        # mkdocs-jupyter publishes `nb.ipynb` as the page `nb/`; raw HTML is not rewritten.
        href = html.escape(url + "/" + quote(page_url(notebook)))
        summary += f'; <a href="{href}">executed notebook</a>'
    return f"<details>\n<summary>{summary}</summary>\n{body}\n</details>"


def _provenance(record: dict[str, Any]) -> str:
    rows = []
    key = str(record.get("key") or "")
    rows.append(("Input key", _code(key[:12]) if key else "unknown"))
    commit = record.get("commit")
    if commit:
        text = _code(str(commit)[:10])
        if record.get("dirty"):
            text += " with uncommitted changes to this milestone"
        rows.append(("Commit", text))
    rows.append(("Run on", md_text(str(record.get("date", "unknown")))))
    duration = record.get("duration_s")
    if isinstance(duration, (int, float)):
        rows.append(("Duration", md_text(_seconds(duration))))
    peak = record.get("peak_memory_bytes")
    if isinstance(peak, (int, float)) and peak > 0:
        rows.append(("Peak memory", f"{peak / 1e6:.0f} MB"))
    versions = [f"Python {record.get('python', '?')}"]
    packages = record.get("packages") if isinstance(record.get("packages"), dict) else {}
    used = record.get("packages_used")
    if isinstance(used, list):  # every package is recorded; the page names those imported
        packages = {name: packages.get(name) for name in used if isinstance(name, str)}
    versions += [f"{name} {v}" for name, v in packages.items() if v]
    rows.append(("Software", md_text(", ".join(versions))))
    drift = environment_drift(record)
    if drift:
        rows.append(("Installed now", md_text(
            "differs from the frozen run: " + ", ".join(drift)
            + "; the results stand as frozen until the milestone is run again")))
    machine = record.get("machine") if isinstance(record.get("machine"), dict) else {}
    if machine:
        text = str(machine.get("platform", ""))
        if machine.get("cpu_count"):
            text += f", {machine['cpu_count']} CPUs"
        rows.append(("Machine", md_text(text)))
    table = "\n".join(f"| {name} | {value} |" for name, value in rows)
    return f"### Provenance\n\n| Run | |\n| --- | --- |\n{table}"


# --- helpers -----------------------------------------------------------------------------


def _code(text: str) -> str:
    """A hex string as inline code; anything else as escaped text."""
    return f"`{text}`" if _HEX.fullmatch(text) else md_text(text)


def _admonition(kind: str, title: str, text: str) -> str:
    # Material styles these classes with or without the admonition extension.
    body = html.escape(text).replace("`", "")
    return (
        f'<div class="admonition {kind}">\n<p class="admonition-title">{html.escape(title)}</p>\n'
        f"<p>{body}</p>\n</div>"
    )


def _pre(lines: list[str]) -> str:
    return "<pre><code>" + html.escape("\n".join(lines)) + "</code></pre>"


def _load_metrics(milestone: Milestone) -> tuple[dict[str, Any], str | None]:
    path = milestone.results_dir / METRICS_FILE
    if not readable_result(milestone, path) or not path.is_file():
        return {}, None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        return {}, f"{METRICS_FILE} cannot be read: {exc}"
    if not isinstance(data, dict):
        return {}, f"{METRICS_FILE} must be a flat mapping of name to value"
    flat = {str(k): v for k, v in data.items() if isinstance(v, (int, float, str, bool))}
    skipped = len(data) - len(flat)
    error = f"{skipped} nested entries of {METRICS_FILE} not shown" if skipped else None
    return flat, error


def _head_and_tail(path: Path, total: int | None) -> tuple[list[str], list[str] | None, int]:
    """First lines, last lines (None when the head is everything) and the line count."""
    head: list[str] = []
    with open(path, "rb") as f:
        for _ in range(MAX_FULL_LINES + 1):
            raw = line = f.readline(MAX_LINE_CHARS * 4)
            if not raw:
                break
            while raw and not raw.endswith(b"\n"):  # a very long line: skip its rest
                raw = f.readline(1 << 16)
            head.append(_clean(line))
    if total is None:
        total = count_lines(path)[0] if len(head) > MAX_FULL_LINES else len(head)
    if len(head) <= MAX_FULL_LINES and total <= MAX_FULL_LINES:
        return head, None, total
    return head[:HEAD_LINES], _tail_lines(path, TAIL_LINES), total


def _tail_lines(path: Path, count: int) -> list[str]:
    with open(path, "rb") as f:
        f.seek(0, 2)
        end = f.tell()
        pos, data = end, b""
        while pos > 0 and data.count(b"\n") <= count and end - pos < _TAIL_MAX_BYTES:
            step = min(_TAIL_BLOCK, pos)
            pos -= step
            f.seek(pos)
            data = f.read(step) + data
    lines = data.split(b"\n")
    if data.endswith(b"\n"):
        lines.pop()
    if pos > 0:
        lines = lines[1:]  # the first line is only part of a line
    return [_clean(line) for line in lines[-count:]]


def _clean(raw: bytes) -> str:
    """One line of output as a terminal would show it: no colour codes, no overwritten text."""
    text = raw.decode("utf-8", errors="replace").rstrip("\r\n")
    text = _ANSI.sub("", text).rsplit("\r", 1)[-1]
    if len(text) > MAX_LINE_CHARS:
        text = text[:MAX_LINE_CHARS] + " … (line cut)"
    return text


def _seconds(value: float) -> str:
    return format_duration(float(value))
