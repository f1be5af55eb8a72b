"""Milestones 000-002 draw in the house style without importing src/: the style file is in
their input key, and their frozen figures are drawn at the content width."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest

from dlip.figures import STYLE
from dlip.publish.discover.milestones import discover_milestones
from dlip.publish.project import Project
from dlip.publish.run.freeze import input_manifest

REPO = Path(__file__).resolve().parents[2]
CODE = REPO / "code"

SELF_CONTAINED = ("000_neural-network-xor", "001_nn-mnist-image-classification",
                  "002_nn-chapter-3-techniques")
STYLE_REL = STYLE.relative_to(REPO).as_posix()
# 6.9 in at 200 dpi is 1380 px; `bbox: tight` trims or widens a little, a square plot less.
MIN_WIDTH_PX, MAX_WIDTH_PX = 1150, 1500


def png_size(path: Path) -> tuple[int, int]:
    with open(path, "rb") as f:
        head = f.read(24)
    assert head[:8] == b"\x89PNG\r\n\x1a\n", f"{path}: not a PNG"
    return struct.unpack(">II", head[16:24])


@pytest.mark.parametrize("folder", SELF_CONTAINED)
def test_the_house_style_is_in_the_input_key(folder: str) -> None:
    project = Project.at(REPO)
    milestones, _ = discover_milestones(project)
    milestone = next(m for m in milestones if m.path.name == folder)
    manifest = input_manifest(project, milestone)
    assert STYLE_REL in manifest["inputs"], f"{folder}: milestone.yml must declare {STYLE_REL}"
    assert not manifest["imports"], f"{folder}: imports from src/ ({sorted(manifest['imports'])})"


@pytest.mark.parametrize("folder", SELF_CONTAINED)
def test_frozen_figures_are_drawn_at_the_content_width(folder: str) -> None:
    figures = sorted((CODE / folder / "results").glob("*.png"))
    assert figures, f"{folder}: no frozen figures"
    for path in figures:
        width, _ = png_size(path)
        assert MIN_WIDTH_PX <= width <= MAX_WIDTH_PX, (
            f"{path.name}: {width} px wide; the house style draws 6.9 in at 200 dpi (1380 px)")
