"""Import names that must keep working: the mounted top-level folders and the moved modules.

Two jobs, both a :class:`importlib.abc.MetaPathFinder` first on ``sys.meta_path``:

* ``evodeap.operators`` and ``evodeap.models``: in a wheel the two packages live inside
  ``evodeap/`` and the normal import machinery finds them; in a clone or an editable install
  they sit beside the ``evodeap`` folder, and the finder loads them from there, from *this*
  checkout (so no editable-install hook of another checkout can answer instead).
* :data:`MOVED`: the module paths of evodeap before its layers became folders (for example
  ``evodeap.space`` is now ``evodeap.genome.space``). A user's experiment file, notebook or
  recorded run that imports an old path gets the *same* module object under the old name, so
  monkeypatching and ``isinstance`` behave as before. This table is the one home of those
  compatibility names; evodeap's own code imports only the new paths (a test checks it).
"""
from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import sys
from pathlib import Path
from types import ModuleType

#: Top-level folders of the repository imported as ``evodeap.<name>``.
MOUNTED = ("operators", "models")

#: Old module path -> its home since the layers became folders. (``evodeap.export`` left this
#: table: it is the public export package now, and keeps every name the alias had.)
MOVED: dict[str, str] = {
    "evodeap.backend": "evodeap.execution.backend",
    "evodeap.executors": "evodeap.execution.executors",
    "evodeap.timeouts": "evodeap.execution.timeouts",
    "evodeap.global_random": "evodeap.execution.global_random",
    "evodeap.timing": "evodeap.execution.timing",
    "evodeap.genes": "evodeap.genome.genes",
    "evodeap.space": "evodeap.genome.space",
    "evodeap.individual": "evodeap.genome.individual",
    "evodeap.families": "evodeap.kinds.views",
    "evodeap.evaluator": "evodeap.evaluation.evaluator",
    "evodeap.budget": "evodeap.evaluation.budget",
    "evodeap.fidelity": "evodeap.evaluation.fidelity",
    "evodeap.failures": "evodeap.evaluation.failures",
    "evodeap.weights": "evodeap.evaluation.weights",
    "evodeap.plain": "evodeap.evaluation.plain",
    "evodeap.fitness.curves": "evodeap.evaluation.curves",
    "evodeap.landscape": "evodeap.fitness.landscape",
    "evodeap.contract": "evodeap.operators.contract",
    "evodeap.storage": "evodeap.results.storage",
    "evodeap.history": "evodeap.results.history",
    "evodeap.trials": "evodeap.results.trials",
    "evodeap.columns": "evodeap.results.columns",
    "evodeap.resolve": "evodeap.config.resolve",
    "evodeap.experiment": "evodeap.config.experiment",
    "evodeap.rates": "evodeap.config.rates",
    "evodeap.progress": "evodeap.engine.progress",
    "evodeap.tensorboard": "evodeap.dashboards.tensorboard",
    "evodeap.run": "evodeap.runs.lifecycle",
    "evodeap.rundir": "evodeap.runs.rundir",
    "evodeap.formats": "evodeap.runs.formats",
    "evodeap.lock": "evodeap.runs.lock",
    "evodeap.provenance": "evodeap.runs.provenance",
    "evodeap.report": "evodeap.reports.run_report",
    "evodeap.stats": "evodeap.reports.stats",
    "evodeap.efficiency": "evodeap.reports.efficiency",
    "evodeap.study": "evodeap.studies.study",
    "evodeap.study_report": "evodeap.studies.report",
    "evodeap.factorial": "evodeap.studies.factorial",
    "evodeap.paper_evidence": "evodeap.paper.evidence",
    "evodeap.paper_report": "evodeap.paper.report",
    "evodeap.paper_values": "evodeap.paper.values",
}

_PACKAGE_DIR = Path(__file__).resolve().parent


class _AliasLoader(importlib.abc.Loader):
    """Loads an old module path as the module now at its new path (the same object)."""

    def __init__(self, target: str) -> None:
        self.target = target

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType:
        module = importlib.import_module(self.target)
        self._spec = module.__spec__
        return module

    def exec_module(self, module: ModuleType) -> None:
        module.__spec__ = self._spec  # the import system set the alias's spec; keep the real one


class _SiblingFinder(importlib.abc.MetaPathFinder):
    """Finds ``evodeap.<name>`` (``name`` in :data:`MOUNTED`) and the old paths of :data:`MOVED`."""

    def find_spec(self, fullname, path=None, target=None):
        if fullname in MOVED:
            return importlib.machinery.ModuleSpec(fullname, _AliasLoader(MOVED[fullname]))
        head, _, name = fullname.partition(".")
        if head != "evodeap" or name not in MOUNTED or (_PACKAGE_DIR / name).is_dir():
            return None
        folder = _PACKAGE_DIR.parent / name
        init = folder / "__init__.py"
        if not init.is_file():
            return None
        return importlib.util.spec_from_file_location(fullname, init, submodule_search_locations=[str(folder)])


def install() -> None:
    """Put the finder first on ``sys.meta_path`` (once)."""
    if not any(isinstance(f, _SiblingFinder) for f in sys.meta_path):
        sys.meta_path.insert(0, _SiblingFinder())
