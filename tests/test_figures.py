"""The house style of milestone figures loads and keeps text legible at the content width."""

from __future__ import annotations

import pytest

from dlip.figures import MIN_FONT_PT, STYLE, use_house_style


def test_house_style_is_legible_at_the_content_width() -> None:
    mpl = pytest.importorskip("matplotlib")
    mpl.use("Agg")
    with mpl.rc_context():
        use_house_style()
        rc = mpl.rcParams
        width_px = rc["figure.figsize"][0] * 100  # shown at about 690 px
        assert 650 <= width_px <= 720
        for key in ("font.size", "xtick.labelsize", "ytick.labelsize", "legend.fontsize"):
            assert float(rc[key]) >= MIN_FONT_PT, key
        assert rc["savefig.dpi"] >= 200  # sharp on high-density screens
    assert STYLE.is_file()
