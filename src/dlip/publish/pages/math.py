"""Math on the site: KaTeX, vendored into the package and served from the site's own origin.

No CDN: a reader's browser asks nothing of another host. The files are KaTeX's release
(`npm pack katex@0.16.22`: katex.min.js, contrib/auto-render.min.js, the woff2 fonts, and
katex.min.css with only its woff2 sources), MIT licensed; `dlip-math.js` renders what
`pymdownx.arithmatex` (generic) leaves in `.arithmatex` elements and the `$..$` of
notebook Markdown cells. Only pages with math load them.
"""

from __future__ import annotations

from pathlib import Path

KATEX_SOURCE = Path(__file__).resolve().parent.parent / "assets" / "katex"
KATEX_DOCS = "_generated/katex"  # docs-relative folder the site serves them from
SCRIPTS = ("katex.min.js", "contrib/auto-render.min.js", "dlip-math.js")
STYLESHEET = "katex.min.css"
# What in a built page says it has math for KaTeX to render.
MATH_MARKERS = ('class="arithmatex"', "jupyter-wrapper")


def math_assets() -> dict[str, Path]:
    """Docs path -> vendored file, for every file KaTeX needs (fonts included)."""
    files = [STYLESHEET, "LICENSE", *SCRIPTS]
    files += [f"fonts/{p.name}" for p in sorted((KATEX_SOURCE / "fonts").glob("*.woff2"))]
    return {f"{KATEX_DOCS}/{name}": KATEX_SOURCE / name for name in files}


def with_math(html: str, depth: int) -> str:
    """The built page with KaTeX's stylesheet and scripts, when it has math to render.

    `depth` is how many folders below the site root the page's URL is.
    """
    if not any(marker in html for marker in MATH_MARKERS) or "dlip-math.js" in html:
        return html
    base = "../" * depth + KATEX_DOCS
    css = f'<link rel="stylesheet" href="{base}/{STYLESHEET}">'
    scripts = "".join(f'<script src="{base}/{name}"></script>' for name in SCRIPTS)
    html = html.replace("</head>", f"{css}\n</head>", 1)
    head, sep, tail = html.rpartition("</body>")
    return f"{head}{scripts}\n{sep}{tail}" if sep else html + scripts
