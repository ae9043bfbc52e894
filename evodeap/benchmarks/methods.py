"""The search methods of the benchmark suite, registered in :data:`~evodeap.benchmarks.problem.METHODS`.

evodeap's own arms run :func:`evodeap.engine.evolve` with ``compute_budget`` set to the
problem's budget (a run stops after the generation in which the budget is reached; the
suite's analysis counts only what was found within the budget):

* ``evodeap_published`` — the paper's method: two-point cut-and-splice crossover, split
  (hyperparameter + structural) mutation with ``μ(t) = 0.05·e^(−0.05t)``, Boltzmann selection
  β = 5, one elite, refinement every 3 generations; population 20 (the paper's 50 would
  leave four generations for 200 evaluations);
* ``evodeap_mf`` — the same with multi-fidelity successive halving over the epochs (problems
  with a fidelity only; elsewhere it is ``evodeap_published``).

* ``evodeap_recommended`` — the recommended configuration (:func:`evodeap.config.presets.recommended`)
  with successive halving where the problem has a fidelity, and its ablations
  (:data:`RECOMMENDED_ARMS`: at full fidelity, with surrogate screening, with population 20).

The peers are the baselines of :data:`evodeap.baselines.methods.BASELINES` that search at full
fidelity (random search, regularized evolution, Optuna's TPE, SMAC3's HPO facade, Nevergrad's
NGOpt, DE and discrete (1+1)), each run with the problem's budget as its compute budget;
:data:`PEERS` names them. The multi-fidelity peers (DEHB, TPE + Hyperband, SMAC3's
multi-fidelity facade, Hyperband) are in :mod:`evodeap.benchmarks.fidelity_peers`.
"""
from __future__ import annotations

import dataclasses
from typing import Any, Callable

from evodeap.baselines.methods import BASELINES
from evodeap.benchmarks.problem import METHODS, SuiteProblem
from evodeap.config.presets import recommended
from evodeap.config.settings import ExperimentConfig
from evodeap.engine.loop import evolve
from evodeap.evaluation.evaluator import EvaluationRecord
from evodeap.evaluation.fidelity import with_multi_fidelity

#: Generations an evodeap arm may run at most. The compute budget stops it first unless the population
#: has converged to copies of a few genomes, which cost nothing (cache hits): then it stops here,
#: its budget partly unspent.
MAX_GENERATIONS = 1_000
#: Evaluations a peer may make at most; the compute budget stops it long before.
UNBOUNDED = 100_000


def published_config(problem: SuiteProblem, seed: int, **changes: Any) -> ExperimentConfig:
    """The paper's method on ``problem`` (see the module docstring), with ``changes``."""
    config = ExperimentConfig(
        name="evodeap_published", space=problem.space, fitness=problem.fitness,
        fitness_params=dict(problem.fitness_params), population_size=20, generations=MAX_GENERATIONS,
        crossover="two_point", mutation="split",
        mutation_rate={"name": "exponential_decay", "initial": 0.05, "rate": 0.05},
        selection="boltzmann", selection_params={"beta": 5.0}, elitism=1, refine_every=3,
        seed=int(seed), compute_budget=float(problem.budget),
    )
    return dataclasses.replace(config, **changes)


def recommended_config(problem: SuiteProblem, seed: int, multi_fidelity: bool = False,
                       **changes: Any) -> ExperimentConfig:
    """evodeap's recommended configuration (:func:`evodeap.config.presets.recommended`) on
    ``problem`` with its budget — with successive halving over the epochs when
    ``multi_fidelity`` and the problem has a fidelity — with ``changes``."""
    return recommended(problem.space, problem.budget, fitness=problem.fitness,
                       fitness_params=dict(problem.fitness_params), seed=int(seed),
                       max_fidelity=problem.max_fidelity if multi_fidelity else None, **changes)


#: The recommended configuration and its ablations: suite method name -> (multi-fidelity, changes).
RECOMMENDED_ARMS: dict[str, tuple[bool, dict[str, Any]]] = {
    "evodeap_recommended": (True, {}),
    "evodeap_recommended_full_fidelity": (False, {}),
    "evodeap_recommended_screening": (True, {"screening": {"surrogate": "tpe", "factor": 4, "min_evaluations": 10,
                                                           "explore": 0.5}}),
    "evodeap_recommended_population20": (True, {"population_size": 20}),
}


def _recommended_arm(multi_fidelity: bool, changes: dict[str, Any]) -> Callable[[SuiteProblem, int], list]:
    def search(problem: SuiteProblem, seed: int) -> list[EvaluationRecord]:
        return run_config(recommended_config(problem, seed, multi_fidelity, **changes))

    search.__doc__ = f"The recommended configuration (multi-fidelity: {multi_fidelity}) with {changes or 'no change'}."
    return search


for _name, (_mf, _changes) in RECOMMENDED_ARMS.items():
    METHODS.register(_name)(_recommended_arm(_mf, _changes))


#: Generations in a row without a new evaluation (every offspring a copy of a genome evaluated
#: before: a cache hit, which costs nothing) after which an evodeap arm is over: its population
#: has converged and no compute will be spent again.
STALE_GENERATIONS = 50


class _Converged(Exception):
    """Raised from the generation callback to end a converged run."""


def run_config(config: ExperimentConfig, stale: int = STALE_GENERATIONS) -> list[EvaluationRecord]:
    """The new evaluations of ``evolve(config)`` (cache hits cost nothing and never improve the
    incumbent, so they are left out) in the order they were made; the run ends early after
    ``stale`` generations in a row that evaluated nothing new (a converged population)."""
    records: list[EvaluationRecord] = []
    quiet = 0

    def generation(report: Any) -> None:
        nonlocal quiet
        quiet = 0 if any(not r.cached for r in report.evaluations) else quiet + 1
        if quiet >= stale:
            raise _Converged

    try:
        evolve(config, callback=generation, on_evaluation=records.append)
    except _Converged:
        pass
    return records


@METHODS.register("evodeap_published")
def evodeap_published(problem: SuiteProblem, seed: int) -> list[EvaluationRecord]:
    """The paper's method (module docstring)."""
    return run_config(published_config(problem, seed))


@METHODS.register("evodeap_mf")
def evodeap_mf(problem: SuiteProblem, seed: int) -> list[EvaluationRecord]:
    """The paper's method with successive halving over the epochs (η = 3, rungs from R/9)."""
    config = published_config(problem, seed, name="evodeap_mf")
    if problem.max_fidelity is None:
        return run_config(config)
    top = problem.max_fidelity
    return run_config(with_multi_fidelity(config, min_budget=max(1, top // 9), eta=3, max_budget=top))


#: The baselines the suite runs, by their BASELINES name.
PEERS: tuple[str, ...] = ("random", "regularized_evolution", "optuna_tpe", "smac_hpo", "nevergrad_ngopt",
                          "nevergrad_de", "nevergrad_discrete_one_plus_one")


def peer(name: str) -> Callable[[SuiteProblem, int], list[EvaluationRecord]]:
    """The suite method running the baseline ``name`` with the problem's budget as compute budget."""
    baseline = BASELINES.get(name)

    def search(problem: SuiteProblem, seed: int) -> list[EvaluationRecord]:
        return baseline(problem.space, problem.make_fitness(), UNBOUNDED, seed, compute_budget=float(problem.budget))

    search.__doc__ = f"{name} (:data:`evodeap.baselines.methods.BASELINES`) at the problem's budget."
    return search


for _name in PEERS:
    METHODS.register(_name)(peer(_name))


__all__ = ["MAX_GENERATIONS", "PEERS", "UNBOUNDED", "evodeap_mf", "evodeap_published", "peer", "published_config",
           "RECOMMENDED_ARMS", "recommended_config", "run_config"]
