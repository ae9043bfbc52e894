"""What a benchmark suite is made of: problems, and the registry of search methods.

* A :class:`Problem` is a registered fitness with its parameters, its search space and its
  budget in the fitness's own cost units (``train_flops`` of every evaluation: recorded or
  simulated training seconds, or epochs), plus the validation and test metric names that
  search sees and that are reported.
* A method is registered in :data:`METHODS` (an :class:`evodeap.registry.Registry`) as
  ``method(problem, seed) -> list[EvaluationRecord]``; it must stop once the problem's budget
  is spent (the evaluation that crosses it is its last).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from evodeap.evaluation.evaluator import EvaluationRecord
from evodeap.fitness import make_fitness
from evodeap.genome.space import SearchSpace
from evodeap.registry import Registry


@dataclass(frozen=True)
class Problem:
    """One benchmark problem of a suite.

    Attributes:
        name: e.g. ``"nb201/cifar10"`` (``/`` separates the benchmark from its instance).
        fitness: a registered fitness name (:data:`evodeap.fitness.FITNESSES`).
        fitness_params: its parameters.
        space: the search space, written with evodeap's genes.
        budget: the compute one search may spend, in the fitness's cost units.
        validation_metric, test_metric: the metric names search sees and that are reported.
        best_known: the best validation value known for the problem (``None``: the best seen
            in the suite), the reference of the normalised regret.
        fidelity: the fitness takes an epoch budget (multi-fidelity methods may use it).
    """

    name: str
    fitness: str
    fitness_params: dict[str, Any]
    space: SearchSpace
    budget: float
    validation_metric: str
    test_metric: str
    best_known: float | None = None
    fidelity: bool = False
    notes: str = field(default="", compare=False)

    def make_fitness(self) -> Any:
        """The fitness object of this problem."""
        return make_fitness(self.fitness, **self.fitness_params)

    def validation(self, record: EvaluationRecord) -> float:
        return float(record.result.metrics[self.validation_metric])

    def test(self, record: EvaluationRecord) -> float:
        return float(record.result.metrics.get(self.test_metric, float("nan")))


#: name -> ``method(problem, seed) -> list[EvaluationRecord]``
METHODS: Registry[Callable[[Problem, int], list[EvaluationRecord]]] = Registry("benchmark method")


__all__ = ["METHODS", "Problem"]
