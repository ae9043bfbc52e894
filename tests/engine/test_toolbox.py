"""The toolbox is built once per run from names resolved once; per generation only μ(t), β(t)
and the refined space are rebound."""
from __future__ import annotations

import dataclasses

import pytest
from deap import base

from evodeap.config.settings import ExperimentConfig
from evodeap.engine.loop import evolve
from evodeap.operators.mutation import mut_split
from evodeap.operators.selection import sel_boltzmann
from evodeap.registry import Registry


def small(**changes) -> ExperimentConfig:
    return dataclasses.replace(ExperimentConfig(population_size=8, generations=3, seed=5), **changes)


@pytest.fixture
def counted(monkeypatch):
    """Counts of DEAP toolboxes built and registry look-ups made."""
    counts = {"toolboxes": 0, "lookups": 0}

    class CountingToolbox(base.Toolbox):
        def __init__(self):
            counts["toolboxes"] += 1
            super().__init__()

    real_get = Registry.get

    def counting_get(self, name):
        counts["lookups"] += 1
        return real_get(self, name)

    monkeypatch.setattr(base, "Toolbox", CountingToolbox)
    monkeypatch.setattr(Registry, "get", counting_get)
    return counts


def test_one_toolbox_and_a_fixed_number_of_lookups_whatever_the_generations(counted):
    config = small(refine_every=2, mutation_rate={"name": "exponential_decay", "initial": 0.1, "rate": 0.3},
                   selection_pressure={"name": "linear", "start": 1.0, "slope": 1.0})
    evolve(dataclasses.replace(config, generations=1))
    short = dict(counted)
    counted.update(toolboxes=0, lookups=0)
    evolve(dataclasses.replace(config, generations=6))
    assert short["toolboxes"] == counted["toolboxes"] == 1
    assert short["lookups"] == counted["lookups"] > 0


def test_rebound_rates_are_the_ones_the_logbook_shows():
    seen: dict[str, list] = {"indpb": [], "beta": []}

    def recording_mutation(ind, *, space, rng, indpb):
        seen["indpb"].append(indpb)
        return mut_split(ind, space=space, rng=rng, indpb=indpb)

    def recording_selection(individuals, k, *, rng, beta):
        seen["beta"].append(beta)
        return sel_boltzmann(individuals, k, rng=rng, beta=beta)

    config = small(mutation=recording_mutation, selection=recording_selection, selection_params={},
                   mutation_rate={"name": "exponential_decay", "initial": 0.2, "rate": 0.5},
                   selection_pressure={"name": "linear", "start": 2.0, "slope": 3.0}, generations=4)
    result = evolve(config)
    logged = {row["generation"]: (row["mu"], row["beta"]) for row in result.logbook}
    assert sorted(set(seen["beta"])) == [logged[g][1] for g in (1, 2, 3, 4)]
    assert sorted(set(seen["indpb"]), reverse=True) == [logged[g][0] for g in (1, 2, 3, 4)]


def test_mutation_after_a_refinement_acts_in_the_refined_space():
    spaces = []

    def recording_mutation(ind, *, space, rng, indpb=0.05):
        spaces.append(space)
        return mut_split(ind, space=space, rng=rng, indpb=indpb)

    config = small(mutation=recording_mutation, refine_every=2, generations=3)
    result = evolve(config)
    refined = dict(result.refinements)[2].space
    assert refined != config.space
    assert spaces[0] is config.space and spaces[-1] is refined
