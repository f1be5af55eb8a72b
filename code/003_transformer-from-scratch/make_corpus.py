"""Write the default corpus: the Python Language Reference as it ships inside Python.

Every CPython install carries the text of the reference manual's topics in
`pydoc_data.topics` (it is what `help("if")` prints). It is English technical prose,
about 0.5 MB, and it is here without any download. Its wording changes between Python
versions, so the training run never reads it live: this script snapshots it once into
`data/python-reference.txt`, which is committed, and the run reads that file.

The text is Python's documentation, licensed under the PSF License Agreement
(https://docs.python.org/3/license.html); see the milestone README.

Run: python make_corpus.py   (rewrites data/python-reference.txt)
"""

from __future__ import annotations

import hashlib
import os
import platform
import pydoc_data.topics
from pathlib import Path

OUT = Path(__file__).resolve().parent / "data" / "python-reference.txt"


def reference_text() -> str:
    """All topics, sorted by name, separated by one blank line, trailing spaces removed."""
    topics = pydoc_data.topics.topics
    parts = []
    for name in sorted(topics):
        lines = [line.rstrip() for line in topics[name].strip("\n").splitlines()]
        parts.append("\n".join(lines))
    return "\n\n".join(parts) + "\n"


def main() -> None:
    text = reference_text()
    OUT.parent.mkdir(parents=True, exist_ok=True)
    tmp = OUT.with_suffix(".tmp")
    tmp.write_text(text, encoding="utf-8", newline="\n")
    os.replace(tmp, OUT)
    data = OUT.read_bytes()
    print(f"wrote {OUT.name}: {len(data):,} bytes from Python {platform.python_version()}")
    print(f"sha256 {hashlib.sha256(data).hexdigest()}")


if __name__ == "__main__":
    main()
