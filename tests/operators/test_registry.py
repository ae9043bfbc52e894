"""Registries: names, unknown-name errors listing the known names, duplicates."""
from __future__ import annotations

import pytest

from evodeap.errors import UnknownNameError
from evodeap.operators import CROSSOVERS, MUTATIONS, SCHEDULES, SELECTIONS, Registry
from evodeap.operators.crossover import cx_one_point
from evodeap.operators.selection import sel_boltzmann


def test_registered_names():
    assert CROSSOVERS.names() == ["one_point", "two_point", "uniform"]
    assert set(MUTATIONS.names()) >= {
        "hyperparameter", "structural", "split", "add_layer", "remove_layer",
        "change_units", "change_activation", "change_kernel", "one_gene",
    }
    assert set(SELECTIONS.names()) >= {"boltzmann", "tournament", "aging", "nsga2", "best"}
    assert set(SCHEDULES.names()) >= {"constant", "exponential_decay", "linear", "exponential_increase", "convergence"}


def test_get_and_name_of():
    assert CROSSOVERS.get("one_point") is cx_one_point
    assert SELECTIONS.name_of(sel_boltzmann) == "boltzmann"
    assert SELECTIONS.name_of(cx_one_point) is None
    assert "one_point" in CROSSOVERS and "two" not in CROSSOVERS
    assert list(CROSSOVERS) == CROSSOVERS.names()
    assert [n for n, _ in MUTATIONS.items()] == MUTATIONS.names()


@pytest.mark.parametrize("registry", [CROSSOVERS, MUTATIONS, SELECTIONS, SCHEDULES])
@pytest.mark.parametrize("name", ["nope", "", None, ["list"]])
def test_unknown_name_lists_every_known_name(registry, name):
    with pytest.raises(UnknownNameError) as info:
        registry.get(name)
    message = str(info.value)
    assert f"unknown {registry.family}" in message
    for known in registry.names():
        assert known in message
    assert isinstance(info.value, KeyError)
    assert not message.startswith("'")  # not quoted like a plain KeyError


def test_duplicate_registration_is_rejected():
    reg = Registry("thing")

    @reg.register("a")
    def a():
        return 1

    with pytest.raises(ValueError, match="already registered"):
        reg.register("a")(lambda: 2)
    assert reg.get("a") is a


def test_duplicate_registration_in_a_real_registry_leaves_it_intact():
    before = CROSSOVERS.items()
    with pytest.raises(ValueError, match="'one_point' is already registered"):
        CROSSOVERS.register("one_point")(lambda a, b: (a, b))
    assert CROSSOVERS.items() == before and CROSSOVERS.get("one_point") is cx_one_point
