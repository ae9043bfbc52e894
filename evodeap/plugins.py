"""Plug-in sources: the code that spawned and Ray workers must import before their first task.

A layer kind, a model family, a fitness or an operator defined in an experiment file or in
a researcher's own module exists only in the process that imported it. Workers of the
``process`` and ``ray`` executors are fresh interpreters, so they import the same *sources*
first:

* the **experiment file**, loaded by :func:`load_file` as a real module named
  :data:`EXPERIMENT_MODULE` (``evodeap_experiment``, the name its objects always had, so
  callables recorded in an old ``config.json`` keep their names) and kept in
  ``sys.modules``, so the classes it defines pickle by reference;
* every **importable module** outside evodeap that registered a layer kind or a family
  (:func:`note_module`, called by the registration API), recorded by module name.

The master hands :func:`sources` to its workers — the process executor as an argument of
the worker's main function, Ray through the ``EVODEAP_PLUGINS`` environment variable and a
worker setup hook (:func:`load_from_environment`) — and each worker loads every source once
(:func:`load_sources`). Loading an experiment file again (``resume``) runs it again; its
kinds replace the ones it registered before. A kind registered in ``__main__`` (a notebook
cell, a script) cannot be imported by name: for parallel runs, put it in a module or in the
experiment file.
"""
from __future__ import annotations

import importlib
import importlib.machinery
import importlib.util
import json
import os
import sys
from dataclasses import asdict, dataclass
from pathlib import Path
from types import ModuleType
from typing import Iterable, Mapping

#: The module name of a loaded experiment file (as ``runpy`` named it before).
EXPERIMENT_MODULE = "evodeap_experiment"
#: Environment variable that carries :func:`sources` to Ray workers (JSON).
ENV_VAR = "EVODEAP_PLUGINS"

_UNIMPORTABLE = ("__main__", "__mp_main__", "builtins")


@dataclass(frozen=True)
class PluginSource:
    """One module a worker must import: by ``path`` (a file) or by name (``path`` is None)."""

    module: str
    path: str | None = None


_SOURCES: dict[str, PluginSource] = {}


def load_file(path: str | Path, module_name: str = EXPERIMENT_MODULE) -> ModuleType:
    """Execute a Python file as the module ``module_name`` (kept in ``sys.modules``).

    The file becomes a plug-in source. If it raises, the module it would have replaced
    (and its source) is put back and the exception propagates.
    """
    path = Path(path).resolve()
    loader = importlib.machinery.SourceFileLoader(module_name, str(path))
    spec = importlib.util.spec_from_loader(module_name, loader)
    module = importlib.util.module_from_spec(spec)
    previous_module = sys.modules.get(module_name)
    previous_source = _SOURCES.get(module_name)
    sys.modules[module_name] = module
    _SOURCES[module_name] = PluginSource(module_name, str(path))
    try:
        loader.exec_module(module)
    except BaseException:
        _restore(sys.modules, module_name, previous_module)
        _restore(_SOURCES, module_name, previous_source)
        raise
    return module


def _restore(table: dict, key: str, previous: object) -> None:
    if previous is None:
        table.pop(key, None)
    else:
        table[key] = previous


def note_module(name: str) -> None:
    """Record module ``name`` as a source if workers can import it by name.

    evodeap's own modules, loaded files (already sources) and ``__main__`` are skipped.
    """
    if name in _SOURCES or name.partition(".")[0] == "evodeap" or name in _UNIMPORTABLE:
        return
    module = sys.modules.get(name)
    if module is None or getattr(module, "__spec__", None) is None:
        return
    _SOURCES[name] = PluginSource(name)


def sources() -> tuple[PluginSource, ...]:
    """Every recorded source whose file (if it has one) still exists, in recording order."""
    return tuple(s for s in _SOURCES.values() if s.path is None or Path(s.path).is_file())


def load_sources(items: Iterable[PluginSource | Mapping[str, str | None]]) -> None:
    """Import every source not imported yet (what a worker does before its first task)."""
    for item in items:
        source = item if isinstance(item, PluginSource) else PluginSource(**item)
        if source.module in sys.modules:
            continue
        if source.path is not None:
            load_file(source.path, source.module)
        else:
            importlib.import_module(source.module)
            _SOURCES.setdefault(source.module, source)


def environment() -> dict[str, str]:
    """``{ENV_VAR: JSON of sources()}`` (empty when there is no source)."""
    found = sources()
    return {ENV_VAR: json.dumps([asdict(s) for s in found])} if found else {}


def load_from_environment() -> None:
    """Load the sources named in ``$EVODEAP_PLUGINS`` (Ray's ``worker_process_setup_hook``)."""
    text = os.environ.get(ENV_VAR)
    if text:
        load_sources(json.loads(text))
