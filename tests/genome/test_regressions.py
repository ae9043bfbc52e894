"""Regression tests for bugs found by the operator/genome test suite."""
import numpy as np
import pytest

from evodeap.errors import GenomeError, SearchSpaceError
from evodeap.genome.genes import DropoutLayer
from evodeap.genome.genome import Genome
from evodeap.genome.space import SearchSpace
from evodeap.operators.selection import boltzmann_probabilities


def test_min_layers_below_the_family_requirement_is_rejected():
    with pytest.raises(SearchSpaceError, match=r"min_layers \(1\) is below the 2 layers the cnn\+rnn family needs"):
        SearchSpace(family="cnn+rnn", min_layers=1, max_layers=2)
    space = SearchSpace(family="cnn+rnn", min_layers=2, max_layers=2)
    for seed in range(50):
        assert space.violations(space.sample_genome(np.random.default_rng(seed))) == []


def test_equality_agrees_with_key():
    a, b = Genome([DropoutLayer(0)], {"x": 1}), Genome([DropoutLayer(0.0)], {"x": 1.0})
    assert (a == b) == (a.key() == b.key())
    assert a != b
    assert a == Genome([DropoutLayer(0)], {"x": 1}, birth=5)


@pytest.mark.parametrize("birth", [None, "x", [1], 2.5, True])
def test_bad_birth_is_a_genome_error(birth):
    with pytest.raises(GenomeError, match="birth"):
        Genome.from_dict({"family": "cnn", "layers": [], "hyperparameters": {}, "birth": birth})


@pytest.mark.parametrize("value", ["three", 2.5, None])
def test_space_from_dict_bad_layer_count_is_a_search_space_error(value):
    data = SearchSpace().to_dict()
    data["min_layers"] = value
    with pytest.raises(SearchSpaceError, match="malformed search space"):
        SearchSpace.from_dict(data)


def test_infinite_beta_selects_the_best_and_minus_infinity_the_worst():
    assert list(boltzmann_probabilities([1.0, 3.0, 2.0], float("inf"))) == [0.0, 1.0, 0.0]
    assert list(boltzmann_probabilities([1.0, 3.0, 1.0], float("-inf"))) == [0.5, 0.0, 0.5]
