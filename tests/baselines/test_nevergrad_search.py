"""Nevergrad's NGOpt, DE and DiscreteOnePlusOne (evodeap.baselines.nevergrad_search)."""
from __future__ import annotations

import numpy as np
import pytest
from helpers_baselines import LANDSCAPE, SPACE

from evodeap.baselines import flat_genome, flat_parameters, nevergrad_parametrization, nevergrad_search
from evodeap.errors import ConfigError
from evodeap.genome.space import Choice, Integer, Real, SearchSpace


def test_the_parametrization_holds_every_flat_parameter_and_reads_back_into_valid_genomes():
    parametrization, constants = nevergrad_parametrization(SPACE, 0)
    names = [name for name, _ in flat_parameters(SPACE)]
    assert sorted(list(parametrization.value) + list(constants)) == sorted(names)
    assert "n_layers" in parametrization.value and f"layer{SPACE.max_layers - 1}.kind" in parametrization.value
    rng = np.random.default_rng(0)
    for _ in range(30):
        values = {**constants, **parametrization.sample().value}
        genome = flat_genome(values, SPACE, rng)
        assert SPACE.violations(genome) == []
        assert SPACE.min_layers <= len(genome) <= SPACE.max_layers


def test_one_value_domains_are_constants_and_integers_stay_integers():
    layers = {"conv": {"filters": Integer(8, 8), "kernel_size": Choice((3,)), "activation": Choice(("relu",)),
                       "pooling": Choice(("max",))},
              "dense": {"units": Integer(4, 64, log=True), "activation": Choice(("relu", "tanh"))},
              "dropout": {"rate": Real(0.0, 0.5)}}
    hyper = {"learning_rate": Real(1e-3, 1e-1, log=True), "batch_size": Choice((16, 32)), "epochs": Integer(1, 5)}
    space = SearchSpace(family="cnn", hyperparameters=hyper, layers=layers, min_layers=1, max_layers=3)
    parametrization, constants = nevergrad_parametrization(space, 1)
    assert constants["layer0.conv.filters"] == 8 and constants["layer2.conv.pooling"] == "max"
    value = parametrization.sample().value
    assert isinstance(value["layer1.dense.units"], int) and isinstance(value["epochs"], int)
    assert value["batch_size"] in (16, 32)


@pytest.mark.parametrize("optimizer", ["NGOpt", "DE", "DiscreteOnePlusOne"])
def test_each_optimizer_runs_ask_and_tell_over_distinct_candidates(optimizer):
    records = nevergrad_search(SPACE, LANDSCAPE, 20, 0, optimizer=optimizer)
    assert len(records) == 20 and {r.result.extra["nevergrad_optimizer"] for r in records} == {optimizer}
    assert len({r.genome.key() for r in records}) > 10


def test_an_unknown_optimizer_is_a_config_error():
    with pytest.raises(ConfigError, match="unknown nevergrad optimizer 'CMA'"):
        nevergrad_search(SPACE, LANDSCAPE, 3, 0, optimizer="CMA")
