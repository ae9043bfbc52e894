"""ExperimentConfig: validation, overrides and its JSON description."""
from __future__ import annotations

import json

import pytest

from evodeap.config.settings import ExperimentConfig
from evodeap.config.overrides import parse_assignments
from evodeap.errors import ConfigError, SearchSpaceError, UnknownNameError


def test_defaults_validate_and_serialise_to_json():
    config = ExperimentConfig().validate()
    data = json.loads(json.dumps(config.to_dict()))
    assert data["selection"] == "boltzmann" and data["space"]["min_layers"] == 3
    assert data["mutation_rate"] == {"name": "exponential_decay", "initial": 0.05, "rate": 0.05}


def test_nested_overrides_reach_dicts_and_the_space():
    config = ExperimentConfig().with_overrides(parse_assignments([
        "selection_params.beta=20", "space.learning_rate.high=0.01", "space.max_layers=5",
        "mutation_rate.initial=0.02", "population_size=8", "name=trial",
    ])).validate()
    assert config.selection_params == {"beta": 20}
    assert config.space.hyperparameters["learning_rate"].high == 0.01
    assert config.space.max_layers == 5
    assert config.mutation_rate["initial"] == 0.02
    assert (config.population_size, config.name) == (8, "trial")


def test_override_of_a_float_with_an_int_keeps_it_a_float():
    assert isinstance(ExperimentConfig().with_overrides({"cxpb": 1}).cxpb, float)


def test_unknown_names_and_bad_values_are_clear_errors():
    with pytest.raises(UnknownNameError, match="known: aging, best, boltzmann, nsga2, tournament"):
        ExperimentConfig(selection="roulette").validate()
    with pytest.raises(ConfigError, match="elitism"):
        ExperimentConfig(population_size=4, elitism=4).validate()
    with pytest.raises(ConfigError, match="unknown search-space gene 'momentum'"):
        ExperimentConfig().with_overrides({"space.momentum.low": 0.1})
    with pytest.raises(SearchSpaceError, match="inverted"):
        ExperimentConfig().with_overrides({"space.dense.units.low": 512})
    with pytest.raises(UnknownNameError, match="unknown schedule"):
        ExperimentConfig(mutation_rate={"name": "cosine"}).validate()


def test_custom_operator_callable_is_accepted_and_described():
    def my_selection(individuals, k, *, rng):
        return list(individuals[:k])

    config = ExperimentConfig(selection=my_selection, selection_params={}).validate()
    assert config.to_dict()["selection"]["callable"].endswith("my_selection")
