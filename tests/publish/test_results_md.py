"""Markdown a run writes into results/: headings nest, HTML passes an allowlist, code is kept."""

from __future__ import annotations

from pathlib import Path

from dlip.publish.model import Milestone
from dlip.publish.pages.results_md import (
    demote_headings,
    embedded,
    markdown_files,
    render_sanitized,
)


def test_headings_move_down_and_code_does_not() -> None:
    text = "# A\n\n## B\n\n###### deep\n\n```\n# not a heading\n```\n#hashtag\n"
    assert demote_headings(text, 2) == (
        "### A\n\n#### B\n\n###### deep\n\n```\n# not a heading\n```\n#hashtag\n"
    )


def test_underlined_headings_become_demoted_atx_headings() -> None:
    assert demote_headings("Title\n=====\n\nPart\n----\n", 2) == "### Title\n\n#### Part\n"
    # a rule after a table or a code block is not a heading
    assert demote_headings("| a |\n---\n", 2) == "| a |\n---\n"
    assert demote_headings("```\nx\n```\n---\n", 2) == "```\nx\n```\n---\n"


def test_the_runs_html_passes_an_allowlist_and_code_stays_code() -> None:
    text = ("<script>alert(1)</script>\n\n`<script>` stays <IFRAME src=x></iframe>\n\n"
            "```html\n<script>in a fence</script>\n```\n\n<b>bold</b> "
            "<img src=x onerror=alert(2)> [j](javascript:alert(3))\n")
    out = render_sanitized(text)
    assert "alert(1)" not in out and "<iframe" not in out.lower()
    assert "onerror" not in out and "javascript:" not in out
    assert "<code>&lt;script&gt;</code> stays" in out
    assert "&lt;script&gt;in a fence&lt;/script&gt;" in out
    assert "<b>bold</b>" in out and '<img src="x">' in out


def test_files_in_order_logs_skipped_and_oversized_or_binary_named(tmp_path: Path) -> None:
    folder = tmp_path / "code/000_x"
    results = folder / "results"
    (results / "logs").mkdir(parents=True)
    (results / "logs/out.md").write_text("# log\n")
    (results / "b.md").write_text("# Bee\ntext\n")
    (results / "a_table.md").write_bytes(b"\xff\xfe not utf-8")
    (results / "huge.md").write_text("x" * (300 * 1024))
    m = Milestone(path=folder, number="000", slug="x", title="X")
    assert [p.name for p in markdown_files(m)] == ["a_table.md", "b.md", "huge.md"]
    block = embedded(m)
    assert block.index("### a table") < block.index("### Bee") < block.index("### huge")
    assert "Not UTF-8 text; not shown." in block and "too large to show" in block
    assert "xxxx" not in block and "# log" not in block


def test_no_results_no_block(tmp_path: Path) -> None:
    m = Milestone(path=tmp_path / "code/000_x", number="000", slug="x", title="X")
    assert embedded(m) == ""
