"""Random search: independent draws of ``space.sample_genome``, the control every method is measured against."""
from __future__ import annotations

from typing import Any

from evodeap.baselines.common import BudgetedEvaluator, OnEvaluation, method_rng
from evodeap.evaluation.evaluator import EvaluationRecord
from evodeap.genome.space import SearchSpace


def random_search(space: SearchSpace, fitness: Any, budget: int, seed: int, *,
                  on_evaluation: OnEvaluation | None = None,
                  compute_budget: float | None = None) -> list[EvaluationRecord]:
    """Evaluate ``budget`` genomes drawn independently by ``space.sample_genome``.

    The layer count is uniform in ``[min_layers, max_layers]``, kinds uniform over the
    family's kinds (required kinds guaranteed), every gene uniform on its domain (log-uniform
    on log domains). Duplicates are possible and each one counts toward the budget.

    Args:
        space: the search space.
        fitness: ``fitness(genome, context) -> EvalResult``.
        budget: number of evaluations.
        seed: run seed (genome draws and evaluation seeds derive from it).
        on_evaluation: called with each record as soon as it is evaluated.
        compute_budget: also stop once this many training FLOPs (``extra["train_flops"]``
            summed, in the fitness's cost units) are spent — the evaluation that crosses it is the last.

    Returns:
        The evaluation records, in evaluation order.
    """
    rng = method_rng(seed, "random")
    evaluate = BudgetedEvaluator(fitness, budget, seed, on_evaluation, compute_budget)
    while evaluate.left > 0:
        evaluate(space.sample_genome(rng))
    return evaluate.records
