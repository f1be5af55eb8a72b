"""Markdown files a run wrote into `results/` (a dataset card, a table of baselines),
embedded in the results section of the milestone page.

The milestone's own code writes them, so they are trusted like its README: tables, links
and images render. Still, they nest under the page's `## Results` (headings move down two
levels), their links are rewritten like the README's, and tags that would run code on the
site (`<script>`, `<iframe>`, ...) are shown as text. Code blocks are left as written.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from dlip.publish.markdown import escape_md, markdown_lines, outside_code_spans
from dlip.publish.model import Milestone
from dlip.publish.project import LOGS_DIRNAME, outside_reason

MAX_EMBED_BYTES = 256 * 1024  # larger files are named, not shown
DEMOTE_BY = 2  # `# Title` in the file becomes `### Title` under the page's `## Results`
ACTIVE_TAG_RE = re.compile(r"<(/?)(script|iframe|object|embed|style)\b", re.IGNORECASE)
ATX_RE = re.compile(r"^(?P<hashes>#{1,6})(?=[ \t]|$)")
SETEXT_RE = re.compile(r"^\s{0,3}(?P<bar>=+|-+)\s*$")

# How each file's links are rewritten: (source file, text) -> text. None keeps them.
Rewrite = Callable[[Path, str], str]


def markdown_files(milestone: Milestone) -> list[Path]:
    """The `.md` files under results/ (logs excluded), in path order."""
    results = milestone.results_dir
    if not results.is_dir():
        return []
    return sorted(
        p for p in results.rglob("*.md")
        if outside_reason(p, results) is None and p.is_file()
        and p.relative_to(results).parts[0] != LOGS_DIRNAME
    )


def anchor(rel: str) -> str:
    """The id of an embedded file's block, for links to `results/<rel>`."""
    return "results-" + re.sub(r"[^A-Za-z0-9_.-]+", "-", rel)


def embedded(milestone: Milestone, rewrite: Rewrite | None = None) -> str:
    """Every results Markdown file as one block of the page ("" when there is none)."""
    blocks = [_embed(path, path.relative_to(milestone.results_dir).as_posix(), rewrite)
              for path in markdown_files(milestone)]
    return "\n\n".join(blocks)


def _embed(path: Path, rel: str, rewrite: Rewrite | None) -> str:
    title = re.sub(r"[-_]+", " ", Path(rel).stem).strip() or rel
    source = f"*From `results/{rel}`, written by the run.*"
    head = f'<a id="{anchor(rel)}"></a>\n\n'
    size = path.stat().st_size
    if size > MAX_EMBED_BYTES:
        return head + f"### {escape_md(title)}\n\n{source} *{size // 1024} KB: too large to show.*"
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError):
        return head + f"### {escape_md(title)}\n\n{source} *Not UTF-8 text; not shown.*"
    if rewrite is not None:
        text = rewrite(path, text)
    lines = demote_headings(neutralize_active_html(text), DEMOTE_BY).strip("\n").splitlines()
    if lines and lines[0].startswith("#" * (DEMOTE_BY + 1) + " "):
        heading, rest = lines[0], lines[1:]
    else:
        heading, rest = f"### {escape_md(title)}", lines
    return head + heading + "\n\n" + source + "\n\n" + "\n".join(rest).strip("\n")


def demote_headings(text: str, by: int) -> str:
    """Move every heading `by` levels down (never below `######`); code is left alone.

    Underlined (setext) headings become `#` headings first, so they move too.
    """
    out: list[str] = []
    previous_is_code = True
    for line, is_code in markdown_lines(text):
        after_code, previous_is_code = previous_is_code, is_code
        if is_code:
            out.append(line)
            continue
        setext = SETEXT_RE.match(line)
        if setext and out and not after_code and _is_paragraph_line(out[-1]):
            level = 1 if setext["bar"][0] == "=" else 2
            previous = out.pop()
            out.append("#" * min(6, level + by) + " " + previous.strip() + "\n")
            continue
        atx = ATX_RE.match(line)
        if atx:
            level = min(6, len(atx["hashes"]) + by)
            line = "#" * level + line[len(atx["hashes"]):]
        out.append(line)
    return "".join(out)


def neutralize_active_html(text: str) -> str:
    """`<script>` and friends shown as text, outside code blocks and code spans."""
    return "".join(
        line if is_code else outside_code_spans(line, _neutralize)
        for line, is_code in markdown_lines(text)
    )


def _neutralize(text: str) -> str:
    return ACTIVE_TAG_RE.sub(r"&lt;\1\2", text)


def _is_paragraph_line(line: str) -> bool:
    stripped = line.strip()
    return bool(stripped) and not stripped.startswith(("#", "|", ">", "-", "*", "<"))
