"""Markdown files a run wrote into `results/` (a dataset card, a table of baselines),
embedded in the results section of the milestone page.

A run writes them, so they are data, not the author's writing: they are rendered here and
pass the allowlist sanitizer (`dlip.publish.sanitize.clean_html`), so tables, links and
images show while scripts, event handlers and `javascript:` links do not. They nest under
the page's `## Results` (headings move down two levels) and their links are rewritten like
the README's. Code blocks are left as written.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from dlip.publish.markdown import SCHEME_RE, escape_md, markdown_lines
from dlip.publish.model import Milestone
from dlip.publish.project import LOGS_DIRNAME, outside_reason
from dlip.publish.sanitize import clean_html, safe_url

MAX_EMBED_BYTES = 256 * 1024  # larger files are named, not shown
DEMOTE_BY = 2  # `# Title` in the file becomes `### Title` under the page's `## Results`
# Python-Markdown extensions a results file may use; its HTML is sanitized all the same.
RENDER_EXTENSIONS = ["tables", "fenced_code", "sane_lists", "admonition", "toc"]
_HREF_RE = re.compile(r'(?P<lead>\s(?:href|src)=(?P<q>"))(?P<url>[^"]*)"')
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
    lines = demote_headings(text, DEMOTE_BY).strip("\n").splitlines()
    top = "#" * (DEMOTE_BY + 1) + " "
    if lines and lines[0].startswith(top):
        title, lines = lines[0][len(top):].strip().rstrip("#").strip() or title, lines[1:]
    body = render_sanitized("\n".join(lines))
    block = f'<div class="dlip-results-md">\n{body}\n</div>' if body.strip() else ""
    return head + f"### {escape_md(title)}\n\n{source}\n\n{block}".rstrip("\n")


def render_sanitized(markdown_text: str) -> str:
    """The run's Markdown rendered to HTML and passed through the allowlist sanitizer.

    Rendered here rather than by MkDocs, so what a reader gets is exactly what the
    sanitizer let through: tables, lists, code, emphasis, links and images, but no script,
    event handler, form, frame or `javascript:` link, whatever the Markdown or HTML held.
    Links were already pointed at the site's Markdown pages; they become page URLs here,
    as MkDocs would make them (the milestone page is an `index.md`, so a relative URL
    means the same from the page's folder and from its URL).
    """
    import markdown

    rendered = markdown.markdown(markdown_text, extensions=RENDER_EXTENSIONS, output_format="html")
    return clean_html(_HREF_RE.sub(lambda m: m["lead"] + _page_url(m["url"]) + m["q"], rendered))


def _page_url(url: str) -> str:
    """`../x/index.md#a` -> `../x/#a`, `note.md` -> `note/`: a page's directory-style URL."""
    path, sep, fragment = url.partition("#")
    if safe_url(path) and not SCHEME_RE.match(path):
        stem, dot, ext = path.rpartition(".")
        if dot and ext.lower() in ("md", "ipynb") and "/" not in ext:
            folder, _, name = stem.rpartition("/")
            if name.lower() in ("index", "readme"):
                path = f"{folder}/" if folder else "./"
            else:
                path = f"{stem}/"
    return path + sep + fragment


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


def _is_paragraph_line(line: str) -> bool:
    stripped = line.strip()
    return bool(stripped) and not stripped.startswith(("#", "|", ">", "-", "*", "<"))
