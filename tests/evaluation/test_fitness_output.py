"""What a fitness returns is accepted and made plain, or refused with a message naming it."""
from __future__ import annotations

import dataclasses
import json
import sqlite3

import numpy as np
import pytest

from evodeap.config.settings import ExperimentConfig
from evodeap.engine.loop import evolve
from evodeap.evaluation.api import EvalContext, EvalResult, run_evaluation
from evodeap.fitness.landscape import landscape_value
from evodeap.runs.lifecycle import run

GENOME = ExperimentConfig().space.sample_genome(np.random.default_rng(0))


def small(**changes) -> ExperimentConfig:
    return dataclasses.replace(ExperimentConfig(population_size=6, generations=1, seed=2), **changes)


def plain_number_fitness(genome, context):
    return landscape_value(genome)


def deap_tuple_fitness(genome, context):
    return (np.float32(landscape_value(genome)),)


def numpy_metrics_fitness(genome, context):
    value = np.float32(landscape_value(genome))
    return EvalResult(fitness=(value,), seed=context.seed, n_params=np.int64(1234),
                      metrics={"val_accuracy": value, "val_auc": np.float64(0.5), "epochs": np.int64(3)},
                      components={"A": value}, extra={"curve": np.arange(3, dtype=np.float32), "best": np.float16(1)})


def none_fitness(genome, context):
    return None


def string_metric_fitness(genome, context):
    return EvalResult((0.5,), metrics={"val_accuracy": "high"}, seed=context.seed)


def three_values_fitness(genome, context):
    return (0.1, 0.2, 0.3)


@pytest.mark.parametrize("fitness", [plain_number_fitness, deap_tuple_fitness])
def test_a_number_or_a_deap_tuple_is_a_fitness(fitness):
    result = evolve(small(), fitness=fitness)
    assert {r.result.status for r in result.evaluations} == {"ok"}
    assert all(r.result.fitness == (pytest.approx(landscape_value(r.genome), rel=1e-6),) for r in result.evaluations)
    assert all(type(r.result.fitness[0]) is float for r in result.evaluations)


def test_numpy_metrics_are_made_plain_and_stored(tmp_path):
    out = tmp_path / "run"
    run(small(fitness=numpy_metrics_fitness), out)
    with sqlite3.connect(out / "results.sqlite") as conn:
        rows = conn.execute("SELECT status, metrics, extra, n_params FROM evaluations").fetchall()
    assert rows and {status for status, *_ in rows} == {"ok"}
    metrics, extra = json.loads(rows[0][1]), json.loads(rows[0][2])
    assert set(metrics) == {"val_accuracy", "val_auc", "epochs"} and metrics["epochs"] == 3
    assert extra["curve"] == [0.0, 1.0, 2.0] and extra["best"] == 1.0 and rows[0][3] == 1234
    outcome = run_evaluation(numpy_metrics_fitness, GENOME, EvalContext(seed=1))
    assert {type(v) for v in outcome.metrics.values()} <= {float, int} and type(outcome.n_params) is int


@pytest.mark.parametrize("fitness, message", [
    (none_fitness, "fitness test_fitness_output.none_fitness: returned NoneType None; a fitness returns an EvalResult"),
    (string_metric_fitness, "fitness test_fitness_output.string_metric_fitness: metrics['val_accuracy'] = 'high' "
                            "(str) is not a number"),
    (three_values_fitness, "fitness test_fitness_output.three_values_fitness: returned 3 value(s) (0.1, 0.2, 0.3) "
                           "for 1 objective(s)"),
])
def test_anything_else_is_an_error_result_naming_the_fitness(fitness, message):
    result = run_evaluation(fitness, GENOME, EvalContext(seed=1))
    assert result.status == "error" and result.fitness == (-1.0,)
    assert result.message.startswith(message)


def test_a_result_given_a_bare_number_as_fitness_is_one_objective():
    assert EvalResult(fitness=np.float32(0.25)).fitness == (0.25,)
