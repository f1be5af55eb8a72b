"""The progress chart on the home page: one square per milestone, coloured by its status.

Squares run in rows of at most `MAX_COLUMNS`, so thirty milestones stay as legible as
three; under each square is its headline value, and hovering a square shows the
milestone's number, title, status and headline in full (`<title>`). The same SVG is
written as a file and drawn inline on the home page, where the hover works and the text
takes the theme's colour (`currentColor`), light or dark.
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from typing import Protocol

from dlip.publish.model import Milestone

CELL = 44  # side of a square
GAP = 16  # between squares; a value label may use it
MAX_COLUMNS = 10
VALUE_CHARS = 8  # a longer headline value is cut (in full on hover)
PAD = 8
LEGEND_HEIGHT = 22
STATUS_TEXT = {"done": "Done", "in-progress": "In progress", "planned": "Planned", None: "—"}
# Status -> (fill, stroke, text): "none" draws an outline; currentColor follows the theme.
STYLES = {
    "done": ("#2e7d32", "#2e7d32", "#ffffff"),
    "in-progress": ("#ef8f00", "#ef8f00", "#1a1a1a"),
    "planned": ("none", "#9e9e9e", "currentColor"),
    None: ("none", "#9e9e9e", "currentColor"),
}


class Headline(Protocol):
    name: str
    value: str

    def text(self) -> str: ...

    @property
    def shown(self) -> str: ...


def progress_svg(rows: Sequence[tuple[Milestone, str, Headline | None]]) -> str:
    """The chart as a standalone SVG document (it also works inline in HTML)."""
    count = len(rows)
    lines_of = max(1, math.ceil(count / MAX_COLUMNS))
    columns = max(1, math.ceil(count / lines_of))  # rows of equal length: 12 is 6 + 6
    with_values = any(headline for _, _, headline in rows)
    row_height = CELL + (26 if with_values else 12)
    legend = _legend(rows)
    legend_width = sum(w for _, w in legend)
    width = PAD * 2 + max(columns * (CELL + GAP) - GAP, legend_width)
    height = PAD + lines_of * row_height + LEGEND_HEIGHT
    done = sum(1 for m, _, _ in rows if m.status == "done")
    label = html.escape(f"Progress: {done} of {count} milestones done", quote=True)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="dlip-progress-chart" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}" role="img" aria-label="{label}" '
        'font-family="sans-serif" font-size="12">',
        f"<title>{label}</title>",
    ]
    for i, (m, _page, headline) in enumerate(rows):
        row, column = divmod(i, columns)
        parts.append(_square(m, headline, PAD + column * (CELL + GAP), PAD + row * row_height))
    x, y = PAD, PAD + lines_of * row_height + 4
    for status, item_width in legend:
        fill, stroke, _ = STYLES[status]
        dash = ' stroke-dasharray="2 2"' if status is None else ""
        parts.append(
            f'<rect x="{x + 0.5}" y="{y + 0.5}" width="10" height="10" rx="2" fill="{fill}" '
            f'stroke="{stroke}"{dash}/><text x="{x + 15}" y="{y + 9.5}" fill="currentColor">'
            f"{html.escape(_legend_text(status))}</text>"
        )
        x += item_width
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def _square(m: Milestone, headline: Headline | None, x: int, y: int) -> str:
    status = m.status if m.status in STYLES else None
    fill, stroke, text = STYLES[status]
    dash = ' stroke-dasharray="3 3"' if status is None else ""
    hover = f"{m.number} · {m.title}\n{STATUS_TEXT.get(m.status, m.status or '—')}"
    if headline:
        hover += f"\n{headline.text()}"
    centre = x + CELL / 2
    parts = [
        f"<g><title>{html.escape(hover)}</title>",
        f'<rect x="{x + 0.75}" y="{y + 0.75}" width="{CELL - 1.5}" height="{CELL - 1.5}" rx="5" '
        f'fill="{fill}" stroke="{stroke}" stroke-width="1.5"{dash}/>',
        f'<text x="{centre}" y="{y + CELL / 2 + 4}" text-anchor="middle" font-size="13" '
        f'font-weight="bold" fill="{text}">{html.escape(m.number)}</text>',
    ]
    if headline:
        parts.append(f'<text x="{centre}" y="{y + CELL + 16}" text-anchor="middle" '
                     f'fill="currentColor">{html.escape(_short(headline.shown))}</text>')
    return "".join(parts) + "</g>"


def _legend(rows: Sequence[tuple[Milestone, str, Headline | None]]) -> list[tuple[str | None, int]]:
    """(status, width it takes) for the three statuses, and "no status" when one lacks it."""
    statuses: list[str | None] = ["done", "in-progress", "planned"]
    if any(m.status not in STYLES or m.status is None for m, _, _ in rows):
        statuses.append(None)
    return [(s, 15 + 6 * len(_legend_text(s)) + 16) for s in statuses]


def _legend_text(status: str | None) -> str:
    return STATUS_TEXT[status] if status else "No status"


def _short(text: str) -> str:
    """A value that fits under its square: 8,570,457 as 8.57M, "1.32 bits per byte" as
    1.32 (the unit is in the hover), other long text cut."""
    if len(text) <= VALUE_CHARS:
        return text
    number_part, _, unit = text.partition(" ")
    if unit and _number(number_part.rstrip("%×x")) is not None:
        return _short(number_part)
    number = _number(text)
    if number is None:
        return text[: VALUE_CHARS - 1] + "…"
    for size, suffix in ((1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(number) >= size:
            return f"{number / size:.3g}{suffix}"
    return f"{number:.3g}"


def _number(text: str) -> float | None:
    try:
        return float(text.replace(",", ""))
    except ValueError:
        return None
