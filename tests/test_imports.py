"""Imports run one way: no module of evodeap (operators/ and models/ included) imports another
that imports it back, directly or through others.

Every ``import`` and ``from ... import`` is read with :mod:`ast` — at module level, inside
functions and inside ``if TYPE_CHECKING:`` blocks alike — so a late import cannot hide a
circle. ``operators/`` and ``models/`` are read under the names they are imported by,
``evodeap.operators`` and ``evodeap.models``.
"""
from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
#: top-level folder -> the package name its modules are imported as
FOLDERS = {"evodeap": "evodeap", "operators": "evodeap.operators", "models": "evodeap.models"}


def module_files() -> dict[str, Path]:
    """Dotted module name -> file, for every module of the three folders."""
    modules = {}
    for folder, package in FOLDERS.items():
        for path in sorted((ROOT / folder).rglob("*.py")):
            parts = list(path.relative_to(ROOT / folder).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            modules[".".join([package, *parts])] = path
    return modules


def imported_names(path: Path, module: str, is_package: bool) -> set[str]:
    """Every module name ``path`` imports (``from a import b`` gives ``a`` and ``a.b``)."""
    names = set()
    package = module if is_package else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative import
                base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                source = ".".join(base + ([node.module] if node.module else []))
            else:
                source = node.module or ""
            names.add(source)
            names.update(f"{source}.{alias.name}" for alias in node.names)
    return names


def import_graph() -> dict[str, set[str]]:
    """Module -> the modules of the package it imports (edges to outside modules dropped)."""
    files = module_files()
    graph = {}
    for module, path in files.items():
        targets = imported_names(path, module, path.name == "__init__.py")
        graph[module] = {t for t in targets if t in files and t != module}
    return graph


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_the_graph_sees_late_imports_and_the_mounted_folders():
    graph = import_graph()
    assert "evodeap.operators.crossover" in graph and "evodeap.models.plan" in graph
    # a function-level import is an edge like any other
    assert "evodeap.config.experiment" in graph["evodeap.runs.lifecycle"] or "evodeap.config.experiment" in graph["evodeap.cli"]
    assert "evodeap.models" in graph["evodeap.fitness.keras_fitness"]


def test_the_circle_finder_finds_a_circle():
    assert circles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert circles({"a": {"b"}, "b": set()}) == []


def test_no_import_circles():
    assert circles(import_graph()) == []
