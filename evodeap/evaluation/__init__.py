"""Evaluating genomes: the evaluation API, the evaluator, budgets, rungs, failures, weights.

* :mod:`evodeap.evaluation.api` — ``EvalContext``, ``EvalResult``, statuses, per-evaluation
  seeds and the one place a failure value is written (:func:`~evodeap.evaluation.api.as_result`);
* :mod:`evodeap.evaluation.evaluator` — evaluates a generation through an executor: cache,
  dedup, replay, batches, early-termination thresholds; its state (``get_state``/``set_state``);
* :mod:`evodeap.evaluation.rungs` — multi-fidelity successive halving (synchronous and ASHA) on the evaluator;
* :mod:`evodeap.evaluation.budget` — compute accounting and early-termination settings;
* :mod:`evodeap.evaluation.fidelity` — successive halving inside a generation;
* :mod:`evodeap.evaluation.screening` — surrogate-assisted evolution: breed many offspring, train
  those a surrogate fitted on the evaluations so far ranks best;
* :mod:`evodeap.evaluation.curves` — learning-curve extrapolation for early termination;
* :mod:`evodeap.evaluation.failures` — stop a run whose evaluations keep failing;
* :mod:`evodeap.evaluation.weights` — trained weights kept per (genome key, budget);
* :mod:`evodeap.evaluation.plain` — plain, bounded Python values from what user code returns;
* :mod:`evodeap.evaluation.user_code` — what a fitness gets (copies) and what its failures say (causes).
"""
from evodeap.evaluation.api import (
    DEFAULT_FAILURE,
    STATUSES,
    EvalContext,
    EvalResult,
    Fitness,
    Objectives,
    as_result,
    evaluation_seed,
    genome_seed,
    run_evaluation,
)

__all__ = [
    "DEFAULT_FAILURE", "STATUSES", "EvalContext", "EvalResult", "Fitness", "Objectives",
    "as_result", "evaluation_seed", "genome_seed", "run_evaluation",
]
