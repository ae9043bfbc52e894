"""μ(t) and β(t) have one source each; the logbook shows the value bound; conflicts are errors."""
from __future__ import annotations

import dataclasses
import json
import inspect
import math

import pytest

from evodeap.config.settings import ExperimentConfig
from evodeap.config.rates import DefaultSetting, given_keys, is_given
from evodeap.engine.loop import evolve
from evodeap.errors import ConfigError

SCHEDULE = {"name": "linear", "start": 1.0, "slope": 2.0}


def small(**changes) -> ExperimentConfig:
    return dataclasses.replace(ExperimentConfig(population_size=8, generations=3, seed=5), **changes)


def column(result, name: str) -> list:
    return [row[name] for row in result.logbook]


def keys(result) -> list[str]:
    return [ind.key() for ind in result.population]


def test_beta_beside_a_schedule_is_an_error_not_a_no_op():
    config = small(selection_pressure=SCHEDULE)
    for override in ({"selection_params.beta": 20}, {"selection_params.beta": 0}, {"selection_params": {"beta": 5.0}}):
        with pytest.raises(ConfigError, match="β is set twice.*selection_pressure=null"):
            config.with_overrides(override).validate()


def test_a_schedule_beside_the_default_beta_is_the_source_and_is_logged():
    result = evolve(small(selection_pressure=SCHEDULE))
    assert column(result, "beta") == [1.0 + 2.0 * g for g in range(4)]


def test_constant_betas_give_different_runs_and_the_logbook_shows_each():
    runs = {beta: evolve(small(selection_params={"beta": beta}, generations=4)) for beta in (0.0, 20.0)}
    assert column(runs[0.0], "beta") == [0.0] * 5 and column(runs[20.0], "beta") == [20.0] * 5
    assert keys(runs[0.0]) != keys(runs[20.0])


def test_explicit_indpb_is_the_constant_rate_and_the_logbook_shows_it():
    by_indpb = evolve(small(mutation_params={"indpb": 0.3}))
    by_rate = evolve(small(mutation_rate=0.3))
    assert column(by_indpb, "mu") == [0.3] * 4
    assert keys(by_indpb) == keys(by_rate)  # the same μ was bound, so the same run


def test_indpb_beside_an_explicit_mutation_rate_is_an_error():
    config = small(mutation_params={"indpb": 0.3})
    for override in ({"mutation_rate": 0.1}, {"mutation_rate.rate": 0.1}):
        with pytest.raises(ConfigError, match="mutation rate is set twice"):
            config.with_overrides(override).validate()


def test_an_operator_without_the_parameter_gets_no_rate():
    result = evolve(small(mutation="add_layer", selection="tournament"))  # the default β and μ(t) yield
    assert column(result, "mu") == [None] * 4 and column(result, "beta") == [None] * 4
    with pytest.raises(ConfigError, match="mutation 'add_layer' takes no indpb"):
        small(mutation="add_layer", mutation_rate=0.2).validate()
    with pytest.raises(ConfigError, match="selection 'tournament' takes no beta"):
        small(selection="tournament", selection_pressure=SCHEDULE).validate()


def test_without_any_beta_the_one_default_is_bound_and_logged():
    from evodeap.operators.selection import DEFAULT_BETA, sel_boltzmann

    assert DEFAULT_BETA == 5.0 == ExperimentConfig().selection_params["beta"]
    assert inspect.signature(sel_boltzmann).parameters["beta"].default == DEFAULT_BETA
    assert column(evolve(small(selection_params={})), "beta") == [DEFAULT_BETA] * 4
    assert column(evolve(small()), "beta") == [DEFAULT_BETA] * 4


@pytest.mark.parametrize("setting, value", [("selection_params.beta", math.nan), ("selection_params.beta", "hot"),
                                            ("mutation_params.indpb", 1.5), ("mutation_params.indpb", math.nan)])
def test_a_rate_that_is_not_a_number_is_our_message(setting, value):
    with pytest.raises(ConfigError, match=setting.replace(".", r"\.")):
        small().with_overrides({setting: value}).validate()


def test_defaults_are_told_apart_from_given_values_without_changing_the_json():
    config = ExperimentConfig()
    assert not is_given(config.selection_params) and not is_given(config.mutation_rate)
    assert json.dumps(config.to_dict()["selection_params"]) == '{"beta": 5.0}'
    assert config.to_dict()["mutation_rate"] == {"name": "exponential_decay", "initial": 0.05, "rate": 0.05}
    assert given_keys(config.with_overrides({"selection_params.beta": 5.0}).selection_params) == {"beta"}
    assert given_keys(config.with_overrides({"selection_params.other": 1}).selection_params) == {"other"}
    assert is_given(config.with_overrides({"mutation_rate.rate": 0.05}).mutation_rate)
    assert given_keys({"beta": 5.0}) == {"beta"}
    edited = ExperimentConfig()
    edited.selection_params["beta"] = 20.0  # an in-place edit in a notebook counts as given
    assert given_keys(edited.selection_params) == {"beta"}
    assert isinstance(dataclasses.replace(config).selection_params, DefaultSetting)
