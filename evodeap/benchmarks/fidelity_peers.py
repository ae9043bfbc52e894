"""The multi-fidelity peers on a suite problem with a fidelity: one adapter for all of them.

The multi-fidelity baselines (:mod:`evodeap.baselines`: Optuna's TPE with Hyperband pruning,
SMAC3's multi-fidelity facade, DEHB, Keras Tuner's Hyperband) take their fidelity from an
``epochs`` hyperparameter gene: they set it per rung and evaluate the genome. A suite
problem's fitness with a fidelity (LCBench) has no such gene: it trains to ``context.budget``
(a rung of evodeap's own successive halving), else to its full fidelity. The adapter joins
the two, and is the only place they meet:

* :func:`fidelity_space` — the problem's space plus the gene ``epochs`` ∈
  ``Integer(1, max_fidelity)``; only the multi-fidelity peers see it (every other method
  searches the problem's own space, unchanged);
* :class:`EpochsGeneFitness` — the problem's fitness, trained to the genome's ``epochs`` gene:
  with ``g`` that gene, it calls the problem's fitness with the genome *without* the gene and
  ``context.budget = g`` (a budget already in the context comes first). The problem's fitness
  therefore sees the same genome at every rung, so its continuation (``context.weights`` of
  this genome at ``b`` epochs) works as under evodeap's successive halving, and its cost is
  the same: ``train_flops`` = the epochs trained by this evaluation (``g − b`` when a method
  continues from its own ``b``-epoch training, ``g`` from scratch).

:data:`MF_PEERS` names the suite's multi-fidelity peers and their settings (η = 3, the budget
range ``[1, max_fidelity]`` epochs: the defaults of docs/baselines.md, as each library's
documentation recommends); :func:`fidelity_peer` makes each a suite method, registered in
:data:`~evodeap.benchmarks.problem.METHODS` under the baseline's name. They run only on
problems with a fidelity (:func:`evodeap.benchmarks.problem.runs_on`).
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Callable

from evodeap.baselines.methods import BASELINES
from evodeap.benchmarks.methods import UNBOUNDED
from evodeap.benchmarks.problem import METHODS, SuiteProblem
from evodeap.errors import ConfigError
from evodeap.evaluation.api import EvalContext, EvalResult
from evodeap.evaluation.evaluator import EvaluationRecord
from evodeap.genome.genome import Genome
from evodeap.genome.space import Integer, SearchSpace

#: The gene the multi-fidelity baselines read their fidelity from.
FIDELITY_GENE = "epochs"
#: The multi-fidelity peers (by their :data:`~evodeap.baselines.methods.BASELINES` name) and
#: their settings: Hyperband's reduction factor η = 3 and the least budget of 1 epoch (the
#: largest is the problem's ``max_fidelity``, the ``epochs`` gene's upper bound). Keras Tuner's
#: Hyperband takes only η (``factor``): it derives its rungs from the largest budget,
#: ``⌈max/η^k⌉``.
MF_PEERS: dict[str, dict[str, Any]] = {
    "optuna_tpe_hyperband": {"eta": 3, "min_epochs": 1},
    "smac_multi_fidelity": {"eta": 3, "min_epochs": 1},
    "dehb": {"eta": 3, "min_epochs": 1},
    "keras_tuner_hyperband": {"factor": 3},
}


def fidelity_space(problem: SuiteProblem) -> SearchSpace:
    """``problem.space`` with the gene ``epochs`` ∈ ``Integer(1, problem.max_fidelity)`` added.

    Raises:
        ConfigError: the problem has no fidelity, or its space already has an ``epochs`` gene.
    """
    if problem.max_fidelity is None:
        raise ConfigError(f"problem {problem.name} has no fidelity: a multi-fidelity peer cannot run on it")
    space = problem.space
    if FIDELITY_GENE in space.hyperparameters:
        raise ConfigError(f"problem {problem.name}'s space already has an {FIDELITY_GENE!r} gene")
    return replace(space, hyperparameters={**space.hyperparameters,
                                           FIDELITY_GENE: Integer(1, int(problem.max_fidelity))})


@dataclass(frozen=True)
class EpochsGeneFitness:
    """``fitness`` trained to the genome's ``epochs`` gene (see the module docstring).

    With ``g`` the gene's value: ``self(genome, context) = fitness(genome \\ {epochs},
    context with budget = g)``; a ``context.budget`` already set is kept (it comes first);
    a genome without the gene is passed on unchanged (the fitness's own full fidelity). The
    objectives and failure value are the wrapped fitness's.
    """

    fitness: Any
    gene: str = FIDELITY_GENE

    @property
    def n_objectives(self) -> Any:
        return getattr(self.fitness, "n_objectives", None)

    @property
    def failure_fitness(self) -> Any:
        return getattr(self.fitness, "failure_fitness", None)

    @property
    def weights(self) -> Any:
        return getattr(self.fitness, "weights", None)

    @property
    def objective_names(self) -> Any:
        return getattr(self.fitness, "objective_names", ())

    def __call__(self, genome: Genome, context: EvalContext) -> EvalResult:
        if self.gene not in genome.hyperparameters:
            return self.fitness(genome, context)
        hyper = dict(genome.hyperparameters)
        epochs = hyper.pop(self.gene)
        inner = Genome(genome, hyper, family=genome.family, birth=genome.birth)
        if context.budget is None:
            context = replace(context, budget=int(epochs))
        return self.fitness(inner, context)


def fidelity_peer(name: str) -> Callable[[SuiteProblem, int], list[EvaluationRecord]]:
    """The suite method running the multi-fidelity baseline ``name`` (:data:`MF_PEERS`) on
    :func:`fidelity_space` with :class:`EpochsGeneFitness`, the problem's budget as compute
    budget and its ``max_fidelity`` as the largest epoch budget. It runs only on problems
    with a fidelity (``needs_fidelity``); on another it raises a :class:`ConfigError`."""
    baseline = BASELINES.get(name)
    settings = MF_PEERS[name]

    def search(problem: SuiteProblem, seed: int) -> list[EvaluationRecord]:
        space = fidelity_space(problem)
        return baseline(space, EpochsGeneFitness(problem.make_fitness()), UNBOUNDED, seed,
                        compute_budget=float(problem.budget), max_epochs=int(problem.max_fidelity), **settings)

    search.__doc__ = (f"{name} (:data:`evodeap.baselines.methods.BASELINES`, {settings}) on the problem's space "
                      f"with an epochs gene, at the problem's budget (problems with a fidelity only).")
    search.needs_fidelity = True  # type: ignore[attr-defined]
    return search


for _name in MF_PEERS:
    METHODS.register(_name)(fidelity_peer(_name))


__all__ = ["EpochsGeneFitness", "FIDELITY_GENE", "MF_PEERS", "fidelity_peer", "fidelity_space"]
