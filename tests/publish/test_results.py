"""The results block of a milestone page: escaped, bounded, honest about staleness."""

from __future__ import annotations

import html
import json
import re
import textwrap
from pathlib import Path

import markdown
import pytest

from dlip.publish.discover.milestones import discover_milestones
from dlip.publish.markdown import escape_md, md_text
from dlip.publish.model import Milestone
from dlip.publish.pages.results import format_metric, read_metrics, results_markdown
from dlip.publish.project import Project
from dlip.publish.run.runner import run_milestones

# What MkDocs always enables, plus what Material sites commonly add.
EXTENSIONS = ["toc", "tables", "fenced_code", "admonition", "pymdownx.details", "attr_list",
              "md_in_html"]


def ran(tmp_path: Path, script: str, yml: str = "") -> tuple[Project, Milestone]:
    """A one-milestone repo whose script has been run and frozen."""
    folder = tmp_path / "code/000_demo"
    folder.mkdir(parents=True)
    (folder / "main.py").write_text(textwrap.dedent(script), encoding="utf-8")
    (folder / "milestone.yml").write_text(f"run:\n  - script: main.py\n{yml}", encoding="utf-8")
    project = Project.at(tmp_path)
    (milestone,), _ = discover_milestones(project)
    (outcome,) = run_milestones(project, [milestone], force=True, progress=False)
    assert outcome.status == "ok", outcome.report()
    return project, milestone


def html_of(text: str) -> str:
    return markdown.markdown(text, extensions=EXTENSIONS)


HOSTILE = """
import json, os
out = os.environ["DLIP_RESULTS_DIR"]
print("<script>alert(1)</script> & <b>bold</b>")
print("\\x1b[32mgreen\\x1b[0m")
print("progress 10%\\rprogress 100%")
json.dump({"<img src=x onerror=alert(1)>": "<script>alert(2)</script>", "acc": 0.912345678,
           "pipes|in|name": 3, "nested": {"no": 1}}, open(os.path.join(out, "metrics.json"), "w"))
open(os.path.join(out, "loss curve.png"), "wb").write(b"png")
open(os.path.join(out, "attention_map.svg"), "w").write("<svg xmlns='http://www.w3.org/2000/svg'/>")
"""


def test_output_and_metrics_are_data_not_html(tmp_path: Path) -> None:
    project, milestone = ran(tmp_path, HOSTILE, "headline: acc\n")
    text = results_markdown(project, milestone, "../results")
    page = html_of(text)
    assert "<script>" not in page and "<img src=x" not in page and "<b>bold" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;" in page
    assert "&lt;script&gt;alert(2)&lt;/script&gt;" in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page
    assert "<td><strong>acc</strong></td>" in page and "<strong>0.9123</strong>" in page
    assert "<td>pipes|in|name</td>" in page
    assert "1 nested entries of metrics.json not shown" in page
    # As a terminal shows it: no colour codes, only the last state of a rewritten line.
    assert "\ngreen\nprogress 100%</code>" in page


def test_figures_and_links_use_the_results_url(tmp_path: Path) -> None:
    project, milestone = ran(tmp_path, HOSTILE)
    page = html_of(results_markdown(project, milestone, "../results/"))
    assert '<img alt="Attention map" src="../results/attention_map.svg" />' in page
    assert '<img alt="Loss curve" src="../results/loss%20curve.png" />' in page
    assert "<figcaption>Loss curve</figcaption>" in page  # each figure with its caption
    assert '<a href="../results/logs/01-main.py.log">full log</a>' in page


def test_long_output_shows_head_and_tail(tmp_path: Path) -> None:
    script = "for i in range(201):\n    print(f'line {i}')\nprint('x' * 5000)\n"
    project, milestone = ran(tmp_path, script)
    page = html_of(results_markdown(project, milestone, "results"))
    shown = [f"line {i}" for i in range(201) if f"line {i}\n" in page or f"line {i}<" in page]
    assert shown == [f"line {i}" for i in range(100)] + [f"line {i}" for i in range(102, 201)]
    assert "… 2 lines not shown; 100 first and 100 last of 202 lines" in page
    assert "x" * 1000 + " … (line cut)" in page and "x" * 1001 not in page


def test_short_output_is_shown_whole_with_provenance(tmp_path: Path) -> None:
    project, milestone = ran(tmp_path, "for i in range(200):\n    print(i)\n")
    text = results_markdown(project, milestone, "results")
    assert "(200 lines, " in text and "not shown" not in text
    page = html_of(text)
    for row in ("Input key", "Run on", "Duration", "Peak memory", "Software", "Machine"):
        assert f"<td>{row}</td>" in page
    assert "Python 3." in page and "CPUs" in page
    assert "Stale" not in page


def test_stale_and_missing_results_say_so(tmp_path: Path) -> None:
    project, milestone = ran(tmp_path, "print('hi')\n")
    (milestone.path / "main.py").write_text("print('changed')\n")
    stale = results_markdown(project, milestone, "results")
    assert "Stale results" in stale and "main.py" in stale and "dlip run 000" in stale
    assert "hi" in stale  # the old output is still shown, under the warning

    (milestone.results_dir / "run.json").unlink()
    missing = results_markdown(project, milestone, "results")
    assert "No results yet" in missing and "dlip run 000" in missing


def test_nothing_to_show_without_steps_or_results(tmp_path: Path) -> None:
    (tmp_path / "code/000_notes").mkdir(parents=True)
    project = Project.at(tmp_path)
    (milestone,), _ = discover_milestones(project)
    assert results_markdown(project, milestone, "results") == ""
    assert read_metrics(milestone) == {}


def test_read_metrics(tmp_path: Path) -> None:
    results = tmp_path / "code/000_x/results"
    results.mkdir(parents=True)
    (results / "metrics.json").write_text(json.dumps({"acc": 0.5, "note": "ok", "deep": [1]}))
    (milestone,), _ = discover_milestones(Project.at(tmp_path))
    assert read_metrics(milestone) == {"acc": 0.5, "note": "ok"}
    (results / "metrics.json").write_text("{broken")
    assert read_metrics(milestone) == {}


def test_md_text_keeps_quotes_readable() -> None:
    cell = md_text("Nielsen's \"x\" <b>|*")
    page = html_of(f"| a |\n| --- |\n| {cell} |")
    assert "<td>Nielsen&#x27;s &quot;x&quot; &lt;b&gt;|*</td>" in page


def test_format_metric() -> None:
    assert format_metric(0.912345678) == "0.9123"
    assert format_metric(0.6881) == "0.6881"
    assert format_metric(12.3456) == "12.35"
    assert format_metric(1.0) == "1"
    assert format_metric(-0.00123456) == "-0.001235"
    assert format_metric(999.96) == "1,000"  # rounds up into the thousands: separated too
    assert format_metric(12345.678) == "12,346"
    assert format_metric(8570457.3) == "8,570,457"
    assert format_metric(5.4321e-07) == "5.4e-07"
    assert format_metric(-3.2e-12) == "-3.2e-12"
    assert format_metric(0.0) == "0"
    assert format_metric(float("nan")) == "nan" and format_metric(float("inf")) == "inf"
    assert format_metric(3) == "3"
    assert format_metric(30003) == "30,003"
    assert format_metric(-1234567) == "-1,234,567"
    assert format_metric(True) == "yes" and format_metric(False) == "no"
    assert format_metric("n/a") == "n/a"
    assert format_metric("1234567") == "1234567"  # a string stays as written


def test_svg_that_could_run_code_is_not_shown(tmp_path: Path) -> None:
    script = """
    import os
    out = os.environ["DLIP_RESULTS_DIR"]
    svg = "<svg xmlns='http://www.w3.org/2000/svg'>{}</svg>"
    open(os.path.join(out, "evil.svg"), "w").write(svg.format("<script>alert(1)</script>"))
    open(os.path.join(out, "handler.svg"), "w").write(svg.format("<rect onload='alert(1)'/>"))
    open(os.path.join(out, "plain.svg"), "w").write(svg.format("<rect width='1'/>"))
    """
    project, milestone = ran(tmp_path, script)
    page = html_of(results_markdown(project, milestone, "results"))
    assert '<img alt="Plain" src="results/plain.svg" />' in page
    assert "evil.svg is not shown" in page and "handler.svg is not shown" in page
    assert 'src="results/evil.svg"' not in page and 'src="results/handler.svg"' not in page


LABELLED = """
import json, os
out = os.environ["DLIP_RESULTS_DIR"]
json.dump({"solve_rate": 1.0, "bpb": 1.8143, "acc": 0.9830000003178915,
           **{f"extra_{i}": i for i in range(20)}}, open(os.path.join(out, "metrics.json"), "w"))
"""
LABELS = """headline: bpb
metrics:
  solve_rate: {label: "{value} of seeds solve XOR", format: percent, better: higher}
  bpb: {label: "Held-out text", format: bits per byte, better: lower}
  acc: {label: "Test accuracy <b>", format: percent}
"""


def test_labelled_metrics_read_as_words_and_the_raw_table_folds_away(tmp_path: Path) -> None:
    from dlip.publish.pages.results import format_as, labelled_metrics

    project, milestone = ran(tmp_path, LABELLED, LABELS)
    items = labelled_metrics(milestone, read_metrics(milestone))
    assert [i.text() for i in items] == [
        "100% of seeds solve XOR, higher is better",
        "Held-out text: 1.81 bits per byte, lower is better",
        "Test accuracy <b>: 98.3%",
    ]
    page = html_of(results_markdown(project, milestone, "../results"))
    assert "<strong>1.81 bits per byte</strong>" in page
    assert "Test accuracy &lt;b&gt;" in page and "<b>" not in page
    folded = page.split('<details class="dlip-all-metrics">', 1)[1]
    assert "All 23 metrics" in folded and "extra_19" in folded
    assert format_as("percent", 0.54) == "54%" and format_as("count", 30003.0) == "30,003"
    assert format_as("ratio", 12.34) == "12.3\u00d7" and format_as("percent", "n/a") == "n/a"


def test_a_metrics_entry_without_label_or_with_unknown_format_is_reported(tmp_path: Path) -> None:
    folder = tmp_path / "code/000_demo"
    folder.mkdir(parents=True)
    (folder / "milestone.yml").write_text(
        "metrics:\n  a: {format: percent}\n  b: {label: B, format: furlongs}\n  c: 3\n")
    (milestone,), problems = discover_milestones(Project.at(tmp_path))
    reasons = [p.reason for p in problems]
    assert any(r.startswith("metrics.a: needs a label") for r in reasons), reasons
    assert any(r.startswith("metrics.b.format: 'furlongs'") for r in reasons), reasons
    assert any(r.startswith("metrics.c: needs a label") for r in reasons), reasons
    assert [s.name for s in milestone.metrics] == ["b"]


@pytest.mark.parametrize("escape", [md_text, escape_md])
def test_escaped_text_is_never_read_as_math_a_link_or_markup(escape) -> None:
    """Escaping `(` as `\\(` once made "(70% planted)" an inline formula under arithmatex."""
    from dlip.publish.site.config import MARKDOWN_EXTENSIONS

    text = "recovered (70% planted) [see](x) \\[a\\] $5$ *not bold* <b>x</b> #1 it's"
    extensions = [name for name in MARKDOWN_EXTENSIONS if name != "dlip.publish.sanitize"]
    page = markdown.markdown(f"<p markdown='span'>{escape(text)}</p>\n\n{escape(text)}",
                             extensions=extensions,
                             extension_configs={k: v for k, v in MARKDOWN_EXTENSIONS.items()
                                                if k in extensions and v})
    assert "arithmatex" not in page and "<a " not in page and "<em>" not in page
    shown = html.unescape(re.sub(r"<[^>]+>", "", page))
    assert shown.count(text) == 2, shown
