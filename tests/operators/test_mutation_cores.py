"""Exact tests of the pure mutation cores and of the structural moves."""
from __future__ import annotations

from dataclasses import fields

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from evodeap.genome.genes import ConvBlock, DenseLayer, DropoutLayer, RecurrentLayer
from evodeap.genome.genome import Genome
from evodeap.genome.space import Choice, Integer, Real, SearchSpace
from evodeap.operators.mutation import (
    gaussian_step,
    mut_add_layer,
    mut_change_activation,
    mut_change_kernel,
    mut_change_units,
    mut_hyperparameters,
    mut_remove_layer,
    mut_split,
    mut_structure,
    reflect_unit,
    resample_other,
)
from strategies import SETTINGS, families, sample, seeds


@pytest.mark.parametrize(
    "u, expected",
    [(0.0, 0.0), (0.3, 0.3), (1.0, 1.0), (1.2, 0.8), (-0.2, 0.2), (2.3, 0.3), (-1.3, 0.7), (3.5, 0.5), (2.0, 0.0)],
)
def test_reflect_unit_exact(u, expected):
    assert reflect_unit(u) == pytest.approx(expected, abs=1e-12)


@SETTINGS
@given(u=st.floats(-50, 50))
def test_reflect_unit_lands_in_unit_interval_and_is_identity_inside(u):
    r = reflect_unit(u)
    assert 0.0 <= r <= 1.0
    if 0.0 <= u <= 1.0:
        assert r == u
    assert reflect_unit(-u) == pytest.approx(r, abs=1e-12)  # symmetric at 0


def test_gaussian_step_real_linear_exact():
    d = Real(0.0, 10.0)
    assert gaussian_step(d, 5.0, 1.0, 0.1) == pytest.approx(6.0)
    assert gaussian_step(d, 5.0, -2.0, 0.1) == pytest.approx(3.0)
    assert gaussian_step(d, 9.0, 1.0, 0.2) == pytest.approx(9.0)  # 1.1 reflects to 0.9
    assert gaussian_step(d, 1.0, -3.0, 0.1) == pytest.approx(2.0)  # -0.2 reflects to 0.2


def test_gaussian_step_real_log_works_in_log_space():
    d = Real(1e-4, 1e-1, log=True)
    assert gaussian_step(d, 1e-3, 1.0, 1 / 3) == pytest.approx(1e-2, rel=1e-9)
    assert gaussian_step(d, 1e-2, -1.0, 1 / 3) == pytest.approx(1e-3, rel=1e-9)


def test_gaussian_step_integer_exact_and_always_changes():
    d = Integer(0, 10)
    assert gaussian_step(d, 5, 1.0, 0.3) == 8
    assert gaussian_step(d, 5, 0.0, 0.3) == 6  # would round back: one step up
    assert gaussian_step(d, 5, -0.01, 0.3) == 4  # one step down
    assert gaussian_step(d, 10, 0.0, 0.3) == 9  # at the top: moves the other way
    assert gaussian_step(d, 0, -0.0001, 0.3) == 1  # at the bottom
    assert gaussian_step(Integer(3, 3), 3, 1.0, 0.3) == 3  # single value: nothing to change


@SETTINGS
@given(low=st.integers(1, 200), span=st.integers(1, 300), log=st.booleans(), z=st.floats(-5, 5),
       sigma=st.floats(0, 1), data=st.data())
def test_gaussian_step_integer_always_changes_and_stays_inside(low, span, log, z, sigma, data):
    d = Integer(low, low + span, log)
    v = data.draw(st.integers(d.low, d.high))
    new = gaussian_step(d, v, z, sigma)
    assert new != v and d.contains(new) and type(new) is int


@SETTINGS
@given(low=st.floats(-100, 100), width=st.floats(0.1, 100), z=st.floats(-5, 5), sigma=st.floats(0, 1),
       u=st.floats(0, 1))
def test_gaussian_step_real_stays_inside(low, width, z, sigma, u):
    d = Real(low, low + width)
    new = gaussian_step(d, d.from_unit(u), z, sigma)
    assert d.contains(new) and isinstance(new, float)


def test_resample_other_exact():
    d = Choice(("adam", "sgd", "rmsprop"))
    assert resample_other(d, "adam", 0) == "sgd"
    assert resample_other(d, "adam", 1) == "rmsprop"
    assert resample_other(d, "sgd", 1) == "rmsprop"
    assert resample_other(d, "rmsprop", 0) == "adam"
    assert resample_other(d, "sgd", 2) == "adam"  # index wraps
    assert resample_other(Choice(("only",)), "only", 0) == "only"
    assert resample_other(Choice((16, 32)), 16, 0) == 32
    assert resample_other(Choice((1, 2)), 1.0, 0) == 1  # 1.0 is not the option 1: it is "other"


# -- structural moves ----------------------------------------------------------------------
def cnn(layers) -> Genome:
    space = SearchSpace()
    hyper = space.sample_hyperparameters(np.random.default_rng(0))
    return Genome(layers, hyper, family="cnn")


C = ConvBlock(16, 3, "relu", "max")
D = DenseLayer(32, "relu")
X = DropoutLayer(0.2)


def test_add_layer_adds_exactly_one_when_there_is_room():
    space = SearchSpace()
    for seed in range(30):
        g = cnn([C, D, D])
        mut_add_layer(g, space=space, rng=np.random.default_rng(seed))
        assert len(g) == 4 and space.contains(g)
        assert all(any(x is y for y in g) for x in (C, D))  # old genes kept (identity)
    full = cnn([C, D, D, D, D, D, D])
    mut_add_layer(full, space=space, rng=np.random.default_rng(0))
    assert len(full) == 7


def test_remove_layer_removes_one_and_keeps_required_kinds():
    space = SearchSpace()
    for seed in range(30):
        g = cnn([C, X, D, D])
        mut_remove_layer(g, space=space, rng=np.random.default_rng(seed))
        assert len(g) == 3 and space.contains(g) and any(x.kind == "conv" for x in g)
    short = cnn([C, D, D])
    mut_remove_layer(short, space=space, rng=np.random.default_rng(0))
    assert list(short) == [C, D, D]  # at min_layers: nothing removed
    space4 = SearchSpace(min_layers=1)
    for seed in range(20):
        g = cnn([C, D, D, D])
        mut_remove_layer(g, space=space4, rng=np.random.default_rng(seed))
        assert g[0] is C  # the only conv block is never removed


@pytest.mark.parametrize(
    "op, allowed",
    [
        (mut_change_units, {"units", "filters"}),
        (mut_change_activation, {"activation"}),
        (mut_change_kernel, {"kernel_size", "pooling"}),
    ],
)
def test_change_field_moves_change_exactly_one_field_of_one_layer(op, allowed):
    space = SearchSpace()
    for seed in range(40):
        before = cnn([ConvBlock(16, 3, "relu", "max"), X, DenseLayer(32, "relu"), DenseLayer(64, "tanh")])
        g = cnn(list(before))
        op(g, space=space, rng=np.random.default_rng(seed))
        diffs = [
            (i, f) for i, (a, b) in enumerate(zip(before, g))
            for f in (x.name for x in fields(a)) if getattr(a, f) != getattr(b, f)
        ]
        assert len(g) == len(before) and len(diffs) == 1, diffs
        assert diffs[0][1] in allowed
        assert space.contains(g)
        unchanged = [i for i in range(len(g)) if i != diffs[0][0]]
        assert all(g[i] is before[i] for i in unchanged)  # untouched genes are the same objects


def test_hyperparameter_mutation_with_indpb_one_changes_every_gene():
    space = SearchSpace()
    for seed in range(30):
        g = sample(space, seed)[0]
        before = dict(g.hyperparameters)
        mut_hyperparameters(g, space=space, rng=np.random.default_rng(seed), indpb=1.0)
        assert all(g.hyperparameters[k] != before[k] for k in before)
        assert space.contains(g)


def test_hyperparameter_mutation_with_indpb_zero_changes_nothing():
    space = SearchSpace()
    g = sample(space, 1)[0]
    before = g.to_json()
    mut_hyperparameters(g, space=space, rng=np.random.default_rng(0), indpb=0.0)
    mut_structure(g, space=space, rng=np.random.default_rng(0), indpb=0.0, add_prob=0.0, remove_prob=0.0)
    mut_split(g, space=space, rng=np.random.default_rng(0), indpb=0.0, add_prob=0.0, remove_prob=0.0)
    assert g.to_json() == before


def test_hyperparameter_mutation_replaces_the_dict_not_edits_it():
    space = SearchSpace()
    g = sample(space, 2)[0]
    shared = g.hyperparameters
    snapshot = dict(shared)
    mut_hyperparameters(g, space=space, rng=np.random.default_rng(0), indpb=1.0)
    assert shared == snapshot and g.hyperparameters is not shared


def test_structural_mutation_with_indpb_one_changes_every_field():
    space = SearchSpace(family="cnn+rnn")
    for seed in range(20):
        g = sample(space, seed)[0]
        before = list(g)
        mut_structure(g, space=space, rng=np.random.default_rng(seed), indpb=1.0, add_prob=0.0, remove_prob=0.0)
        assert len(g) == len(before)
        for a, b in zip(before, g):
            assert a.kind == b.kind
            assert all(getattr(a, f.name) != getattr(b, f.name) for f in fields(a))


def test_split_mutation_applies_each_part_with_its_probability():
    space = SearchSpace()
    g = sample(space, 4)[0]
    layers, hyper = list(g), dict(g.hyperparameters)
    mut_split(g, space=space, rng=np.random.default_rng(0), indpb=1.0, hyperparameter_prob=0.0,
              structural_prob=1.0, add_prob=0.0, remove_prob=0.0)
    assert g.hyperparameters == hyper and list(g) != layers
    g = sample(space, 4)[0]
    mut_split(g, space=space, rng=np.random.default_rng(0), indpb=1.0, hyperparameter_prob=1.0,
              structural_prob=0.0)
    assert list(g) == layers and all(g.hyperparameters[k] != hyper[k] for k in hyper)


@SETTINGS
@given(family=families, seed=seeds)
def test_add_then_remove_keep_length_bounds(family, seed):
    space = SearchSpace(family=family)
    g = sample(space, seed)[0]
    rng = np.random.default_rng(seed)
    for _ in range(6):
        n = len(g)
        mut_add_layer(g, space=space, rng=rng)
        assert len(g) == min(n + 1, space.max_layers) and space.contains(g)
    for _ in range(6):
        n = len(g)
        mut_remove_layer(g, space=space, rng=rng)
        assert len(g) in (n, n - 1) and len(g) >= space.min_layers and space.contains(g)
