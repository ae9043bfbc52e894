"""The fitness owns its objectives, weights and failure value; a failed evaluation never ranks
above a trained model — for any number of objectives, any weights, any fitness outcome."""
from __future__ import annotations

import dataclasses
import json
import math

import numpy as np
import pytest
from deap import tools
from hypothesis import given, settings
from hypothesis import strategies as st

from evodeap.config.settings import ExperimentConfig
from evodeap.engine.loop import evolve
from evodeap.errors import ConfigError, RunDirectoryError
from evodeap.evaluation.api import EvalContext, EvalResult, Objectives, run_evaluation
from evodeap.fitness.landscape import LandscapeFitness, landscape_value
from evodeap.runs.lifecycle import RunInterrupted, resume, run
from evodeap.genome.space import SearchSpace
from helpers_rundir import stopped_run

GENOME = SearchSpace().sample_genome(np.random.default_rng(0))
finite = st.floats(-1e6, 1e6, allow_nan=False)
weight = st.one_of(st.floats(0.1, 10.0), st.floats(-10.0, -0.1))


class Declared:
    """A fitness that declares its objectives and returns a fixed outcome (or raises)."""

    def __init__(self, weights, failure, outcome):
        self.weights, self.failure_fitness, self.outcome = tuple(weights), tuple(failure), outcome

    def __call__(self, genome, context):
        if isinstance(self.outcome, Exception):
            raise self.outcome
        return self.outcome


@st.composite
def declared_fitnesses(draw):
    n = draw(st.integers(1, 4))
    weights = draw(st.lists(weight, min_size=n, max_size=n))
    failure = draw(st.lists(finite, min_size=n, max_size=n))
    values = draw(st.lists(st.one_of(finite, st.sampled_from([math.nan, math.inf, -math.inf])),
                           min_size=max(0, n - 1), max_size=n + 1))
    status = draw(st.sampled_from(["ok", "ok", "invalid", "nan", "oom", "error"]))
    outcome = draw(st.one_of(st.just(RuntimeError("crash")), st.just(MemoryError("oom")),
                             st.just(EvalResult(fitness=tuple(values), status=status))))
    return Declared(weights, failure, outcome)


@settings(max_examples=300, deadline=None)
@given(declared_fitnesses())
def test_after_run_evaluation_a_trained_model_outranks_the_failure_value_in_every_objective(fitness):
    objectives = Objectives.of(fitness)
    result = run_evaluation(fitness, GENOME, EvalContext(seed=1))
    if result.ok:
        assert objectives.outranks_failure(result.fitness)
        assert all(w * v > w * f for w, v, f in zip(fitness.weights, result.fitness, fitness.failure_fitness))
    else:
        assert result.fitness == fitness.failure_fitness  # every failure: the one failure value
    json.loads(json.dumps(result.to_dict(), allow_nan=False))  # JSON-safe either way


@pytest.mark.parametrize("status", ["invalid", "nan", "oom", "error", "timeout"])
def test_a_failed_status_without_a_value_gets_the_run_failure_value_from_one_writer(status):
    """The fitness reports only a status; the evaluation layer writes the run's value (a
    config's lower failure_fitness included), and a value the fitness still puts there is replaced."""
    reported = EvalResult.failure(status, "the model could not be built", metrics={"val_accuracy": 0.0})
    assert reported.fitness == ()  # nothing written by the fitness
    fitness = Declared((1.0, -1.0), (-1.0, 1.0), reported)
    result = run_evaluation(fitness, GENOME, EvalContext(seed=1))
    assert (result.status, result.message) == (status, "the model could not be built")
    assert result.fitness == (-1.0, 1.0) and result.metrics == {"val_accuracy": 0.0}
    lower = Objectives.of(fitness, -7.0)
    assert run_evaluation(fitness, GENOME, EvalContext(seed=1), lower).fitness == (-7.0, 7.0)
    old_style = Declared((1.0,), (-1.0,), EvalResult.failure(status, "old fitness", (123.0,)))
    assert run_evaluation(old_style, GENOME, EvalContext(seed=1), Objectives.of(old_style, -2.0)).fitness == (-2.0,)


def test_objectives_is_the_one_writer_of_the_failure_value():
    objectives = Objectives((1.0,), (-3.0,))
    assert objectives.failed("timeout", "took too long", seed=4).fitness == (-3.0,)
    ok = EvalResult(fitness=(0.5,))
    assert objectives.with_failure_value(ok).fitness == (0.5,)  # a trained model's value is its own
    assert objectives.with_failure_value(EvalResult.failure("oom", "", (9.0,))).fitness == (-3.0,)


def test_a_value_below_the_declared_failure_is_recorded_as_an_error_that_says_so():
    fitness = Declared((1.0,), (-1.0,), EvalResult(fitness=(-2.5,), metrics={"val_accuracy": 0.1}))
    result = run_evaluation(fitness, GENOME, EvalContext(seed=1))
    assert result.status == "error" and result.fitness == (-1.0,)
    assert "does not outrank the failure value (-1.0,)" in result.message
    assert result.metrics == {"val_accuracy": 0.1}  # what the evaluation measured is kept
    wrong = Declared((1.0, -1.0), (-1.0, 1.0), EvalResult(fitness=(0.5,)))
    assert "1 value(s) (0.5,) for 2 objective(s)" in run_evaluation(wrong, GENOME, EvalContext(seed=1)).message


def test_objectives_of_a_fitness_that_declares_nothing_and_the_config_fallback():
    def plain(genome, context):
        return EvalResult(fitness=(0.0,))

    assert Objectives.of(plain) == Objectives((1.0,), (-1.0,), ("F",))
    assert Objectives.of(plain, -5).failure == (-5.0,)

    class Minimising:
        weights = (1.0, -1.0)

    assert Objectives.of(Minimising(), -3.0).failure == (-3.0, 3.0)  # worse in each direction
    assert Objectives.of(Minimising()).names == ("f0", "f1")


def test_a_config_failure_value_may_lower_the_fitness_own_but_never_raise_it():
    heavy = Declared((1.0,), (-4.0,), None)
    assert Objectives.of(heavy, -10.0).failure == (-10.0,)
    with pytest.raises(ConfigError, match="failure_fitness=-1.0 would rank failed evaluations above trained"):
        Objectives.of(heavy, -1.0)
    with pytest.raises(ConfigError, match="failure_fitness=-1.0 would rank"):
        evolve(ExperimentConfig(fitness=heavy, failure_fitness=-1.0, population_size=4, generations=0))


@pytest.mark.parametrize("fitness, message", [
    (Declared((1.0, 0.0), (-1.0, -1.0), None), "non-zero number per objective"),
    (Declared((1.0,), (float("-inf"),), None), "finite number"),
    (Declared((1.0, 1.0), (-1.0,), None), "2 finite number"),
])
def test_malformed_declarations_are_config_errors(fitness, message):
    with pytest.raises(ConfigError, match=message):
        Objectives.of(fitness)


def test_a_bad_failure_fitness_setting_is_a_config_error():
    for bad in (float("nan"), "low", True):
        with pytest.raises(ConfigError, match=r"failure_fitness must be a finite number in \[-1e\+12, 1e\+12\] or null"):
            ExperimentConfig(failure_fitness=bad).validate()


@settings(max_examples=100, deadline=None)
@given(st.floats(0.0, 5.0), st.integers(0, 2**32 - 1))
def test_noisy_landscape_stays_above_its_failure_value(noise, seed):
    fitness = LandscapeFitness(noise=noise)
    result = run_evaluation(fitness, GENOME, EvalContext(seed=seed))
    assert result.ok and result.fitness[0] > fitness.failure_fitness[0]


def test_landscape_failure_value_and_values_without_noise_are_unchanged():
    assert LandscapeFitness().failure_fitness == (-1.0,)
    assert run_evaluation(LandscapeFitness(), GENOME, EvalContext(seed=2)).fitness == (landscape_value(GENOME),)
    with pytest.raises(ConfigError, match="one objective"):
        LandscapeFitness(n_objectives=3)


# -- multi-objective runs with any number of objectives and weights -------------------------------
@dataclasses.dataclass(frozen=True)
class ManyObjectives:
    """(A, T, R, size) of the landscape with weights ``(1, −1, 1, −1)`` (T and size minimised),
    or its first two; genomes of 4 layers crash."""

    n_objectives: int = 4

    @property
    def weights(self):
        return (1.0, -1.0, 1.0, -1.0)[: self.n_objectives]

    @property
    def failure_fitness(self):
        return (-1.0, 2.0, -1.0, 2.0)[: self.n_objectives]

    def __call__(self, genome, context):
        if len(genome) == 4:
            raise RuntimeError("four layers crash")
        a = landscape_value(genome)
        values = (a, 1.0 - genome.hyperparameters["dropout"], a * a, len(genome) / 10)
        return EvalResult(fitness=values[: self.n_objectives], seed=context.seed)


def nsga2_config(n: int, **changes) -> ExperimentConfig:
    base = ExperimentConfig(population_size=10, generations=3, seed=11, selection="tournament",
                            selection_params={}, survival="nsga2", fitness=ManyObjectives(n))
    return dataclasses.replace(base, **changes)


@pytest.mark.parametrize("n", [2, 4])
def test_nsga2_with_any_number_of_weighted_objectives_ranks_failures_last(n):
    result = evolve(nsga2_config(n))
    failed = [r for r in result.evaluations if not r.result.ok]
    assert failed and all(r.result.fitness == ManyObjectives(n).failure_fitness for r in failed)
    assert all(ind.fitness.weights == ManyObjectives(n).weights for ind in result.population)
    assert all(ind.fitness.values != ManyObjectives(n).failure_fitness for ind in result.hall_of_fame)
    # every trained model dominates every failure, so failures sit in a later front than any of them
    cls = type(result.population[0])
    pool = []
    for record in result.evaluations:
        ind = cls(record.genome, record.genome.hyperparameters, family=record.genome.family)
        ind.fitness.values = record.result.fitness
        pool.append(ind)
    fronts = tools.sortNondominated(pool, len(pool))
    front_of = {id(ind): i for i, front in enumerate(fronts) for ind in front}
    ok_fronts = [front_of[id(ind)] for ind, r in zip(pool, result.evaluations) if r.result.ok]
    failed_fronts = [front_of[id(ind)] for ind, r in zip(pool, result.evaluations) if not r.result.ok]
    assert min(failed_fronts) > max(ok_fronts)


def test_a_multi_objective_run_with_a_minimised_objective_resumes_exactly(tmp_path):
    config = nsga2_config(2, generations=4)
    reference = run(config, tmp_path / "reference")

    def stop_after_two(report):
        if report.generation == 2:
            raise KeyboardInterrupt

    with pytest.raises(RunInterrupted):
        run(config, tmp_path / "resumed", on_generation=stop_after_two)
    resumed = resume(tmp_path / "resumed", config)
    assert [ind.key() for ind in resumed.population] == [ind.key() for ind in reference.population]
    assert [ind.fitness.values for ind in resumed.hall_of_fame] == [ind.fitness.values for ind in reference.hall_of_fame]
    rows = [{k: v for k, v in row.items() if k != "elapsed"} for row in reference.logbook]
    assert [{k: v for k, v in row.items() if k != "elapsed"} for row in resumed.logbook] == rows


def test_population_stats_follow_the_direction_of_the_first_weight():
    @dataclasses.dataclass(frozen=True)
    class Depth:
        weights = (-1.0,)
        failure_fitness = (100.0,)

        def __call__(self, genome, context):
            return EvalResult(fitness=(float(len(genome)),), seed=context.seed)

    result = evolve(ExperimentConfig(fitness=Depth(), population_size=8, generations=2, seed=4,
                                     selection="tournament", selection_params={}))
    for row in result.logbook:
        assert row["best"] <= row["min"]  # "best" is the smallest depth, "min" the worst row value


# -- old config.json files ---------------------------------------------------------------------------
def test_an_old_config_json_with_failure_fitness_minus_one_still_resumes(tmp_path):
    config = ExperimentConfig(population_size=6, generations=3, seed=2)

    stopped_run(config, tmp_path / "run")
    path = tmp_path / "run" / "config.json"
    recorded = json.loads(path.read_text())
    assert recorded["failure_fitness"] is None
    path.write_text(json.dumps({**recorded, "failure_fitness": -1.0}, indent=1))  # as older versions wrote it
    assert len(resume(tmp_path / "run", config).logbook) == 4
    path.write_text(json.dumps({**recorded, "failure_fitness": -3.0}, indent=1))
    with pytest.raises(RunDirectoryError, match="changed: failure_fitness"):
        resume(tmp_path / "run", config)
