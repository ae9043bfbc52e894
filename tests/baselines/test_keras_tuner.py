"""Keras Tuner's Hyperband (evodeap.baselines.keras_tuner)."""
from __future__ import annotations

import numpy as np
import pytest
from helpers_baselines import LANDSCAPE, SPACE

from evodeap.baselines import keras_tuner_hyperband
from evodeap.errors import ConfigError
from evodeap.genome.space import Choice, Integer, Real, SearchSpace

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")  # keras_tuner's threading calls


def test_hyperband_sets_epochs_from_its_rungs_and_promotes_trials():
    records = keras_tuner_hyperband(SPACE, LANDSCAPE, 14, 0)
    info = [r.result.extra["hyperband"] for r in records]
    for r, hb in zip(records, info):
        assert r.genome.hyperparameters["epochs"] == hb["tuner/epochs"]
    # bracket 2 of max_epochs=10, η=3: nine trials at ⌈10/9⌉ = 2 epochs, then promotions at ⌈10/3⌉ = 4
    assert [hb["tuner/epochs"] for hb in info[:9]] == [2] * 9
    promoted = [(r, hb) for r, hb in zip(records, info) if "tuner/trial_id" in hb]
    assert promoted and all(hb["tuner/epochs"] == 4 for _, hb in promoted[:3])
    by_trial = {r.result.extra["keras_tuner_trial"]: r for r in records}
    for r, hb in promoted:
        parent = by_trial[hb["tuner/trial_id"]]
        assert list(parent.genome) == list(r.genome)  # same model, larger epoch budget
        assert {**parent.genome.hyperparameters, "epochs": 0} == {**r.genome.hyperparameters, "epochs": 0}


def test_keras_tuner_seed_is_never_falsy_and_depends_on_the_run_seed():
    from evodeap.baselines import keras_tuner_seed

    seeds = [keras_tuner_seed(s) for s in range(50)]
    assert all(1 <= s < 2**31 for s in seeds) and len(set(seeds)) == 50
    assert keras_tuner_seed(0) == keras_tuner_seed(0)


def test_hyperband_needs_an_epochs_gene():
    hyper = {k: v for k, v in SPACE.hyperparameters.items() if k != "epochs"}
    with pytest.raises(ConfigError, match="epochs"):
        keras_tuner_hyperband(SearchSpace(hyperparameters=hyper), LANDSCAPE, 3, 0)


def test_hyperband_trains_real_keras_models_through_keras_fitness():
    from evodeap.data import from_arrays
    from evodeap.fitness import KerasFitness

    rng = np.random.default_rng(0)

    def split(n):
        y = np.arange(n) % 2
        x = 0.5 * rng.random((n, 2, 8, 8, 1), dtype=np.float32) + 0.4 * y[:, None, None, None, None]
        return x.astype(np.float32), y

    bundle = from_arrays(*split(8), *split(6))
    fitness = KerasFitness(bundle, robustness_weight=0.0, perturbation=None, evaluate_test=False)
    layers = {
        "conv": {"filters": Integer(2, 4), "kernel_size": Choice((3,)), "activation": Choice(("relu",)),
                 "pooling": Choice(("max",))},
        "dense": {"units": Integer(2, 4), "activation": Choice(("relu",))},
        "dropout": {"rate": Real(0.0, 0.2)},
    }
    hyper = {"learning_rate": Real(1e-3, 1e-2, log=True), "batch_size": Choice((4,)),
             "optimizer": Choice(("adam",)), "epochs": Integer(1, 2)}
    space = SearchSpace(family="cnn", hyperparameters=hyper, layers=layers, min_layers=1, max_layers=2)
    records = keras_tuner_hyperband(space, fitness, 3, 0)
    assert len(records) == 3
    for r in records:
        assert r.result.status == "ok", r.result.message
        assert r.result.n_params > 0 and 0.0 <= r.result.metrics["val_accuracy"] <= 1.0
        assert r.result.extra["epochs_run"] == r.genome.hyperparameters["epochs"]
