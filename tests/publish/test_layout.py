"""The publisher's layout: stages import only what lies below them, and nothing imports back.

Read from the source with `ast`, every import counted (those inside functions too), so a
cycle or an upward arrow fails here before it confuses a reader or an import order.
"""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src"
PUBLISH = SRC / "dlip" / "publish"
# Lower number = lower ground; a module may import its own stage or any stage below it.
RANKS = {"shared": 0, "discover": 1, "run": 2, "pages": 3, "site": 4, "commands": 5}
# Packages whose file writes all go through dlip.atomic.
WRITERS = ("publish", "market", "gpt", "patterns")
FORBIDDEN = ("torch", "dlip.market", "dlip.gpt", "dlip.patterns", "numpy", "pandas")


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    found = {_module_name(p): p for p in PUBLISH.rglob("*.py")}
    found["dlip.atomic"] = SRC / "dlip" / "atomic.py"
    return found


def _imports(path: Path, name: str, known: set[str]) -> set[str]:
    """Every module `path` imports (dotted), resolved to a module of ours where there is one."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(parent + ([base] if base else []))
            for alias in node.names:
                full = f"{base}.{alias.name}"
                out.add(full if full in known else base)
    return out


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    known = set(modules)
    return {name: {i for i in _imports(path, name, known) if i in known and i != name}
            for name, path in modules.items()}


def _stage(module: str) -> str:
    parts = module.split(".")
    if module == "dlip.atomic" or len(parts) < 3:
        return "shared"
    head = parts[2]
    if head in ("discover", "run", "pages", "site"):
        return head
    return "commands" if head == "commands" else "shared"


def test_the_publisher_has_no_import_cycles() -> None:
    graph = _graph()
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    cycles: list[list[str]] = []

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for dep in sorted(graph[node]):
            if state.get(dep) == 1:
                cycles.append(path[path.index(dep):] + [node, dep] if dep in path
                              else [node, dep])
            elif dep not in state:
                visit(dep, path + [node])
        state[node] = 2

    for name in sorted(graph):
        if name not in state:
            visit(name, [])
    assert not cycles, "import cycles: " + "; ".join(" -> ".join(c) for c in cycles)


def test_stages_import_only_downwards() -> None:
    upward = []
    for name, deps in _graph().items():
        for dep in deps:
            if RANKS[_stage(dep)] > RANKS[_stage(name)]:
                upward.append(f"{name} ({_stage(name)}) imports {dep} ({_stage(dep)})")
    assert not upward, "\n".join(sorted(upward))


def test_the_publisher_imports_no_ml_code() -> None:
    modules = _modules()
    known = set(modules)
    bad = []
    for name, path in modules.items():
        for imported in _imports(path, name, known):
            if any(imported == f or imported.startswith(f + ".") for f in FORBIDDEN):
                bad.append(f"{name} imports {imported}")
    assert not bad, "\n".join(sorted(bad))


def test_the_stages_are_packages_and_the_flat_prefixes_are_gone() -> None:
    for stage in ("discover", "run", "pages", "site"):
        assert (PUBLISH / stage / "__init__.py").is_file(), stage
    flat = [p.name for p in PUBLISH.glob("*.py")
            if p.name.startswith(("pages_", "run_"))]
    assert not flat, flat


def test_one_atomic_writer_for_the_whole_project() -> None:
    """Only dlip.atomic renames a temporary file over a target (os.replace)."""
    offenders = []
    for path in sorted(p for pkg in WRITERS for p in (SRC / "dlip" / pkg).rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if (isinstance(node, ast.Attribute) and node.attr == "replace"
                    and isinstance(node.value, ast.Name) and node.value.id == "os"):
                offenders.append(f"{path.relative_to(SRC)}:{node.lineno}")
    assert not offenders, "os.replace outside dlip.atomic: " + ", ".join(offenders)
