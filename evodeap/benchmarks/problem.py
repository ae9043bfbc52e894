"""What a benchmark suite is made of: problems, and the registry of search methods.

* A :class:`SuiteProblem` is a registered fitness with its parameters, its search space and
  its budget in the fitness's own cost units (``train_flops`` of every evaluation: recorded
  training seconds, or epochs), plus how to read a record: the value search sees is the
  fitness (a noisy recorded run for the tabular benchmarks), the *score* the regret is
  computed on is the noise-free validation value (mean over recorded runs; maximised), and
  the reported test value where the benchmark has a test split.
  :func:`suite_problem` builds one from :data:`evodeap.fitness.benchmarks.PROBLEMS`.
* A method is registered in :data:`METHODS` (an :class:`evodeap.registry.Registry`) as
  ``method(problem, seed) -> list[EvaluationRecord]``; it must stop once the problem's budget
  is spent (the evaluation that crosses it is its last). A method with the attribute
  ``needs_fidelity = True`` (a multi-fidelity peer) runs only on problems with a fidelity
  (:func:`runs_on`); a suite skips it elsewhere.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from evodeap.evaluation.evaluator import EvaluationRecord
from evodeap.fitness import make_fitness
from evodeap.genome.space import SearchSpace
from evodeap.registry import Registry


@dataclass(frozen=True)
class SuiteProblem:
    """One problem of a suite.

    Attributes:
        name: e.g. ``"nasbench201/cifar10"`` (a name of :data:`evodeap.fitness.benchmarks.PROBLEMS`).
        fitness: a registered fitness name (:data:`evodeap.fitness.FITNESSES`).
        fitness_params: its parameters.
        space: the search space, written with evodeap's genes.
        budget: the compute one search may spend, in the fitness's cost units.
        score_metric, score_sign: the regret is computed on ``score_sign · metrics[score_metric]``
            of the incumbent (the incumbent is chosen by the fitness, what search sees).
        test_metric: the reported test metric (``None``: the benchmark has no test split).
        best_known: the best score known for the problem (``None``: the best any job found).
        max_fidelity: the most epochs the fitness's epoch budget takes (``None``: no fidelity);
            multi-fidelity methods use it.
    """

    name: str
    fitness: str
    fitness_params: dict[str, Any]
    space: SearchSpace
    budget: float
    score_metric: str
    score_sign: float = 1.0
    test_metric: str | None = None
    best_known: float | None = None
    max_fidelity: int | None = None

    def make_fitness(self) -> Any:
        """The fitness object of this problem."""
        return make_fitness(self.fitness, **self.fitness_params)

    def search_value(self, record: EvaluationRecord) -> float:
        return float(record.result.fitness[0])

    def score(self, record: EvaluationRecord) -> float:
        return self.score_sign * float(record.result.metrics[self.score_metric])

    def test(self, record: EvaluationRecord) -> float:
        return float(record.result.metrics.get(self.test_metric, math.nan)) if self.test_metric else math.nan


#: name -> ``method(problem, seed) -> list[EvaluationRecord]``
METHODS: Registry[Callable[[SuiteProblem, int], list[EvaluationRecord]]] = Registry("benchmark method")


def runs_on(method: str, problem: SuiteProblem) -> bool:
    """Whether the method ``method`` of :data:`METHODS` runs on ``problem``: always, unless it
    needs a fidelity (``needs_fidelity``) and the problem has none (``max_fidelity is None``).

    Raises:
        UnknownNameError: no method has that name.
    """
    return problem.max_fidelity is not None or not getattr(METHODS.get(method), "needs_fidelity", False)


#: The standard suite: every NAS-Bench-201, HPOBench-NN and FC-Net problem, and YAHPO-SO v1.0's
#: three LCBench instances.
STANDARD_SUITE: tuple[str, ...] = (
    "nasbench201/cifar10", "nasbench201/cifar100", "nasbench201/imagenet",
    "hpobench_nn/australian", "hpobench_nn/blood_transfusion", "hpobench_nn/car", "hpobench_nn/credit_g",
    "hpobench_nn/kc1", "hpobench_nn/phoneme", "hpobench_nn/segment", "hpobench_nn/vehicle",
    "fcnet/naval_propulsion", "fcnet/parkinsons_telemonitoring", "fcnet/protein_structure",
    "fcnet/slice_localization",
    "lcbench/167168", "lcbench/189873", "lcbench/189906",
)
#: LCBench tasks outside the standard suite: where evodeap's recommended configuration is designed.
DESIGN_SUITE: tuple[str, ...] = ("lcbench/3945", "lcbench/7593", "lcbench/34539", "lcbench/126025")
#: YAHPO-SO v1.0's budget on LCBench: ⌈20·52 + √7·52·40⌉ epochs.
LCBENCH_BUDGET = 6544.0
#: Full evaluations a search may spend on a problem without a published budget.
FULL_EVALUATIONS = 200
#: Random configurations whose mean cost sizes such a budget, and their seed.
COST_DRAWS, COST_SEED = 500, 20261207


def mean_random_cost(fitness: Any, space: SearchSpace, draws: int = COST_DRAWS, seed: int = COST_SEED) -> float:
    """The mean cost (``extra["train_flops"]``) of ``draws`` seeded random configurations."""
    from evodeap.evaluation.api import EvalContext, evaluation_seed
    from evodeap.evaluation.budget import evaluation_compute

    rng = np.random.default_rng(seed)
    costs = [evaluation_compute(fitness(space.sample_genome(rng), EvalContext(seed=evaluation_seed(seed, 0, i))))
             ["train_flops"] for i in range(draws)]
    return float(np.mean(costs))


def suite_problem(name: str, budget: float | None = None) -> SuiteProblem:
    """The problem ``name`` of :data:`evodeap.fitness.benchmarks.PROBLEMS` with its budget:
    ``budget``, else 6,544 epochs on LCBench and :data:`FULL_EVALUATIONS` × the mean cost of a
    random configuration elsewhere (:func:`mean_random_cost`)."""
    from evodeap.evaluation.api import EvalContext
    from evodeap.fitness.benchmarks import PROBLEMS

    entry = PROBLEMS.get(name)
    space = entry.space()
    fitness = make_fitness(entry.fitness, **entry.fitness_params)
    if budget is None:
        budget = LCBENCH_BUDGET if entry.fitness == "lcbench" else FULL_EVALUATIONS * mean_random_cost(fitness, space)
    probe = fitness(space.sample_genome(np.random.default_rng(COST_SEED)), EvalContext(seed=0))
    best = probe.metrics.get(entry.best_metric)
    return SuiteProblem(name, entry.fitness, dict(entry.fitness_params), space, float(budget), entry.score_metric,
                        entry.score_sign, entry.test_metric,
                        None if best is None else entry.score_sign * float(best), entry.max_fidelity)


__all__ = ["COST_DRAWS", "DESIGN_SUITE", "FULL_EVALUATIONS", "LCBENCH_BUDGET", "METHODS", "STANDARD_SUITE",
           "SuiteProblem", "mean_random_cost", "runs_on", "suite_problem"]
