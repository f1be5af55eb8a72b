"""Execute one notebook step: `python -m dlip.publish.run.notebook_step --notebook NB --out OUT
--timeout S`. The runner calls it as a step subprocess, so notebooks get the same timeout,
capture and memory accounting as scripts.
"""

from __future__ import annotations

import math
import sys
from pathlib import Path


def execute_notebook(notebook: Path, out: Path, timeout: float) -> int:
    """Execute a notebook with nbclient in the current directory; save it executed."""
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    nb = nbformat.read(notebook, as_version=4)
    client = NotebookClient(
        nb,
        timeout=max(1, math.ceil(timeout)),
        kernel_name="python3",
        resources={"metadata": {"path": str(Path.cwd())}},
    )
    error = None
    try:
        client.execute()
    except Exception as exc:  # a failing cell, a dead kernel, a cell timeout
        error = exc if isinstance(exc, CellExecutionError) else f"{type(exc).__name__}: {exc}"
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            if output.get("output_type") == "stream":
                print(output.get("text", ""), end="", flush=True)
    nbformat.write(nb, out)
    if error is not None:
        print(str(error), file=sys.stderr, flush=True)
        return 1
    return 0


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(description="Execute one notebook step (used by dlip run).")
    parser.add_argument("--notebook", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--timeout", type=float, required=True)
    args = parser.parse_args(argv)
    return execute_notebook(args.notebook, args.out, args.timeout)


if __name__ == "__main__":
    sys.exit(main())
