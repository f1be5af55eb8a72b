"""Markdown helpers every stage shares: the link and fence patterns, and plain-text escaping.

Kept below the stages so that discovery (the Obsidian import) and the pages read Markdown
with the same patterns.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterator

SCHEME_RE = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:|^//")
FENCE_RE = re.compile(r"^\s{0,3}(`{3,}|~{3,})")
INLINE_LINK_RE = re.compile(
    r"(?P<bang>!?)\[(?P<text>(?:[^\[\]\n]|\[[^\[\]\n]*\])*)\]"
    r"\(\s*(?P<target><[^<>\n]*>|(?:[^()\s<>]|[ \t](?![ \t]*[\"'(])|\([^()\s]*\))*)"
    r"(?P<title>\s+(?:\"[^\"\n]*\"|'[^'\n]*'|\([^)\n]*\)))?\s*\)"
)
REF_DEF_RE = re.compile(r"^(?P<lead>\s{0,3}\[[^\]\n]+\]:\s*)(?P<target><[^>\n]*>|\S+)(?P<rest>.*)$")
# The same links over a paragraph (its lines, no blank one between): Markdown lets a link's
# text, the space before its target and its title wrap onto the next line, and a reference
# definition's URL sit on the line below its label.
BLOCK_LINK_RE = re.compile(
    r"(?P<bang>!?)\[(?P<text>(?:[^\[\]]|\[[^\[\]]*\])*)\]"
    r"\(\s*(?P<target><[^<>\n]*>|(?:[^()\s<>]|[ \t](?![ \t]*[\"'(])|\([^()\s]*\))*)"
    r"(?P<title>\s+(?:\"[^\"]*\"|'[^']*'|\([^)]*\)))?\s*\)"
)
BLOCK_REF_DEF_RE = re.compile(r"^(?P<lead>[ ]{0,3}\[[^\]\n]+\]:[ \t]*\n?[ \t]*)"
                              r"(?P<target><[^>\n]*>|\S+)", re.MULTILINE)
# No part of a wikilink holds a bracket (Obsidian forbids them in names), so a line of
# `![[![[...` fails at each `[[` at once instead of scanning to the end of the line from each.
WIKILINK_RE = re.compile(r"(?P<bang>!?)\[\[(?P<target>[^\[\]|#\n]+)(?:#(?P<frag>[^\[\]|\n]*))?"
                         r"(?:\|(?P<alias>[^\[\]\n]*))?\]\]")
HTML_ATTR_RE = re.compile(r"(?P<lead><(?:img|a|source|video|audio|iframe)\b[^<>]*?\s(?:src|href)=)"
                          r"(?P<q>[\"'])(?P<target>.*?)(?P=q)", re.IGNORECASE)
# A code span opens and closes with backtick runs of one length, neither touching another
# backtick (CommonMark); the lookarounds also keep a long run of backticks linear.
CODE_SPAN_RE = re.compile(r"(?<!`)(`+)(?!`)(?:.+?)(?<!`)\1(?!`)")
BLOCK_CODE_SPAN_RE = re.compile(r"(?<!`)(`+)(?!`)(?:[\s\S]+?)(?<!`)\1(?!`)")  # over a paragraph
MD_SPECIAL_RE = re.compile(r"([\\`*_{}#+!|])")  # backslash escapes Python-Markdown undoes
# Brackets and parentheses become character references, not `\(`: math extensions read
# `\(..\)`, `\[..\]` and `$..$` as formulas, so "(70% planted)" would render as math.
_MD_ENTITIES = {"(": "&#40;", ")": "&#41;", "[": "&#91;", "]": "&#93;", "$": "&#36;"}
_MD_ENTITY_RE = re.compile(r"[()\[\]$]")


def markdown_lines(text: str) -> Iterator[tuple[str, bool]]:
    """(line, inside a fenced code block) for each line of Markdown; fences count as code."""
    fence: str | None = None
    for line in text.splitlines(keepends=True):
        match = FENCE_RE.match(line)
        if fence is not None:
            if match and match.group(1)[0] == fence[0] and len(match.group(1)) >= len(fence):
                fence = None
            yield line, True
        elif match:
            fence = match.group(1)
            yield line, True
        else:
            yield line, False


def outside_code_spans(line: str, change: Callable[[str], str]) -> str:
    """`change` applied to the parts of a line that are not inline code."""
    out, start = [], 0
    for span in CODE_SPAN_RE.finditer(line):
        out.append(change(line[start:span.start()]))
        out.append(span.group(0))
        start = span.end()
    out.append(change(line[start:]))
    return "".join(out)


def escape_md(text: str) -> str:
    """Plain text (a title, a tag, a file name) that Markdown shows as written, never as markup
    or HTML: `<script>` in a file name stays text."""
    return _plain(" ".join(text.split()), quote=False)


def md_text(text: str) -> str:
    """Plain text made safe inside Markdown (and a table cell): no markup, no HTML."""
    return _plain(str(text), quote=True).replace("\n", " ")


def _plain(text: str, quote: bool) -> str:
    """The one escaper of plain text for Markdown: backslashes first, then HTML (escaping
    the '#' of `&#x27;` would break it), then the character references of _MD_ENTITIES."""
    escaped = html.escape(MD_SPECIAL_RE.sub(r"\\\1", text), quote=quote)
    return _MD_ENTITY_RE.sub(lambda m: _MD_ENTITIES[m[0]], escaped)
