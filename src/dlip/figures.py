"""The house style of milestone figures (`house.mplstyle`), for scripts that import dlip.

Why: figures are read at the site's content width (about 690 px) and on phones; matplotlib's
defaults (6.4 x 4.8 in at 100 dpi, 10 pt text) shrink tick labels to a few pixels there.
A milestone that imports this module has the style file in its input key (named in
`__data_files__`, which the freeze key follows), so a change of style makes its frozen
figures stale, as it should.
"""

from __future__ import annotations

from pathlib import Path

__data_files__ = ("house.mplstyle",)
STYLE = Path(__file__).with_name(__data_files__[0])
MIN_FONT_PT = 10  # nothing smaller: about 5 px on a phone at the content width


def use_house_style() -> None:
    """Apply the house style to every figure made after this call."""
    import matplotlib.pyplot as plt

    plt.style.use(str(STYLE))
