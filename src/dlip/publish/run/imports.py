"""The library code and the packages a milestone imports, found by reading its imports.

A milestone's Python files and its notebooks' code cells are parsed (never run); every
`import`, `from ... import` and `importlib.import_module("literal")` that names a module
under the repo's `src/` is followed there, transitively, so a change anywhere in the
library code a run can execute changes the milestone's input key, whether or not the
author remembered to declare it in `inputs`. A library module that reads a data file of
its own names it in a module-level `__data_files__ = ("name.ext", ...)` (paths relative to
the module): those files are followed too. Modules outside `src/` that are not part of
the standard library are the third-party packages the run depends on.
"""

from __future__ import annotations

import ast
import json
import os
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path

from dlip.publish.project import is_inside

SRC_DIRNAME = "src"
_MAGIC_PREFIXES = ("%", "!")  # IPython line magics and shell escapes in code cells

DATA_FILES_NAME = "__data_files__"

_Parsed = tuple[frozenset[tuple[str, int]], bool, tuple[str, ...]]
_parse_cache: dict[tuple[str, int, int], _Parsed] = {}
_cache_lock = threading.Lock()


@dataclass
class ImportScan:
    """What a milestone's code imports: library files under src/, and other top-level names."""

    library: dict[str, Path] = field(default_factory=dict)  # repo-relative posix -> path
    external: set[str] = field(default_factory=set)  # top-level names, stdlib excluded
    unreadable: list[Path] = field(default_factory=list)  # files that would not parse


def scan_imports(root: Path, sources: list[Path], local_dir: Path) -> ImportScan:
    """Follow the imports of `sources` (.py and .ipynb) through `root/src`, transitively.

    Names that resolve to a file in `local_dir` (the milestone's own modules) are not
    followed: those files are hashed as the milestone's own anyway.
    """
    src = root / SRC_DIRNAME
    scan = ImportScan()
    queue: list[tuple[Path, str | None]] = [(path, None) for path in sources]
    seen: set[Path] = set()
    while queue:
        path, package = queue.pop()
        if path in seen:
            continue
        seen.add(path)
        names, ok = _imported_names(path, package)
        if not ok:
            scan.unreadable.append(path)
        for name in sorted(names):
            top = name.split(".")[0]
            if package is None and _local_module(local_dir, top):
                continue
            found = _resolve(src, name) if src.is_dir() else []
            if not found:
                if top not in sys.stdlib_module_names and not _resolve(src, top):
                    scan.external.add(top)
                continue
            for module_path, module_package in found:
                if not is_inside(module_path, root):
                    continue
                rel = module_path.relative_to(root).as_posix()
                scan.library[rel] = module_path
                queue.append((module_path, module_package))
                for data in _parsed(module_path)[2]:
                    data_path = Path(os.path.normpath(module_path.parent / data))
                    if is_inside(data_path, src) and data_path.is_file():
                        scan.library[data_path.relative_to(root).as_posix()] = data_path
    return scan


def notebook_code(path: Path) -> str:
    """The code cells of a notebook joined, magics and shell escapes blanked out.

    Raises ValueError when the file is not a notebook (bad JSON, no list of cells).
    """
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"not a readable notebook: {exc}") from None
    cells = data.get("cells") if isinstance(data, dict) else None
    if not isinstance(cells, list):
        raise ValueError("not a notebook: no list of cells")
    chunks = []
    for cell in cells:
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        source = cell.get("source", "")
        text = "".join(source) if isinstance(source, list) else str(source)
        lines = [
            "" if line.lstrip().startswith(_MAGIC_PREFIXES) else line
            for line in text.splitlines()
        ]
        chunks.append("\n".join(lines))
    return "\n\n".join(chunks) + "\n"


def _imported_names(path: Path, package: str | None) -> tuple[frozenset[str], bool]:
    """Absolute dotted names `path` imports (with every parent package)."""
    raw, ok, _ = _parsed(path)
    names: set[str] = set()
    for name, level in raw:
        if level:
            if package is None:
                continue  # a relative import in a script: nothing under src/ to follow
            base = package.split(".")
            if level > 1:
                base = base[: len(base) - (level - 1)]
            if not base:
                continue
            name = ".".join(base + ([name] if name else []))
        parts = name.split(".")
        names.update(".".join(parts[:i]) for i in range(1, len(parts) + 1))
    return frozenset(names), ok


def _parsed(path: Path) -> _Parsed:
    """What `path` imports and the data files it declares; each file parsed once."""
    try:
        stat = path.stat()
    except OSError:
        return frozenset(), False, ()
    key = (str(path), stat.st_mtime_ns, stat.st_size)
    with _cache_lock:
        cached = _parse_cache.get(key)
    if cached is None:
        cached = _parse(path)
        with _cache_lock:
            _parse_cache[key] = cached
    return cached


def _parse(path: Path) -> _Parsed:
    try:
        if path.suffix.lower() == ".ipynb":
            text = notebook_code(path)
        else:
            text = path.read_text(encoding="utf-8")
        tree = ast.parse(text, filename=str(path))
    except (OSError, UnicodeDecodeError, ValueError, SyntaxError):
        return frozenset(), False, ()
    found: set[tuple[str, int]] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update((alias.name, 0) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if module or node.level:
                found.add((module, node.level))
            for alias in node.names:
                if alias.name != "*":
                    joined = f"{module}.{alias.name}" if module else alias.name
                    found.add((joined, node.level))
        elif isinstance(node, ast.Call) and _is_import_module(node.func):
            arg = node.args[0] if node.args else None
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                found.add((arg.value.lstrip("."), 0))
    return frozenset(found), True, _data_files(tree)


def _data_files(tree: ast.Module) -> tuple[str, ...]:
    """The string constants of a module-level `__data_files__ = (...)`."""
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == DATA_FILES_NAME for t in node.targets) \
                and isinstance(node.value, (ast.Tuple, ast.List)):
            return tuple(e.value for e in node.value.elts
                         if isinstance(e, ast.Constant) and isinstance(e.value, str))
    return ()


def _is_import_module(func: ast.expr) -> bool:
    if isinstance(func, ast.Attribute):
        return func.attr == "import_module"
    return isinstance(func, ast.Name) and func.id in ("import_module", "__import__")


def _resolve(src: Path, name: str) -> list[tuple[Path, str]]:
    """The file(s) that define module `name` under src/, with the package they belong to."""
    if not name or not all(part.isidentifier() for part in name.split(".")):
        return []
    base = src.joinpath(*name.split("."))
    init = base / "__init__.py"
    if init.is_file():
        return [(init, name)]
    module = base.with_suffix(".py")
    if module.is_file():
        return [(module, name.rpartition(".")[0])]
    return []


def _local_module(folder: Path, top: str) -> bool:
    return (folder / f"{top}.py").is_file() or (folder / top / "__init__.py").is_file()
