"""The layer order of evodeap: each entry imports only from entries before it (or itself).

This is the one place the order lives; ``tests/test_architecture.py`` reads every import of
every module (module level, inside functions, under ``TYPE_CHECKING``) and fails on any that
runs against it. Bottom to top:

* foundations — ``errors``, ``registry``, ``stateful`` (the checkpoint protocol), ``domains``,
  ``files``, ``plugins``, ``_mount``;
* ``kinds`` (layer kinds, families) · ``data`` (Captioned Moving MNIST) · ``execution``
  (backend, executors, timeouts, global random states);
* ``genome`` (genes, genome, space) · ``models`` (genome → Keras) · ``operators`` (DEAP
  operators, their contract);
* ``evaluation`` (evaluation API, evaluator, rungs, budgets, failures, weights) ·
  ``fitness`` (Keras, landscape, standard benchmarks);
* ``results`` (database, history, trials) · ``config`` (settings, experiment files, the run
  plan) · ``engine`` (the genetic algorithm) · ``dashboards`` (TensorBoard, MLflow);
* ``runs`` (run directories, lifecycle) · ``reports`` · ``studies`` · ``baselines`` (the peers) ·
  ``benchmarks`` (suites of standard problems) · ``paper``;
* the user-facing tops — ``export`` (the exported model: write, load with its input
  pipeline), ``testing`` (contract suites), ``cli``, ``__main__`` and the
  package's own ``__init__``.
"""
from __future__ import annotations

#: Bottom to top. A name is a module directly in ``evodeap/`` or a sub-package.
LAYERS: tuple[str, ...] = (
    "errors", "registry", "stateful", "domains", "files", "plugins", "_mount", "architecture",
    "kinds", "data", "execution",
    "genome", "models", "operators",
    "evaluation", "fitness",
    "results", "config", "engine", "dashboards",
    "runs", "reports", "studies", "baselines", "benchmarks", "paper",
    "export", "testing", "cli", "__main__", "__init__",
)


def layer_of(module: str) -> str:
    """The entry of :data:`LAYERS` a dotted module name belongs to.

    ``evodeap.genome.space`` → ``"genome"``; ``evodeap.errors`` → ``"errors"``; the package
    ``evodeap`` itself → ``"__init__"``.
    """
    parts = module.split(".")
    if parts[0] != "evodeap":
        raise ValueError(f"not an evodeap module: {module}")
    return parts[1] if len(parts) > 1 else "__init__"


def may_import(importer: str, imported: str) -> bool:
    """Whether module ``importer`` may import module ``imported`` under :data:`LAYERS`."""
    return LAYERS.index(layer_of(imported)) <= LAYERS.index(layer_of(importer))
