"""Python-Markdown extension: read Markdown the way GitHub and Obsidian show it.

Learners write in Obsidian and read their repo on GitHub; Python-Markdown differs from
both in ways that garble their pages. This extension, run before any block is parsed,
rewrites the text into what Python-Markdown understands:

- lists: a list right under a paragraph line starts a list (GitHub, CommonMark), and a
  nested list indented by 2 or 3 spaces is nested (Python-Markdown wants 4). Each item's
  children are re-indented by CommonMark's rule: a line belongs to an item when it is
  indented at least to the item's text.
- Obsidian callouts and GitHub alerts, `> [!note] Title` (`-` folded, `+` open), become
  admonitions (collapsible ones through `pymdownx.details`).
- `%%comments%%` (inline or over several lines) are dropped, and so are the block ids
  (`A paragraph. ^a1b2`) that Obsidian hides and `![[note#^a1b2]]` embeds by.

Highlights (`==x==`), task lists, bare URLs and math come from pymdownx extensions listed
beside this one in `site.config`. Code (fenced blocks, inline spans) is never touched.
Listed in mkdocs.yml as `dlip.publish.markdown_ext`; shared ground, imports no stage.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from markdown import Extension, Markdown
from markdown.preprocessors import Preprocessor

from dlip.publish.markdown import CODE_SPAN_RE, FENCE_RE, markdown_lines

CALLOUT_RE = re.compile(r"^(?P<indent> {0,3})>\s?\[!(?P<kind>[\w-]+)\](?P<fold>[+-]?)[ \t]*"
                        r"(?P<title>.*)$")
QUOTE_RE = re.compile(r"^(?P<indent> {0,3})>(?P<rest>.*)$")
ITEM_RE = re.compile(r"^(?P<indent> *)(?P<marker>[-*+]|\d{1,9}[.)])(?P<gap> +|$)(?P<text>.*)$")
RULE_RE = re.compile(r"^ {0,3}([-*_])(?:[ \t]*\1){2,}[ \t]*$")
BLOCK_START_RE = re.compile(r"^ {0,3}(?:#{1,6}(?:\s|$)|>|<|\||!!!|\?\?\?|\$\$)")
# Callout kinds Material styles; any other kind is shown as a note titled with its name.
CALLOUT_KINDS = frozenset(
    "note abstract summary tldr info todo tip hint important success check done question help "
    "faq warning caution attention failure fail missing danger error bug example quote cite"
    .split()
)
COMMENT_MARK = "%%"
# Obsidian's block id ends a line (`text ^a1b2`) or stands alone on one; never in math.
BLOCK_ID_RE = re.compile(r"(?:^|[ \t]+)\^[A-Za-z0-9-]+[ \t]*$")


def github_markdown(text: str) -> str:
    """The text with comments dropped, callouts as admonitions and lists as GitHub has them."""
    return _normalize_lists(_callouts(drop_block_ids(drop_comments(text))))


# --- comments ----------------------------------------------------------------------------


def drop_comments(text: str) -> str:
    """Obsidian's `%%hidden%%`, inline or spanning lines; code keeps its `%%`.

    Also applied before links are checked and excerpts and feeds are made, so hidden text
    never leaves the author's files.
    """
    if COMMENT_MARK not in text:
        return text
    out: list[str] = []
    inside = False
    for line, is_code in markdown_lines(text):
        if is_code and not inside:
            out.append(line)
            continue
        kept, inside = _strip_comment_parts(line, inside)
        if kept is not None:
            out.append(kept)
    return "".join(out)


def _strip_comment_parts(line: str, inside: bool) -> tuple[str | None, bool]:
    """The line without its comments (None when nothing of it is left) and whether a
    comment is still open at its end."""
    newline = "\n" if line.endswith("\n") else ""
    body = line[:-1] if newline else line
    was_inside = inside
    spans = [(m.start(), m.end()) for m in CODE_SPAN_RE.finditer(body)] if not inside else []
    out, i = [], 0
    while i <= len(body):
        at = body.find(COMMENT_MARK, i)
        while at != -1 and any(s <= at < e for s, e in spans):
            at = body.find(COMMENT_MARK, at + 1)
        if at == -1:
            if not inside:
                out.append(body[i:])
            break
        if not inside:
            out.append(body[i:at])
        inside = not inside
        i = at + len(COMMENT_MARK)
    kept = "".join(out)
    if kept == body:
        return line, inside
    if not kept.strip() and (body.strip() or was_inside):
        return None, inside
    return kept.rstrip() + newline, inside


def drop_block_ids(text: str) -> str:
    """`A paragraph. ^a1b2` without its block id, which Obsidian does not show either.

    Lines of code and math (`$...$`, `$$` blocks, TeX's backslashes) keep their `^`.
    """
    if "^" not in text:
        return text
    out: list[str] = []
    in_math = False
    for line, is_code in markdown_lines(text):
        if line.count("$$") % 2 == 1:
            in_math = not in_math
        body = line.rstrip("\r\n")
        if is_code or in_math or "^" not in body or "$" in body or "\\" in body:
            out.append(line)
            continue
        out.append(BLOCK_ID_RE.sub("", body) + line[len(body):])
    return "".join(out)


# --- callouts ----------------------------------------------------------------------------


def _callouts(text: str) -> str:
    """`> [!tip]- Title` and its quoted lines into `??? tip "Title"` and indented lines."""
    if "[!" not in text:
        return text
    lines = list(markdown_lines(text))
    out: list[str] = []
    i = 0
    while i < len(lines):
        line, is_code = lines[i]
        match = None if is_code else CALLOUT_RE.match(line.rstrip("\n"))
        if match is None:
            out.append(line)
            i += 1
            continue
        indent = match["indent"]
        body: list[str] = []
        i += 1
        while i < len(lines):
            quoted = QUOTE_RE.match(lines[i][0].rstrip("\n"))
            if quoted is None or quoted["indent"] != indent:
                break
            rest = quoted["rest"]
            body.append((rest[1:] if rest.startswith(" ") else rest) + "\n")
            i += 1
        out.extend(_admonition(match, indent, github_markdown("".join(body))))
    return "".join(out)


def _admonition(match: re.Match[str], indent: str, body: str) -> list[str]:
    kind = match["kind"].lower()
    title = match["title"].strip()
    css = kind if kind in CALLOUT_KINDS else "note"
    if not title and css != kind:
        title = kind.replace("-", " ").capitalize()
    opener = {"-": "???", "+": "???+"}.get(match["fold"], "!!!")
    head = f"{indent}{opener} {css}"
    if title:
        head += ' "' + title.replace('"', "&quot;") + '"'
    lines = ["\n", head + "\n"]
    lines += [(indent + "    " + b if b.strip() else "\n") for b in body.splitlines(keepends=True)]
    if not body.strip():
        lines.append(indent + "    &nbsp;\n")
    lines.append("\n")
    return lines


# --- lists -------------------------------------------------------------------------------


@dataclass
class _Item:
    content: int  # column of the item's text in the source
    out: int  # column its children get in the output (its marker's column + 4)


def _normalize_lists(text: str) -> str:
    """Re-indent list items by CommonMark's rule; a list may follow a paragraph line."""
    out: list[str] = []
    stack: list[_Item] = []
    previous = "blank"  # what the last line was: blank, text, item, other
    fence_shift: int | None = None
    for line, is_code in markdown_lines(text):
        body = line.rstrip("\n")
        newline = line[len(body):]
        if is_code:
            opens = fence_shift is None and FENCE_RE.match(line) is not None
            if opens:
                fence_shift = _fence_shift(stack, _indent(body), previous)
            out.append(_shift(body, fence_shift or 0) + newline)
            if not opens and FENCE_RE.match(line) and _closes(line):
                fence_shift = None
            previous = "other"
            continue
        fence_shift = None
        if not body.strip():
            out.append(newline or "\n")
            previous = "blank"
            continue
        indent = _indent(body)
        item = ITEM_RE.match(body)
        if item and not RULE_RE.match(body) and _starts_item(item, stack, previous, indent):
            while stack and indent < stack[-1].content:
                stack.pop()
            if not stack and previous == "text":
                out.append("\n")  # GitHub starts a list right under a paragraph line
            column = stack[-1].out if stack else 0
            gap = len(item["gap"]) if 0 < len(item["gap"]) <= 4 else 1
            stack.append(_Item(content=indent + len(item["marker"]) + gap, out=column + 4))
            out.append(" " * column + item["marker"] + " " + item["text"] + newline)
            previous = "item"
            continue
        if stack and previous == "blank":
            while stack and indent < stack[-1].content:
                stack.pop()
        if stack and not (previous == "blank" and BLOCK_START_RE.match(body) and indent < 4):
            top = stack[-1]
            extra = max(0, indent - top.content) if previous == "blank" else 0
            out.append(" " * (top.out + extra) + body.lstrip() + newline)
            previous = "text"
            continue
        stack.clear()
        out.append(line)
        previous = "other" if BLOCK_START_RE.match(body) else "text"
    return "".join(out)


def _starts_item(item: re.Match[str], stack: list[_Item], previous: str, indent: int) -> bool:
    """Whether a line that looks like a list item starts one here."""
    if not stack:
        if indent > 3:
            return False  # an indented code block
        if previous == "text":
            # Only a bullet or `1.` may interrupt a paragraph, and not with an empty item.
            ordered = item["marker"][0].isdigit()
            return bool(item["text"].strip()) and (not ordered or item["marker"][:-1] == "1")
        return True
    return True


def _fence_shift(stack: list[_Item], indent: int, previous: str) -> int | None:
    if not stack:
        return None
    top = stack[-1]
    if previous == "blank" and indent < top.content:
        stack.clear()
        return None
    return top.out - top.content


def _shift(body: str, shift: int) -> str:
    if shift > 0:
        return " " * shift + body
    if shift < 0:
        cut = min(-shift, _indent(body))
        return body[cut:]
    return body


def _closes(line: str) -> bool:
    return bool(re.match(r"^\s*(`{3,}|~{3,})\s*$", line))


def _indent(body: str) -> int:
    return len(body) - len(body.lstrip(" "))


# --- the extension -----------------------------------------------------------------------


class _GithubPreprocessor(Preprocessor):
    def run(self, lines: list[str]) -> list[str]:
        return github_markdown("\n".join(lines) + "\n").split("\n")[:-1]


class GithubMarkdownExtension(Extension):
    """Registered before fenced code is stashed (25), after whitespace is normalized (30)."""

    def extendMarkdown(self, md: Markdown) -> None:  # noqa: N802 (Python-Markdown's name)
        md.preprocessors.register(_GithubPreprocessor(md), "dlip_github", 28)


def makeExtension(**kwargs: object) -> GithubMarkdownExtension:  # noqa: N802
    return GithubMarkdownExtension(**kwargs)
