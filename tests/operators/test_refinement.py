"""Refinement: the narrowing formula, minimum width, bounds, layer counts, immutability."""
from __future__ import annotations

import json
import math

import numpy as np
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from evodeap.genome.genes import ConvBlock, DenseLayer, DropoutLayer
from evodeap.genome.genome import Genome
from evodeap.genome.space import Choice, Integer, Real, SearchSpace
from evodeap.operators.refinement import Refinement, refine_domain, refine_space, unit_interval
from strategies import SETTINGS, families, sample, seeds


@pytest.mark.parametrize(
    "values, eps, width, expected",
    [
        ([0.2, 0.5, 0.8], 0.02, 0.1, (0.22, 0.78)),
        ([0.0, 1.0], 0.0, 0.1, (0.0, 1.0)),
        ([0.0, 1.0], 0.1, 0.1, (0.1, 0.9)),
        ([0.5], 0.02, 0.1, (0.45, 0.55)),  # widened around the midpoint
        ([0.4, 0.44], 0.02, 0.1, (0.37, 0.47)),
        ([0.0], 0.02, 0.1, (0.0, 0.1)),  # shifted to stay inside [0, 1]
        ([1.0, 0.98], 0.02, 0.2, (0.8, 1.0)),
        ([0.3], 0.0, 2.0, (0.0, 1.0)),  # min width larger than the interval
    ],
)
def test_unit_interval_exact(values, eps, width, expected):
    assert unit_interval(values, eps, width) == pytest.approx(expected, abs=1e-12)


@SETTINGS
@given(values=st.lists(st.floats(0, 1), min_size=1, max_size=10), eps=st.floats(0, 0.2), width=st.floats(0, 1))
def test_unit_interval_properties(values, eps, width):
    low, high = unit_interval(values, eps, width)
    assert 0.0 <= low <= high <= 1.0
    assert high - low >= width - 1e-9
    if max(values) - min(values) - 2 * eps >= width:
        assert (low, high) == pytest.approx((min(values) + eps, max(values) - eps))


def test_refine_real_linear_exact():
    d = Real(0.0, 0.5)
    new = refine_domain(d, d, [0.1, 0.2, 0.4], epsilon=0.02, min_width=0.1)
    assert new == Real(pytest.approx(0.11), pytest.approx(0.39), False)
    assert isinstance(new, Real) and not new.log


def test_refine_real_log_works_in_log_space():
    d = Real(1e-4, 1e-1, log=True)
    new = refine_domain(d, d, [1e-3, 1e-2], epsilon=0.02, min_width=0.1)
    lo = math.exp(math.log(1e-4) + (1 / 3 + 0.02) * math.log(1e3))
    hi = math.exp(math.log(1e-4) + (2 / 3 - 0.02) * math.log(1e3))
    assert new.log and new.low == pytest.approx(lo, rel=1e-9) and new.high == pytest.approx(hi, rel=1e-9)


def test_refine_real_min_width_around_a_single_value():
    d = Real(0.0, 0.5)
    new = refine_domain(d, d, [0.25, 0.25], epsilon=0.02, min_width=0.1)
    assert (new.low, new.high) == pytest.approx((0.225, 0.275))


def test_refine_integer_exact_and_keeps_two_values():
    d = Integer(1, 10)
    assert refine_domain(d, d, [3, 8], 0.02, 0.1) == Integer(3, 8)
    assert refine_domain(d, d, [5, 5, 5], 0.02, 0.1) == Integer(5, 6)
    assert refine_domain(d, d, [10], 0.02, 0.1) == Integer(9, 10)
    new = refine_domain(Integer(8, 128, log=True), Integer(8, 128, log=True), [16, 64], 0.02, 0.1)
    assert new.log and 16 <= new.low < new.high <= 64 and type(new.low) is int


def test_refine_leaves_choices_single_points_and_empty_values():
    c = Choice((1, 2, 3))
    assert refine_domain(c, c, [1, 1], 0.02, 0.1) is c
    p = Real(1.0, 1.0)
    assert refine_domain(p, p, [1.0], 0.02, 0.1) is p
    r = Real(0.0, 1.0)
    assert refine_domain(r, r, [], 0.02, 0.1) is r


def test_refine_is_bounded_by_the_original_not_the_current_domain():
    original, current = Real(0.0, 1.0), Real(0.4, 0.6)
    new = refine_domain(current, original, [0.1, 0.9], 0.0, 0.1)
    assert (new.low, new.high) == pytest.approx((0.1, 0.9))


def _elite(hyper_values: dict, layers, family="cnn") -> Genome:
    space = SearchSpace(family=family)
    hyper = space.sample_hyperparameters(np.random.default_rng(0))
    hyper.update(hyper_values)
    return Genome(layers, hyper, family=family)


def test_refine_space_exact_example_and_records_changes():
    space = SearchSpace()
    before = space.to_dict()
    elites = [
        _elite({"dropout": 0.1, "epochs": 3, "learning_rate": 1e-3},
               [ConvBlock(16, 3, "relu", "max"), DenseLayer(32, "relu"), DenseLayer(32, "relu"), DenseLayer(32, "relu")]),
        _elite({"dropout": 0.4, "epochs": 8, "learning_rate": 1e-2},
               [ConvBlock(64, 3, "relu", "max")] * 3 + [DropoutLayer(0.2), DenseLayer(32, "relu"), DenseLayer(128, "relu")]),
    ]
    result = refine_space(space, elites, space, epsilon=0.02, min_width=0.1)
    assert isinstance(result, Refinement) and result.space is not space
    new = result.space
    assert space.to_dict() == before  # the input is never modified
    assert (new.hyperparameters["dropout"].low, new.hyperparameters["dropout"].high) == pytest.approx((0.11, 0.39))
    assert new.hyperparameters["epochs"] == Integer(3, 8)
    assert new.hyperparameters["batch_size"] == space.hyperparameters["batch_size"]
    assert new.hyperparameters["optimizer"] == space.hyperparameters["optimizer"]
    assert (new.min_layers, new.max_layers) == (4, 6)  # lengths 4 and 6 in [3, 7]
    f = new.layers["conv"]["filters"]
    assert 16 <= f.low < f.high <= 64
    assert new.layers["dropout"]["rate"] == Real(pytest.approx(0.2 - 0.025), pytest.approx(0.2 + 0.025), False)
    assert new.layers["rnn"] == space.layers["rnn"]  # no elite has an rnn layer
    assert result.changes["epochs"] == ((1, 10), (3, 8))
    assert result.changes["layers"] == ((3, 7), (4, 6))
    assert "batch_size" not in result.changes and "rnn.units" not in result.changes
    assert set(result.changes) >= {"dropout", "learning_rate", "epochs", "conv.filters", "dense.units", "dropout.rate"}
    assert json.loads(json.dumps(result.to_dict()))["changes"]["layers"] == [[3, 7], [4, 6]]
    new.validate()


def test_refine_space_without_elites_changes_nothing():
    space = SearchSpace()
    r = refine_space(space, [], space)
    assert r.space == space and r.changes == {}


def test_layer_count_never_below_the_required_kinds():
    space = SearchSpace(family="cnn+rnn", min_layers=2, max_layers=7)
    from evodeap.genome.genes import RecurrentLayer
    e = _elite({}, [ConvBlock(16, 3, "relu", "max"), RecurrentLayer(16, "tanh")], family="cnn+rnn")
    new = refine_space(space, [e, e], space).space
    assert new.min_layers >= 2 and new.max_layers > new.min_layers


@SETTINGS
@given(family=families, seed=seeds, q=st.integers(1, 6), eps=st.floats(0, 0.1), width=st.floats(0.01, 0.5),
       rounds=st.integers(1, 3))
def test_refined_spaces_stay_inside_the_original(family, seed, q, eps, width, rounds):
    original = SearchSpace(family=family)
    space = original
    rng = np.random.default_rng(seed)
    for _ in range(rounds):
        elites = [space.sample_genome(rng) for _ in range(q)]
        before = space.to_dict()
        new = refine_space(space, elites, original, epsilon=eps, min_width=width).space
        assert space.to_dict() == before
        new.validate()
        assert original.min_layers <= new.min_layers <= new.max_layers <= original.max_layers
        for path in new.gene_paths():
            d, o = new.domain(path), original.domain(path)
            if isinstance(o, Choice):
                assert d == o
                continue
            assert o.low <= d.low <= d.high <= o.high, path
            assert d.log == o.log and type(d) is type(o)
            if isinstance(o, Real):
                assert o.to_unit(d.high) - o.to_unit(d.low) >= min(width, 1.0) - 1e-9, path
            else:
                assert d.high > d.low
        # a refined space still samples valid genomes
        assert new.contains(new.sample_genome(rng))
        space = new


def test_a_bound_at_the_end_of_the_original_domain_is_that_number():
    # from_unit(0.0) in log space is exp(log(1e-4)) = 1.0000000000000009e-4: no drift allowed
    d = Real(1e-4, 1e-1, log=True)
    assert refine_domain(d, d, [1e-4, 1.2e-4], epsilon=0.02, min_width=0.1).low == 1e-4
    assert refine_domain(d, d, [9e-2, 1e-1], epsilon=0.02, min_width=0.1).high == 1e-1
    f = Integer(8, 128, log=True)
    assert refine_domain(f, f, [8, 9], epsilon=0.02, min_width=0.1).low == 8


@SETTINGS
@given(values=st.lists(st.floats(1e-4, 1e-1), min_size=2, max_size=8), width=st.floats(0.0, 0.2))
@example(values=[1.0000000000000002e-4, 1e-4], width=0.0)  # two values at one unit position (found by hypothesis)
def test_a_bound_that_equals_a_members_value_is_that_value(values, width):
    d = Real(1e-4, 1e-1, log=True)
    new = refine_domain(d, d, values, epsilon=0.0, min_width=width)
    if d.to_unit(max(values)) - d.to_unit(min(values)) >= width:  # not widened: the elites' extremes
        assert new.low in (min(values), d.low) and new.high in (max(values), d.high)
    assert all(new.contains(v) for v in values)  # with ε = 0 every elite lies inside, to the last bit


@pytest.mark.parametrize("values, eps, width", [([0.0], 0.02, 0.1), ([1.0, 0.98], 0.02, 0.2), ([0.99], 0.0, 0.3)])
def test_a_widened_interval_at_an_end_is_exactly_zero_or_one(values, eps, width):
    low, high = unit_interval(values, eps, width)
    assert low == 0.0 or high == 1.0
