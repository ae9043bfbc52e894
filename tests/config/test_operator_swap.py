"""Swapping operators by name (issue 26): the old operator's parameters the user did not set in
the same overrides are dropped; what is left that the new operator does not take is refused
with the exact ``--set`` that fixes it."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from evodeap.cli import main
from evodeap.config.overrides import parse_assignments
from evodeap.config.settings import ExperimentConfig
from evodeap.errors import ConfigError

ROOT = Path(__file__).resolve().parents[2]
DEMO = str(ROOT / "experiments" / "landscape_demo.py")  # boltzmann with a β schedule and a μ schedule


def small(**changes) -> ExperimentConfig:
    return ExperimentConfig(population_size=4, generations=1, **changes)


def test_switching_to_tournament_drops_a_beta_and_a_beta_schedule_the_file_gave(tmp_path, capsys):
    out = tmp_path / "run"
    code = main(["run", DEMO, "--set", "selection=tournament", "--set", "generations=1", "--set", "population_size=4",
                 "--out", str(out), "--quiet"])
    assert code == 0, capsys.readouterr().err
    recorded = json.loads((out / "config.json").read_text())
    assert recorded["selection"] == "tournament" and recorded["selection_pressure"] is None


def test_a_given_beta_is_dropped_when_the_selection_changes():
    config = small(selection_params={"beta": 20.0}).with_overrides({"selection": "tournament"}).validate()
    assert dict(config.selection_params) == {}
    back = small(selection="tournament", selection_params={"tournsize": 5}).with_overrides({"selection": "boltzmann"})
    assert dict(back.validate().selection_params) == {}


def test_parameters_the_new_operator_takes_are_kept():
    config = small(crossover="uniform", crossover_params={"indpb": 0.3, "alpha": 0.2})
    swapped = config.with_overrides({"crossover": "two_point"}).validate()
    assert swapped.crossover_params == {"alpha": 0.2}


def test_the_default_beta_is_left_as_recorded():
    """A default nobody gave stays, so the record of a run that swapped by name does not change."""
    config = ExperimentConfig().with_overrides({"selection": "tournament"}).validate()
    assert config.to_dict()["selection_params"] == {"beta": 5.0}


def test_switching_the_mutation_drops_its_rate_schedule():
    config = small(mutation_rate={"name": "exponential_decay", "initial": 0.1, "rate": 0.1})
    swapped = config.with_overrides({"mutation": "add_layer"}).validate()
    assert swapped.mutation_rate is None


def test_a_parameter_set_in_the_same_overrides_is_refused_with_the_exact_fix():
    assignments = parse_assignments(["selection=tournament", "selection_params.beta=3"])
    with pytest.raises(ConfigError) as info:
        small().with_overrides(assignments).validate()
    message = str(info.value)
    assert "selection 'tournament' has no parameter(s) ['beta']" in message
    assert message.endswith("fix: --set 'selection_params={}'")


def test_the_fix_printed_for_a_file_that_mixes_parameters_works():
    config = small(selection="tournament", selection_params={"beta": 2.0, "tournsize": 4})
    with pytest.raises(ConfigError) as info:
        config.validate()
    fix = str(info.value).rsplit("fix: --set ", 1)[1].strip("'")
    assert fix == 'selection_params={"tournsize": 4}'
    fixed = config.with_overrides(parse_assignments([fix])).validate()
    assert fixed.selection_params == {"tournsize": 4}


def test_a_schedule_for_an_operator_without_its_parameter_names_the_fix():
    with pytest.raises(ConfigError, match="fix: --set selection_pressure=null"):
        small(selection="tournament", selection_pressure={"name": "linear", "start": 1, "slope": 1}).validate()
    with pytest.raises(ConfigError, match="fix: --set mutation_rate=null"):
        small(mutation="add_layer", mutation_rate=0.2).validate()
    small(mutation="add_layer", mutation_rate=None).validate()
    with pytest.raises(ConfigError, match="mutation_rate is null"):
        small(mutation_rate=None).validate()
