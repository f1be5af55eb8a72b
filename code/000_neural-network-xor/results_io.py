"""Where this folder's scripts put their numbers and figures, and how the figures look.

The publisher's runner sets DLIP_RESULTS_DIR; run by hand, the scripts write to
./results-local/ next to themselves (ignored by git). Every script adds its own names to
one metrics.json, so running them in order builds the full set.

The figures follow the project's house style, read from its one file in the repo
(src/dlip/house.mplstyle, declared in milestone.yml's `inputs` so a change of style
re-keys this milestone); nothing is imported from src/.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
HOUSE_STYLE = HERE.parents[1] / "src" / "dlip" / "house.mplstyle"


def use_house_style() -> None:
    """Draw every later figure in the house style: 6.9 in wide at 200 dpi, text of 10 pt
    and more, so it reads at the site's content width and on a phone. Outside the repo
    (this folder copied elsewhere) the figures fall back to matplotlib's defaults."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    if HOUSE_STYLE.is_file():
        plt.style.use(str(HOUSE_STYLE))
    else:
        print(f"note: {HOUSE_STYLE} not found; figures use matplotlib's defaults",
              file=sys.stderr)


def results_dir() -> Path:
    path = Path(os.environ.get("DLIP_RESULTS_DIR") or HERE / "results-local")
    path.mkdir(parents=True, exist_ok=True)
    return path


def write_metrics(new: dict[str, float | int | str]) -> Path:
    """Merge `new` into metrics.json; written to a temp file, then renamed into place."""
    path = results_dir() / "metrics.json"
    metrics = json.loads(path.read_text()) if path.exists() else {}
    metrics.update(new)
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(metrics, indent=2, sort_keys=True) + "\n")
    os.replace(tmp, path)
    return path
