"""The architecture can be read from ``ls evodeap/`` and the code keeps to it.

* every import (module level, in functions, under ``TYPE_CHECKING``) runs down the layer
  order of :mod:`evodeap.architecture`;
* evodeap's own code, tests, experiments and notebooks use the new module paths; the old
  ones work only through :data:`evodeap._mount.MOVED`, for users' files;
* each folder's ``__init__`` docstring says its job and names every module in it;
* the size limits of the layout issue: modules ≤ 400 lines, classes ≤ 250, functions ≤ 60
  (the CLI's argument parser excepted), ≤ 12 modules directly in ``evodeap/``.
"""
from __future__ import annotations

import ast
import importlib
import json
from pathlib import Path

import pytest

from evodeap import _mount
from evodeap.architecture import LAYERS, layer_of, may_import
from test_imports import import_graph

ROOT = Path(__file__).resolve().parents[1]
CODE_FOLDERS = ("evodeap", "operators", "models")


def code_files():
    for folder in CODE_FOLDERS:
        yield from sorted((ROOT / folder).rglob("*.py"))


def test_every_module_belongs_to_a_declared_layer():
    for module in import_graph():
        assert layer_of(module) in LAYERS, f"{module}: its folder is not in evodeap.architecture.LAYERS"


def test_imports_run_down_the_layer_order():
    against = sorted(
        f"{importer} -> {imported}"
        for importer, targets in import_graph().items()
        for imported in targets
        if not may_import(importer, imported)
    )
    assert against == []


def test_the_order_check_can_fail():
    assert not may_import("evodeap.genome.space", "evodeap.engine.loop")
    assert may_import("evodeap.engine.loop", "evodeap.genome.space")
    assert not may_import("evodeap.errors", "evodeap")


def test_at_most_twelve_modules_directly_in_the_package():
    assert len(list((ROOT / "evodeap").glob("*.py"))) <= 12


def test_every_folder_is_a_layer_and_says_its_modules():
    for folder in sorted(p for p in (ROOT / "evodeap").iterdir() if (p / "__init__.py").is_file()):
        assert folder.name in LAYERS, folder
        doc = ast.get_docstring(ast.parse((folder / "__init__.py").read_text())) or ""
        assert doc.strip(), f"{folder.name}/__init__.py has no docstring"
        for module in sorted(folder.glob("*.py")):
            if module.name != "__init__.py":
                assert f"evodeap.{folder.name}.{module.stem}" in doc, f"{folder.name}/__init__ does not name {module.stem}"


def _old_path_uses(text: str) -> list[str]:
    return [old for old in _mount.MOVED if f"{old} " in text or f"{old}\n" in text or f"{old}." in text or f'{old}"' in text]


def test_no_code_of_ours_uses_an_old_module_path():
    offenders = []
    folders = (*CODE_FOLDERS, "tests", "experiments")
    for folder in folders:
        for path in sorted((ROOT / folder).rglob("*.py")):
            rel = path.relative_to(ROOT).as_posix()
            if rel.startswith("tests/fixtures/old_landscape") or path.name in ("_mount.py", "test_architecture.py"):
                continue
            tree = ast.parse(path.read_text())
            for node in ast.walk(tree):
                names = []
                if isinstance(node, ast.Import):
                    names = [a.name for a in node.names]
                elif isinstance(node, ast.ImportFrom) and node.module:
                    names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
                offenders += [f"{rel}: {n}" for n in names if n in _mount.MOVED]
    for notebook in sorted((ROOT / "notebooks").glob("*.ipynb")):
        source = "".join("".join(c["source"]) for c in json.loads(notebook.read_text())["cells"])
        offenders += [f"{notebook.name}: {old}" for old in _old_path_uses(source + "\n")]
    assert offenders == []


@pytest.mark.parametrize("old", sorted(_mount.MOVED))
def test_an_old_module_path_gives_the_same_module(old):
    module = importlib.import_module(old)
    assert module is importlib.import_module(_mount.MOVED[old])
    assert module.__spec__.name == _mount.MOVED[old]


def test_the_old_paths_are_not_files():
    for old in _mount.MOVED:
        relative = old.split(".", 1)[1].replace(".", "/")
        assert not (ROOT / "evodeap" / f"{relative}.py").exists(), old


def _long_definitions(path: Path):
    text = path.read_text()
    yield "module", path.stem, text.count("\n"), 400
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.ClassDef):
            yield "class", node.name, node.end_lineno - node.lineno + 1, 250
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name != "build_parser":
            yield "function", node.name, node.end_lineno - node.lineno + 1, 60


def test_size_limits():
    too_long = [
        f"{path.relative_to(ROOT)}: {kind} {name} has {lines} lines (limit {limit})"
        for path in code_files()
        for kind, name, lines, limit in _long_definitions(path)
        if lines > limit
    ]
    assert too_long == []


def test_every_format_version_lives_in_files():
    """A file format's version number is defined once, in evodeap/files.py, and imported elsewhere."""
    defined = []
    for path in code_files():
        for node in ast.parse(path.read_text()).body:
            targets = node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(node, ast.AnnAssign) else []
            value = getattr(node, "value", None)
            for target in targets:
                if (isinstance(target, ast.Name) and ("FORMAT" in target.id)
                        and isinstance(value, ast.Constant) and isinstance(value.value, int)):
                    defined.append(f"{path.relative_to(ROOT)}:{target.id}")
    assert defined and all(entry.startswith("evodeap/files.py:") for entry in defined), defined
