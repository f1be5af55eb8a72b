"""Obsidian's `![[note]]`: the embedded note's text, shown where the author embedded it.

In Obsidian a line `![[attention]]` shows the note `attention.md` in place, `![[attention#Keys
and values]]` one section of it, `![[attention#^a1b2]]` one block (the paragraph or list item
marked `^a1b2`). `LinkRewriter` resolves the target like any wikilink (inside the repo only,
a missing one reported like a broken link) and rewrites the embedded text's links from its
own file; this module cuts the part to show and wraps it in a box with a header that links
to the note. The box is an admonition of class `dlip-embed` written with `md_in_html`, its
text unindented, so the page's Markdown extension reads the embedded text exactly as it reads
the page's own (lists, callouts, code, math). That needs the embed on a line of its own at
the top level, as Obsidian users write it; inside a quote, a callout or a list item, or in
the middle of a sentence, `![[note]]` links the note instead.

Embeds nest `MAX_EMBED_DEPTH` levels at most and a page holds `MAX_EMBEDDED_CHARS` of
embedded text at most; a note that would embed itself again (a embeds b embeds a) is shown
as a link with a line saying why, so nothing repeats or runs away.
"""

from __future__ import annotations

import re

from dlip.publish.discover.milestones import GENERIC_HEADING_RE
from dlip.publish.discover.notes import name_title
from dlip.publish.discover.posts import DATED_TITLE_RE, FRONT_MATTER_RE
from dlip.publish.markdown import escape_md, markdown_lines
from dlip.publish.markdown_ext import drop_comments

MAX_EMBED_DEPTH = 3  # a page shows embeds of embeds of embeds; deeper ones are links
MAX_EMBEDDED_CHARS = 500_000  # per page, all embeds together
EMBED_CLASS = "dlip-embed"
# A line that is only an embed, at the top level (not in a quote, list item or code).
EMBED_LINE_RE = re.compile(r"^[ ]{0,3}(?P<embed>!\[\[[^\[\]\n]+\]\])[ \t]*\r?\n?$")
HEADING_RE = re.compile(r"^ {0,3}(?P<marks>#{1,6})[ \t]+(?P<text>.*?)(?:[ \t]+#+)?[ \t]*$")
BLOCK_ID_RE = re.compile(r"[ \t]+\^(?P<id>[A-Za-z0-9-]+)[ \t]*$")
ITEM_START_RE = re.compile(r"^[ \t]*(?:[-*+]|\d{1,9}[.)])[ \t]")


def note_text(raw: str) -> str:
    """The text of a note as a page shows it: no front matter, no `%%comments%%`."""
    match = FRONT_MATTER_RE.match(raw)
    return drop_comments(raw[match.end():] if match else raw)


def title_of(text: str, stem: str) -> str:
    """The note's first `# ` heading (a post's date taken off it), else its file name."""
    for line, is_code in markdown_lines(text):
        heading = HEADING_RE.match(line.rstrip("\r\n")) if not is_code else None
        if heading is not None and len(heading["marks"]) == 1:
            title = heading["text"].strip()
            dated = DATED_TITLE_RE.match(title)
            title = dated["title"].strip() if dated else title
            if title and not GENERIC_HEADING_RE.match(title):
                return title
            break
    return name_title(stem)


def part(text: str, fragment: str) -> tuple[str, str] | None:
    """(the text to embed, the heading it falls under) for `note`, `note#Heading`,
    `note#Heading#Subheading` or `note#^block`; None when the heading or block is not there.

    A whole note loses its first `# ` heading (the box's header says it), a section its own
    heading line.
    """
    fragment = fragment.strip()
    if not fragment:
        return _without_title(text), ""
    if fragment.startswith("^"):
        block = _block(text, fragment[1:])
        return None if block is None else (block, "")
    wanted = fragment.split("#")[-1]
    section = _section(text, wanted)
    return None if section is None else (section[1], section[0])


def embed_block(header: str, body: str) -> str:
    """The embedded `body` in a box whose title is `header` (Markdown: a link to the note),
    with blank lines around it so it never joins a paragraph."""
    lines = ["", f'<div class="admonition {EMBED_CLASS}" markdown="1">',
             f'<p class="admonition-title" markdown="span">{header}</p>', "",
             *body.strip("\n").splitlines(), "", "</div>", ""]
    return "\n".join(lines) + "\n"


def header_text(title: str, heading: str) -> str:
    """The box's title as Markdown text (without the link): `Note › Heading`."""
    text = escape_md(title)
    if heading and heading.strip().lower() != title.strip().lower():
        text += " › " + escape_md(heading)
    return text


def stopped(link: str, why: str) -> str:
    """What stands for an embed that is not shown: the link, and why (in italics)."""
    return f"{link} *({escape_md(why)})*"


# --- pieces ------------------------------------------------------------------------------


def _without_title(text: str) -> str:
    lines = text.splitlines(keepends=True)
    for i, line in enumerate(lines):
        if not line.strip():
            continue
        heading = HEADING_RE.match(line.rstrip("\r\n"))
        if heading is not None and len(heading["marks"]) == 1:
            return "".join(lines[i + 1:])
        break
    return text


def _section(text: str, wanted: str) -> tuple[str, str] | None:
    """(heading as written, the lines under it up to the next heading of its level or
    higher), the heading matched as Obsidian matches it: case and spacing aside."""
    key = _key(wanted)
    lines = list(markdown_lines(text))
    start: int | None = None
    level = 0
    found = ""
    for i, (line, is_code) in enumerate(lines):
        heading = None if is_code else HEADING_RE.match(line.rstrip("\r\n"))
        if heading is None:
            continue
        if start is None:
            if _key(heading["text"]) == key:
                start, level, found = i + 1, len(heading["marks"]), heading["text"].strip()
        elif len(heading["marks"]) <= level:
            return found, "".join(line for line, _ in lines[start:i])
    if start is None:
        return None
    return found, "".join(line for line, _ in lines[start:])


def _block(text: str, block_id: str) -> str | None:
    """The paragraph (or list item) that ends with `^block_id`, without the marker."""
    lines = list(markdown_lines(text))
    for i, (line, is_code) in enumerate(lines):
        marker = None if is_code else BLOCK_ID_RE.search(line.rstrip("\r\n"))
        if marker is None or marker["id"].lower() != block_id.lower():
            continue
        cleaned = line.rstrip("\r\n")[:marker.start()] + "\n"
        if ITEM_START_RE.match(line):
            return cleaned.lstrip()
        first = i
        while first > 0 and lines[first - 1][0].strip() and not lines[first - 1][1]:
            first -= 1
        return "".join(line for line, _ in lines[first:i]) + cleaned
    return None


def _key(heading: str) -> str:
    return " ".join(re.sub(r"[^\w\s-]", "", heading).lower().split())
