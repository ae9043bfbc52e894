"""End to end: evolution of real Keras models on tiny generated video data, through the run directory."""
from __future__ import annotations

import pytest

from evodeap.results import queries
from evodeap.config.settings import ExperimentConfig
from evodeap.runs.lifecycle import run
from evodeap.genome.space import Choice, Integer, Real, SearchSpace

pytestmark = pytest.mark.slow

TINY_DATA = {"version": "hard", "task": "digits", "videos": [24, 12, 12], "frames": 4, "downsample": 8, "seed": 0}


def tiny_space(family: str) -> SearchSpace:
    return SearchSpace(
        family=family,
        hyperparameters={"learning_rate": Real(1e-3, 1e-2, log=True), "batch_size": Choice((8,)),
                         "optimizer": Choice(("adam", "rmsprop")), "dropout": Real(0.0, 0.3), "epochs": Integer(1, 1)},
        layers={
            "conv": {"filters": Integer(2, 4), "kernel_size": Choice((3,)), "activation": Choice(("relu",)),
                     "pooling": Choice(("max", "none"))},
            "rnn": {"units": Integer(2, 4), "activation": Choice(("tanh",))},
            "dense": {"units": Integer(2, 4), "activation": Choice(("relu",))},
            "dropout": {"rate": Real(0.0, 0.3)},
        },
        min_layers=2, max_layers=3,
    )


@pytest.mark.parametrize("family", ["cnn", "rnn", "cnn+rnn"])
def test_two_generations_of_four_real_keras_models(tmp_path, family):
    config = ExperimentConfig(
        name=f"e2e-{family}", space=tiny_space(family), fitness="keras",
        fitness_params={"data": TINY_DATA, "metric": "auc"},
        population_size=4, generations=2, seed=3, elitism=1, tensorboard=family == "cnn",
    )
    result = run(config, tmp_path / "run")
    evals = queries.evaluations(tmp_path / "run")
    assert len(evals) == len(result.evaluations) >= 4
    assert set(evals["status"]) == {"ok"}, evals[["status", "message"]]
    for column in ("metric_val_accuracy", "metric_val_auc", "metric_test_f1", "metric_test_precision",
                   "component_A", "component_T", "component_R"):
        assert column in evals.columns and evals[column].notna().all(), column
    assert (evals["n_params"] > 0).all()
    assert len(queries.generations(tmp_path / "run")) == 3
    if family == "cnn":  # training curves reach TensorBoard from the evaluations' history
        curves = list((tmp_path / "run" / "tensorboard" / "evaluations").glob("g*_i*/events.out.tfevents.*"))
        assert len(curves) == len(result.evaluations)
    best = result.hall_of_fame[0]
    assert best.fitness.values[0] == max(r.result.fitness[0] for r in result.evaluations)
