"""The baselines by name: one :class:`~evodeap.registry.Registry`, :data:`BASELINES`.

Every method takes ``(space, fitness, budget, seed, **params)`` and returns its evaluation
records (see :mod:`evodeap.baselines.common` for the budget they share). A
:class:`Baseline` holds the method and the optional libraries it needs
(``pip install 'evodeap[peers]'``).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from evodeap.baselines.common import require_peer
from evodeap.baselines.dehb_driver import dehb
from evodeap.baselines.grid import grid_search
from evodeap.baselines.keras_tuner import keras_tuner_hyperband
from evodeap.baselines.nevergrad_search import nevergrad_de, nevergrad_discrete_one_plus_one, nevergrad_ngopt
from evodeap.baselines.optuna_tpe import optuna_tpe, optuna_tpe_hyperband
from evodeap.baselines.random_search import random_search
from evodeap.baselines.regularized_evolution import regularized_evolution
from evodeap.baselines.smac import smac_hpo, smac_multi_fidelity
from evodeap.evaluation.evaluator import EvaluationRecord
from evodeap.genome.space import SearchSpace
from evodeap.registry import Registry


@dataclass(frozen=True)
class Baseline:
    """A search method and the optional libraries (importable module names) it needs."""

    run: Callable[..., list[EvaluationRecord]]
    requires: tuple[str, ...] = ()

    def check(self) -> None:
        """Import every library it needs; a :class:`~evodeap.errors.ConfigError` naming the extra otherwise."""
        for module in self.requires:
            require_peer(module)

    def __call__(self, space: SearchSpace, fitness: Any, budget: int, seed: int,
                 **params: Any) -> list[EvaluationRecord]:
        return self.run(space, fitness, budget, seed, **params)


#: Every baseline, by name.
BASELINES: Registry[Baseline] = Registry("baseline")
for _name, _baseline in (
    ("random", Baseline(random_search)),
    ("grid", Baseline(grid_search)),
    ("regularized_evolution", Baseline(regularized_evolution)),
    ("optuna_tpe", Baseline(optuna_tpe, ("optuna",))),
    ("optuna_tpe_hyperband", Baseline(optuna_tpe_hyperband, ("optuna",))),
    ("keras_tuner_hyperband", Baseline(keras_tuner_hyperband, ("keras_tuner",))),
    ("smac_multi_fidelity", Baseline(smac_multi_fidelity, ("smac",))),
    ("smac_hpo", Baseline(smac_hpo, ("smac",))),
    ("nevergrad_ngopt", Baseline(nevergrad_ngopt, ("nevergrad",))),
    ("nevergrad_de", Baseline(nevergrad_de, ("nevergrad",))),
    ("nevergrad_discrete_one_plus_one", Baseline(nevergrad_discrete_one_plus_one, ("nevergrad",))),
    ("dehb", Baseline(dehb)),  # its own Python: see evodeap.baselines.dehb_driver
):
    BASELINES.register(_name)(_baseline)


def run_baseline(method: str, space: SearchSpace, fitness: Any, budget: int, seed: int,
                 **params: Any) -> list[EvaluationRecord]:
    """Run the baseline registered as ``method`` in :data:`BASELINES`.

    Raises:
        UnknownNameError: no baseline has that name (the message lists the known ones).
    """
    return BASELINES.get(method)(space, fitness, budget, seed, **params)


def check_baselines(methods: Any) -> None:
    """Check, before a long comparison starts, that every library the named methods need is installed."""
    for method in methods:
        BASELINES.get(method).check()
