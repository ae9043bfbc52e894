"""Steady-state (regularized) evolution: budgets, aging, determinism, the executor's order."""
from __future__ import annotations

import dataclasses

import pytest

from evodeap.config.settings import ExperimentConfig
from evodeap.engine.loop import evolve
from evodeap.engine.steady_state import steady_state
from evodeap.errors import ConfigError
from evodeap.evaluation.api import EvalContext, EvalResult
from evodeap.evaluation.fidelity import with_multi_fidelity
from evodeap.execution.executors import SerialExecutor
from evodeap.execution.simulated import SimulatedExecutor
from evodeap.fitness.landscape import LandscapeFitness
from evodeap.genome.genome import Genome


@dataclasses.dataclass(frozen=True)
class CostlyLandscape:
    """The landscape; every evaluation costs ``flops`` training FLOPs and ``seconds`` seconds
    (``None``: ``2 + layers`` seconds, so durations vary)."""

    flops: float = 10.0
    seconds: float | None = None

    def __call__(self, genome: Genome, context: EvalContext) -> EvalResult:
        result = LandscapeFitness()(genome, context)
        result.extra["train_flops"] = self.flops
        result.extra["train_seconds"] = float(2 + len(genome)) if self.seconds is None else self.seconds
        return result


def config(**changes) -> ExperimentConfig:
    return dataclasses.replace(ExperimentConfig(population_size=8, generations=4, seed=9), **changes)


def trace(result) -> list[tuple]:
    return [(r.index, r.genome.key(), r.result.seed, r.result.fitness) for r in result.records]


def test_evaluation_budget_and_the_default_count():
    result = steady_state(config(), executor=SerialExecutor(), fitness=CostlyLandscape(), max_evaluations=25)
    assert len(result.records) == 25
    assert sorted(r.index for r in result.records) == list(range(25))
    default = steady_state(config(), executor=SerialExecutor(), fitness=CostlyLandscape())
    assert len(default.records) == 8 * (4 + 1)  # P·(generations + 1), as many as the generational run


def test_compute_budget_stops_submitting_and_in_flight_work_finishes():
    # 4 in flight, 10 FLOPs each, budget 95: a new child follows each of the first 9
    # completions (spent 10 … 90 < 95), none after the 10th (100): 4 + 9 = 13 evaluations
    executor = SimulatedExecutor(workers=4)
    result = steady_state(config(), executor=executor, fitness=CostlyLandscape(seconds=1.0),
                          max_evaluations=1000, compute_budget=95)
    assert len(result.records) == 13 and result.compute == 130.0
    assert result.compute - 95 < 4 * 10  # over by less than the work in flight


def test_population_ages_out_the_oldest():
    result = steady_state(config(), executor=SimulatedExecutor(workers=3), fitness=CostlyLandscape(),
                          max_evaluations=30)
    assert [ind.key() for ind in result.population] == [r.genome.key() for r in result.records[-8:]]


def test_first_population_is_the_generational_generation_zero():
    generational = evolve(config(generations=0), fitness=CostlyLandscape())
    result = steady_state(config(), executor=SerialExecutor(), fitness=CostlyLandscape(), max_evaluations=20)
    first = sorted(result.records, key=lambda r: r.index)[:8]
    assert [(r.genome.key(), r.result.seed) for r in first] == \
           [(r.genome.key(), r.result.seed) for r in generational.evaluations]


def test_deterministic_for_a_seed_and_different_for_another():
    def run(seed: int) -> list[tuple]:
        return trace(steady_state(config(seed=seed), executor=SimulatedExecutor(workers=4), fitness=CostlyLandscape(),
                                  max_evaluations=40))

    assert run(9) == run(9)
    assert run(9) != run(10)


def test_workers_stay_busy_and_results_follow_virtual_completion():
    executor = SimulatedExecutor(workers=4)
    clocks = []
    result = steady_state(config(), executor=executor, fitness=CostlyLandscape(seconds=1.0), max_evaluations=40,
                          on_evaluation=lambda record: clocks.append(executor.clock))
    assert executor.clock == 10.0 and executor.idle_share() == 0.0  # 40 one-second jobs on 4 workers
    varied = SimulatedExecutor(workers=4)
    finishes = []
    steady_state(config(), executor=varied, fitness=CostlyLandscape(), max_evaluations=40,
                 on_evaluation=lambda record: finishes.append(varied.clock))
    assert finishes == sorted(finishes) and len(result.records) == 40


def test_selection_and_mutation_improve_on_the_random_start():
    result = steady_state(config(population_size=10), executor=SerialExecutor(), fitness=CostlyLandscape(),
                          max_evaluations=300, sample_size=5)
    ordered = sorted(result.records, key=lambda r: r.index)
    random_best = max(r.result.fitness[0] for r in ordered[:10])
    assert result.best(lambda f: f[0]).result.fitness[0] > random_best


def test_bad_settings_get_a_clear_error():
    with pytest.raises(ConfigError, match="max_evaluations"):
        steady_state(config(), executor=SerialExecutor(), max_evaluations=-1)
    with pytest.raises(ConfigError, match="sample_size"):
        steady_state(config(), executor=SerialExecutor(), sample_size=0)
    with pytest.raises(ConfigError, match="compute_budget"):
        steady_state(config(), executor=SerialExecutor(), compute_budget=0)
    with pytest.raises(ConfigError, match="multi_fidelity"):
        steady_state(with_multi_fidelity(config(), max_budget=9), executor=SerialExecutor())


def test_more_workers_than_population_start_with_a_random_wave():
    executor = SimulatedExecutor(workers=20)
    result = steady_state(config(), executor=executor, fitness=CostlyLandscape(), max_evaluations=50)
    assert len(result.records) == 50 and len(result.population) == 8
    first_wave = sorted(r.index for r in result.records)[:20]
    assert first_wave == list(range(20)) and all(s.start == 0.0 for s in executor.timeline if s.item < 20)
