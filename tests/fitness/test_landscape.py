"""The stand-in landscape: bounded, known optimum, interactions."""
from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest

from evodeap.fitness.landscape import landscape_optimum, landscape_terms, landscape_value
from evodeap.genome.space import SearchSpace


@pytest.mark.parametrize("family", ["cnn", "rnn", "cnn+rnn"])
def test_optimum_scores_one_and_lies_in_the_default_space(family):
    optimum = landscape_optimum(family)
    assert landscape_value(optimum) == pytest.approx(1.0, abs=1e-12)
    assert SearchSpace(family=family).violations(optimum) == []


@pytest.mark.parametrize("family", ["cnn", "rnn", "cnn+rnn"])
def test_random_genomes_score_below_the_optimum_and_terms_are_bounded(family):
    space, rng = SearchSpace(family=family), np.random.default_rng(0)
    for _ in range(300):
        genome = space.sample_genome(rng)
        assert 0.0 <= landscape_value(genome) < 1.0
        assert all(0.0 <= v <= 1.0 for v in landscape_terms(genome).values())


def test_best_learning_rate_depends_on_optimizer_and_batch_size():
    optimum = landscape_optimum("cnn")

    def lr_term(**hyper):
        genome = optimum.plain()
        genome.hyperparameters = {**genome.hyperparameters, **hyper}
        return landscape_terms(genome)["learning_rate"]

    assert lr_term(batch_size=64, learning_rate=1e-3 * math.sqrt(2)) == pytest.approx(1.0)
    assert lr_term(batch_size=128, learning_rate=1e-3 * math.sqrt(4)) == pytest.approx(1.0)
    assert lr_term(optimizer="sgd", learning_rate=2e-2 * math.sqrt(2)) == pytest.approx(0.85)
    assert lr_term(optimizer="sgd", learning_rate=1e-3 * math.sqrt(2)) < 0.01


def test_best_dropout_depends_on_depth():
    optimum = landscape_optimum("cnn")
    shallow = optimum.plain()
    shallow[:] = optimum[:3]
    assert landscape_terms(shallow)["dropout"] < 1.0
    shallow.hyperparameters = {**shallow.hyperparameters, "dropout": 0.18}
    assert landscape_terms(shallow)["dropout"] == pytest.approx(1.0)
    wide = optimum.plain()
    wide[0] = dataclasses.replace(wide[0], filters=128)
    assert landscape_value(wide) < 1.0
