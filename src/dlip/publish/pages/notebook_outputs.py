"""Long notebook outputs on the site: the head in view, the rest one click away, and a cap.

A notebook that printed 5,000 lines keeps them in its file. Its page shows the first
`HEAD_LINES` lines where Jupyter shows them, and the rest in a collapsed `<details>` block
right under them, so a reader scrolls past a training log but can still read all of it.
What is published stays bounded: one output puts at most `MAX_OUTPUT_CHARS` (and
`MAX_OUTPUT_LINES`) on the page and one notebook `MAX_NOTEBOOK_CHARS`; past that the text
is cut with a line saying how much was left out, so a 50 MB output adds half a megabyte to
the site, not 50. The folded block is HTML built here from escaped text, and passes the
site's output sanitizer like every other output.
"""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass

FOLD_LINES = 60  # outputs longer than this are folded ...
FOLD_CHARS = 20_000  # ... or larger than this
HEAD_LINES = 20  # what stays in view of a folded output
HEAD_CHARS = 5_000
MAX_OUTPUT_LINES = 5_000  # published of one output, head and folded part together
MAX_OUTPUT_CHARS = 500_000
MAX_NOTEBOOK_CHARS = 2_000_000  # published of all folded outputs of one notebook
FOLD_CLASS = "dlip-output-more"
TEXT_MIMES = ("text/plain", "text/markdown", "application/json")
ANSI_RE = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


@dataclass
class Budget:
    """Characters one notebook may still publish in folded outputs."""

    left: int = MAX_NOTEBOOK_CHARS


def fold_outputs(outputs: object, budget: Budget) -> list:
    """The cell's outputs with every long text folded (and cut past the caps)."""
    if not isinstance(outputs, list):
        return []
    folded: list = []
    for output in outputs:
        folded.extend(_fold(output, budget) if isinstance(output, dict) else [output])
    return folded


def _fold(output: dict, budget: Budget) -> list[dict]:
    kind = output.get("output_type")
    if kind == "stream":
        text = _text(output.get("text", ""))
        if not _long(text):
            return [output]
        head, more = _split(text, budget)
        return [{**output, "text": head}, more]
    data = output.get("data")
    if kind not in ("execute_result", "display_data") or not isinstance(data, dict):
        return [output]
    dropped = 0
    if "text/html" in data:  # shown before any text: fold it whole, it cannot be cut
        page = _text(data["text/html"])
        if not _long(page):
            return [output]
        if len(page) <= min(MAX_OUTPUT_CHARS, budget.left):
            budget.left -= len(page)
            data["text/html"] = (f'<details class="{FOLD_CLASS}"><summary>Show the output '
                                 f"({_size(len(page))})</summary>{page}</details>")
            return [output]
        del data["text/html"]  # too large to publish: its text stands in for it
        dropped = len(page)
    texts = {mime: _text(data[mime]) if isinstance(data[mime], (str, list))
             else json.dumps(data[mime], indent=1) for mime in TEXT_MIMES if mime in data}
    text = texts.get("text/plain", "")
    if not _long(text):
        text = max(texts.values(), key=len, default="")
    if not _long(text):
        if dropped:
            note = (f"[an HTML output of {_size(dropped)}, too large to publish; the notebook "
                    "file has it]")
            data["text/plain"] = f"{texts['text/plain']}\n{note}" if "text/plain" in texts \
                else note
        return [output]
    for mime in TEXT_MIMES:
        data.pop(mime, None)
    head, more = _split(text, budget)
    data["text/plain"] = head
    return [output, more]


def _split(text: str, budget: Budget) -> tuple[str, dict]:
    """(the head to keep in view, a display_data output holding the rest, folded)."""
    lines = text.splitlines(keepends=True)
    kept, size = [], 0
    for line in lines[:HEAD_LINES]:
        if size + len(line) > HEAD_CHARS and kept:
            break
        kept.append(line[:HEAD_CHARS])
        size += len(kept[-1])
    rest = lines[len(kept):]
    if len(kept) == len(lines) and len(text) > size:  # one huge line: its tail is the rest
        rest = [lines[-1][len(kept[-1]):]]
    allowed = min(MAX_OUTPUT_CHARS - size, budget.left)
    shown, shown_size = [], 0
    for line in rest[: MAX_OUTPUT_LINES - len(kept)]:
        if shown_size + len(line) > allowed:
            break
        shown.append(line)
        shown_size += len(line)
    budget.left -= shown_size
    left_lines = len(rest) - len(shown)
    left_chars = sum(len(line) for line in rest) - shown_size
    count = f"{len(shown):,} more line{'s' if len(shown) != 1 else ''}"
    body = html.escape(_terminal("".join(shown)).rstrip("\n"))
    note = plain_note = ""
    if left_lines or left_chars:
        plain_note = (f"… output cut on the site: {left_lines:,} more lines "
                      f"({left_chars:,} characters); the notebook file has all of it.")
        note = f"<p><em>{html.escape(plain_note)}</em></p>"
    folded = (f'<details class="{FOLD_CLASS}"><summary>Show {count} '
              f"({_size(shown_size)})</summary><pre>{body}</pre>{note}</details>")
    plain = f"[{count} folded on the site]" + (f"\n{plain_note}" if plain_note else "")
    more = {"output_type": "display_data", "metadata": {},
            "data": {"text/html": folded, "text/plain": plain}}
    return "".join(kept), more


def _long(text: str) -> bool:
    return len(text) > FOLD_CHARS or text.count("\n") > FOLD_LINES


def _terminal(text: str) -> str:
    """Text as a terminal showed it: colour codes dropped, a carriage return overwrites."""
    text = ANSI_RE.sub("", text)
    if "\r" not in text:
        return text
    return "\n".join(line.rsplit("\r", 1)[-1] if line.strip("\r") else line
                     for line in text.replace("\r\n", "\n").split("\n"))


def _text(value: object) -> str:
    if isinstance(value, list):
        return "".join(str(v) for v in value)
    return value if isinstance(value, str) else str(value)


def _size(n: int) -> str:
    return f"{n:,} characters" if n < 10_000 else f"{n / 1000:,.0f} KB"
