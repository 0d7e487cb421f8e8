"""The package's import graph: no cycles, and the core layers never import a task.

Every ``import`` statement counts, at module level or inside a function: a lazy import
still couples the two modules (one cannot be moved, split or tested without the other).
Importing ``a.b.c`` executes ``a/__init__`` and ``a/b/__init__`` too, but that implicit
step is not an edge here, or every package re-exporting its submodules would be a cycle.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = "agl_ops"
CORE_LAYERS = ("agl_ops.algorithms", "agl_ops.store")
TASKS = "agl_ops.tasks"

Graph = dict[str, set[str]]


def module_files(root: Path, package: str) -> dict[str, Path]:
    """Dotted module name -> file, for every module of ``package`` under ``root``."""
    out: dict[str, Path] = {}
    for path in sorted((root / package).rglob("*.py")):
        parts = list(path.relative_to(root).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        out[".".join(parts)] = path
    return out


def _within(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


def _known(name: str, modules: Iterable[str]) -> str | None:
    """The longest prefix of ``name`` that is one of ``modules``."""
    known = set(modules)
    parts = name.split(".")
    for n in range(len(parts), 0, -1):
        candidate = ".".join(parts[:n])
        if candidate in known:
            return candidate
    return None


def _from_base(module: str, is_package: bool, node: ast.ImportFrom) -> str:
    """The absolute module a ``from ... import`` reads from (relative imports resolved)."""
    if not node.level:
        return node.module or ""
    package = module if is_package else module.rpartition(".")[0]
    for _ in range(node.level - 1):
        package = package.rpartition(".")[0]
    return f"{package}.{node.module}" if node.module else package


def imported_modules(module: str, path: Path, modules: set[str], package: str) -> Iterator[str]:
    """The modules of ``package`` that ``module`` imports, anywhere in its file."""
    is_package = path.name == "__init__.py"
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = _from_base(module, is_package, node)
            # ``from pkg import sub`` imports the submodule ``pkg.sub``; ``from pkg import name`` reads pkg
            names = [f"{base}.{a.name}" if f"{base}.{a.name}" in modules else base for a in node.names]
        else:
            continue
        for name in names:
            target = _known(name, modules) if _within(name, package) else None
            if target is not None and target != module:
                yield target


def build_graph(root: Path, package: str) -> Graph:
    files = module_files(root, package)
    names = set(files)
    return {m: set(imported_modules(m, p, names, package)) for m, p in files.items()}


def find_cycles(graph: Graph) -> list[list[str]]:
    """One cycle per strongly connected component with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []

    def visit(v: str) -> None:  # recursion depth is bounded by the module count (a few hundred)
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp: list[str] = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                components.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return [_cycle_in(graph, comp) for comp in components]


def _cycle_in(graph: Graph, component: list[str]) -> list[str]:
    """A concrete cycle through the component's first module: a shortest path back to it."""
    members = set(component)
    start = component[0]
    parents: dict[str, str] = {}
    frontier = [start]
    while frontier:
        nxt: list[str] = []
        for v in frontier:
            for w in sorted(graph[v] & members):
                if w == start:
                    path = [v]
                    while path[-1] != start:
                        path.append(parents[path[-1]])
                    return [*reversed(path), start]
                if w not in parents:
                    parents[w] = v
                    nxt.append(w)
        frontier = nxt
    raise AssertionError(f"no cycle found in component {component}")  # pragma: no cover


def forbidden_edges(graph: Graph, sources: Iterable[str], target: str) -> list[tuple[str, str]]:
    layers = tuple(sources)
    return sorted((src, dst) for src, dsts in graph.items() for dst in dsts
                  if any(_within(src, layer) for layer in layers) and _within(dst, target))


# -- the graph builder itself, on a small package written for the test -------------
def _write(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def test_imports_resolve_to_modules_submodules_and_relative_targets(tmp_path: Path) -> None:
    _write(tmp_path, {
        "pkg/__init__.py": "from pkg.sub import thing\n",
        "pkg/sub/__init__.py": "from . import leaf\nfrom .leaf import VALUE as thing\n",
        "pkg/sub/leaf.py": "import os\nVALUE = 1\n",
        "pkg/sub/other.py": "from ..sub import thing\nfrom .. import top\n",
        "pkg/top.py": "def f():\n    import pkg.sub.leaf\n    from pkg.sub import leaf, thing\n",
        "pkg/outside.py": "import pkgx\nfrom pkg import nothing_here\n",
    })
    g = build_graph(tmp_path, "pkg")
    assert g["pkg"] == {"pkg.sub"}  # a name from a package: the package, not its submodule
    assert g["pkg.sub"] == {"pkg.sub.leaf"}  # ``from . import leaf`` is the submodule
    assert g["pkg.sub.leaf"] == set()  # stdlib imports do not count
    assert g["pkg.sub.other"] == {"pkg.sub", "pkg.top"}  # relative imports, two levels
    assert g["pkg.top"] == {"pkg.sub.leaf", "pkg.sub"}  # imports inside functions count
    assert g["pkg.outside"] == {"pkg"}  # ``pkgx`` is another package


def test_cycles_and_forbidden_edges_are_found(tmp_path: Path) -> None:
    _write(tmp_path, {
        "pkg/__init__.py": "",
        "pkg/a.py": "from pkg import b\n",
        "pkg/b.py": "def lazy():\n    from pkg.c import x\n",
        "pkg/c.py": "import pkg.a\n",
        "pkg/d.py": "import pkg.e\n",
        "pkg/e.py": "",
        "pkg/core/__init__.py": "",
        "pkg/core/m.py": "from pkg.tasks import t\n",
        "pkg/tasks/__init__.py": "",
        "pkg/tasks/t.py": "from pkg.core import m\n",
    })
    g = build_graph(tmp_path, "pkg")
    cycles = find_cycles(g)
    assert sorted(cycles) == [["pkg.a", "pkg.b", "pkg.c", "pkg.a"], ["pkg.core.m", "pkg.tasks.t", "pkg.core.m"]]
    assert forbidden_edges(g, ["pkg.core"], "pkg.tasks") == [("pkg.core.m", "pkg.tasks.t")]


# -- the real package ------------------------------------------------------------------
@pytest.fixture(scope="module")
def graph() -> Graph:
    g = build_graph(ROOT, PACKAGE)
    assert len(g) > 50 and "agl_ops.store" in g  # the walk found the package
    return g


def test_no_import_cycles(graph: Graph) -> None:
    cycles = find_cycles(graph)
    assert not cycles, "import cycles between agl_ops modules:\n" + "\n".join(" -> ".join(c) for c in cycles)


def test_core_layers_do_not_import_tasks(graph: Graph) -> None:
    edges = forbidden_edges(graph, CORE_LAYERS, TASKS)
    assert not edges, "algorithms/store modules import tasks:\n" + "\n".join(f"{a} -> {b}" for a, b in edges)
