"""The progress chart: legible from one milestone to thirty, every value on hover."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from dlip.publish.model import Milestone
from dlip.publish.pages.home import Headline
from dlip.publish.pages.roadmap_chart import CELL, MAX_COLUMNS, progress_svg

SVG = "{http://www.w3.org/2000/svg}"
STATUSES = ["done", "in-progress", "planned", None]


def rows(count: int) -> list[tuple[Milestone, str, Headline | None]]:
    out = []
    for i in range(count):
        m = Milestone(path=Path(f"/repo/code/{i:03d}_m"), number=f"{i:03d}", slug="m",
                      title=f"Step {i} <b>&", status=STATUSES[i % 4])
        out.append((m, f"code/{i:03d}_m/index.md", Headline("test_accuracy", "8,570,457")))
    return out


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)  # well-formed XML, or this raises


def test_one_milestone_keeps_the_whole_legend_inside_the_picture() -> None:
    root = parse(progress_svg(rows(1)))
    width = float(root.get("width"))
    legend = [t for t in root.iter(f"{SVG}text") if t.text in ("Done", "In progress", "Planned")]
    assert len(legend) == 3
    # each label starts inside and has room for its letters (about 6.5 px each at 12 px)
    assert all(float(t.get("x")) + 6.5 * len(t.text) <= width for t in legend)


def test_thirty_milestones_wrap_into_rows_of_readable_squares() -> None:
    root = parse(progress_svg(rows(30)))
    squares = [r for r in root.iter(f"{SVG}rect") if float(r.get("width")) > CELL / 2]
    assert len(squares) == 30
    assert len({r.get("y") for r in squares}) == 3  # 3 rows of 10
    assert len({r.get("x") for r in squares}) == MAX_COLUMNS
    assert float(root.get("width")) < 700  # fits a page column without shrinking


def test_rows_are_balanced() -> None:
    root = parse(progress_svg(rows(12)))
    squares = [r for r in root.iter(f"{SVG}rect") if float(r.get("width")) > CELL / 2]
    assert len({r.get("x") for r in squares}) == 6  # 6 + 6, not 10 + 2


def test_hover_names_the_milestone_status_and_headline_as_text() -> None:
    svg = progress_svg(rows(2))
    titles = [t.text for t in parse(svg).iter(f"{SVG}title")]
    assert "000 · Step 0 <b>&\nDone\ntest_accuracy = 8,570,457" in titles
    assert "001 · Step 1 <b>&\nIn progress\ntest_accuracy = 8,570,457" in titles
    assert "<b>" not in svg  # escaped in the markup
    shown = [t.text for t in parse(svg).iter(f"{SVG}text")]
    assert "8.57M" in shown  # a long number is shortened under its square, whole on hover


def test_a_milestone_without_status_gets_its_own_legend_entry() -> None:
    shown = [t.text for t in parse(progress_svg(rows(4))).iter(f"{SVG}text")]
    assert "No status" in shown
    assert "No status" not in [t.text for t in parse(progress_svg(rows(3))).iter(f"{SVG}text")]


def test_no_milestones_is_still_a_picture() -> None:
    svg = progress_svg([])
    assert parse(svg).get("aria-label") == "Progress: 0 of 0 milestones done"
    assert not re.search(r"(?:width|height)=\"-", svg)


@pytest.mark.parametrize(("value", "shown"), [
    ("1.32 bits per byte", "1.32"),  # the unit is in the hover; the number fits whole
    ("12,345,678 rows", "12.3M"),
    ("98.3%", "98.3%"),
    ("a label too long to fit", "a label…"),
])
def test_a_value_with_a_unit_keeps_its_number_under_the_square(value: str, shown: str) -> None:
    from dlip.publish.pages.roadmap_chart import _short

    assert _short(value) == shown
