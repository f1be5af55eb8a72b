"""Execute one notebook step: `python -m dlip.publish.run.notebook_step --notebook NB --out OUT
--timeout S [--kernel-info JSON]`. The runner calls it as a step subprocess, so notebooks get
the same timeout, capture and memory accounting as scripts; `--kernel-info` is where it
writes which interpreter the notebook's kernel ran in, for `run.json`.
"""

from __future__ import annotations

import json
import math
import shutil
import sys
from pathlib import Path

KERNEL_NAME = "python3"


def execute_notebook(notebook: Path, out: Path, timeout: float) -> int:
    """Execute a notebook with nbclient in the current directory; save it executed."""
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    nb = nbformat.read(notebook, as_version=4)
    client = NotebookClient(
        nb,
        timeout=max(1, math.ceil(timeout)),
        kernel_name=KERNEL_NAME,
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


def kernel_interpreter(kernel_name: str = KERNEL_NAME) -> dict[str, str]:
    """The executable and Python version the named kernel runs in.

    jupyter_client starts a kernelspec whose command is `python` with this interpreter,
    so that case is answered without starting anything.
    """
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    from dlip.publish.run.record import interpreter_info

    try:
        argv = KernelSpecManager().get_kernel_spec(kernel_name).argv
    except NoSuchKernel:
        return {"kernel": kernel_name, **interpreter_info()}
    major, minor = sys.version_info[:2]
    command = argv[0] if argv else "python"
    if command in ("python", f"python{major}", f"python{major}.{minor}"):
        info = interpreter_info()
    else:
        info = interpreter_info(shutil.which(command) or command)
    return {"kernel": kernel_name, **info}


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(description="Execute one notebook step (used by dlip run).")
    parser.add_argument("--notebook", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--timeout", type=float, required=True)
    parser.add_argument("--kernel-info", type=Path, default=None)
    args = parser.parse_args(argv)
    if args.kernel_info is not None:
        args.kernel_info.write_text(json.dumps(kernel_interpreter()), encoding="utf-8")
    return execute_notebook(args.notebook, args.out, args.timeout)


if __name__ == "__main__":
    sys.exit(main())
