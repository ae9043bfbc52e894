"""Regularized evolution (evodeap.baselines.regularized_evolution): Real et al.'s rule, exactly."""
from __future__ import annotations

from collections import deque

import numpy as np
import pytest
from helpers_baselines import LANDSCAPE, SPACE

from evodeap.baselines import mutate_one_gene, regularized_evolution, tournament
from evodeap.errors import ConfigError


def changed_genes(parent, child) -> int:
    """How many genes differ: hyperparameters, plus layer genes (one insertion or removal counts as one)."""
    hyper = sum(parent.hyperparameters[n] != child.hyperparameters[n] for n in parent.hyperparameters)
    a, b = list(parent), list(child)
    if len(a) == len(b):
        return hyper + sum(x != y for x, y in zip(a, b))
    longer, shorter = (a, b) if len(a) > len(b) else (b, a)
    if len(longer) - len(shorter) != 1 or not any(longer[:i] + longer[i + 1:] == shorter for i in range(len(longer))):
        return hyper + 99
    return hyper + 1


def test_the_rule_oldest_removed_tournament_on_a_sample_one_gene_mutated():
    P, S = 5, 3
    records = regularized_evolution(SPACE, LANDSCAPE, 60, 4, population_size=P, sample_size=S)
    assert len(records) == 60
    for r in records[:P]:  # the initial population: random draws
        assert r.result.extra["regularized_evolution"] == {"parent": None, "sample": [], "move": None}
    for i, r in enumerate(records[P:], start=P):
        info = r.result.extra["regularized_evolution"]
        population = range(i - P, i)  # aging: the alive genomes are exactly the last P evaluated
        assert len(info["sample"]) == S and all(j in population for j in info["sample"])
        best = max(records[j].result.fitness[0] for j in info["sample"])
        assert info["parent"] in info["sample"] and records[info["parent"]].result.fitness[0] == best
        assert info["parent"] == next(j for j in info["sample"] if records[j].result.fitness[0] == best)
        assert changed_genes(records[info["parent"]].genome, r.genome) == 1, info["move"]
        assert SPACE.violations(r.genome) == []
    # every move of the mutation happens
    moves = {r.result.extra["regularized_evolution"]["move"] for r in records[P:]}
    assert moves == {"hyperparameter", "layer_field", "add_layer", "remove_layer"}


def test_tournament_samples_with_replacement_and_takes_the_fittest():
    population = deque([10, 11, 12, 13])
    fitness = {10: 0.5, 11: 0.9, 12: 0.1, 13: 0.9}.__getitem__
    rng = np.random.default_rng(0)
    expected_rng = np.random.default_rng(0)
    parent, sample = tournament(population, fitness, 6, rng)
    assert sample == [population[int(expected_rng.integers(4))] for _ in range(6)]
    assert parent == max(sample, key=fitness)  # the earliest of the fittest draws among ties
    assert len(sample) == 6  # S may exceed P: draws are with replacement


def test_mutate_one_gene_changes_exactly_one_gene_and_leaves_the_parent_alone():
    rng = np.random.default_rng(1)
    for _ in range(300):
        parent = SPACE.sample_genome(rng)
        before = parent.to_dict()
        child, move = mutate_one_gene(parent, SPACE, rng)
        assert parent.to_dict() == before
        assert changed_genes(parent, child) == 1, move
        assert SPACE.violations(child) == []


def test_bad_settings_are_config_errors():
    with pytest.raises(ConfigError, match="population_size"):
        regularized_evolution(SPACE, LANDSCAPE, 3, 0, population_size=0)
    with pytest.raises(ConfigError, match="sample_size"):
        regularized_evolution(SPACE, LANDSCAPE, 3, 0, sample_size=0)
