"""Repair: order, required kinds, disallowed kinds, length, clipping into a narrowed space."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given

from evodeap.genome.genes import ConvBlock, DenseLayer, DropoutLayer, RecurrentLayer
from evodeap.genome.genome import Genome
from evodeap.genome.space import Integer, Real, SearchSpace
from evodeap.operators.repair import clip_gene, removable_positions, repair
from strategies import SETTINGS, seeds, spaces, wide_parent

C = ConvBlock(16, 3, "relu", "max")
R = RecurrentLayer(16, "tanh")
D = DenseLayer(32, "relu")
X = DropoutLayer(0.2)


def hyper(space: SearchSpace) -> dict:
    return space.sample_hyperparameters(np.random.default_rng(0))


def test_valid_genome_is_left_exactly_as_it_is():
    space = SearchSpace()
    g = Genome([C, X, D], hyper(space), family="cnn")
    before, genes = g.to_json(), list(g)
    assert repair(g, space, np.random.default_rng(0)) is g
    assert g.to_json() == before and all(a is b for a, b in zip(g, genes))


def test_repair_restores_stage_order():
    space = SearchSpace(family="cnn+rnn")
    g = Genome([D, R, C, X], hyper(space), family="cnn+rnn")
    repair(g, space, np.random.default_rng(0))
    assert list(g) == [C, R, D, X]


@pytest.mark.parametrize("seed", range(10))
def test_repair_adds_missing_required_kinds(seed):
    space = SearchSpace(family="cnn+rnn")
    g = Genome([D, D, D], hyper(space), family="cnn+rnn")
    repair(g, space, np.random.default_rng(seed))
    kinds = [x.kind for x in g]
    assert "conv" in kinds and "rnn" in kinds and space.contains(g)
    assert kinds.count("dense") >= 1


@pytest.mark.parametrize("seed", range(10))
def test_repair_adds_required_kind_to_a_full_genome(seed):
    space = SearchSpace(family="cnn", min_layers=3, max_layers=4)
    g = Genome([D, D, X, D], hyper(space), family="cnn")
    repair(g, space, np.random.default_rng(seed))
    assert len(g) == 4 and any(x.kind == "conv" for x in g) and space.contains(g)


def test_repair_drops_kinds_outside_the_family():
    space = SearchSpace(family="cnn")
    g = Genome([C, R, D, R, D], hyper(space), family="cnn")
    repair(g, space, np.random.default_rng(0))
    assert list(g) == [C, D, D]


@pytest.mark.parametrize("seed", range(10))
def test_repair_shortens_and_lengthens(seed):
    space = SearchSpace(family="cnn", min_layers=3, max_layers=5)
    long = Genome([C] + [D] * 9, hyper(space), family="cnn")
    repair(long, space, np.random.default_rng(seed))
    assert len(long) == 5 and long[0] == C and space.contains(long)
    short = Genome([C], hyper(space), family="cnn")
    repair(short, space, np.random.default_rng(seed))
    assert len(short) == 3 and space.contains(short) and C in short


def test_repair_clips_into_a_narrowed_space():
    space = SearchSpace().with_domain("conv.filters", Integer(16, 32)).with_domain("learning_rate", Real(1e-3, 1e-2, True))
    space = space.with_domain("dropout.rate", Real(0.1, 0.3))
    h = hyper(SearchSpace())
    h["learning_rate"] = 0.05
    g = Genome([ConvBlock(128, 5, "elu", "avg"), ConvBlock(8, 3, "relu", "max"), DropoutLayer(0.45), D], h, family="cnn")
    repair(g, space, np.random.default_rng(0))
    assert [x.filters for x in g if x.kind == "conv"] == [32, 16]
    assert g[0].kernel_size == 5 and g[0].activation == "elu" and g[0].pooling == "avg"
    assert [x.rate for x in g if x.kind == "dropout"] == [0.3]
    assert g.hyperparameters["learning_rate"] == 1e-2
    assert space.contains(g)


def test_repair_fixes_hyperparameter_names_and_family():
    space = SearchSpace()
    h = hyper(space)
    del h["epochs"]
    h["momentum"] = 0.9
    g = Genome([C, D, D], h, family="rnn")
    repair(g, space, np.random.default_rng(0))
    assert set(g.hyperparameters) == set(space.hyperparameters) and g.family == "cnn"
    assert space.contains(g)


def test_clip_gene_returns_the_same_object_when_valid():
    space = SearchSpace()
    assert clip_gene(C, space) is C
    clipped = clip_gene(ConvBlock(999, 3, "relu", "max"), space)
    assert clipped == ConvBlock(128, 3, "relu", "max")


def test_removable_positions_protect_the_last_required_layer():
    space = SearchSpace(family="cnn+rnn")
    assert removable_positions([C, R, D, X], space) == [2, 3]
    assert removable_positions([C, C, R], space) == [0, 1]


@SETTINGS
@given(space=spaces(), seed=seeds)
def test_repair_makes_any_genome_valid_and_is_idempotent(space, seed):
    g = wide_parent(space, seed)
    rng = np.random.default_rng(seed)
    # scramble it: reverse order, drop hyperparameters
    g.reverse()
    if seed % 3 == 0:
        g.hyperparameters.pop("optimizer")
    repair(g, space, rng)
    assert space.violations(g) == []
    once = g.to_json()
    repair(g, space, rng)
    assert g.to_json() == once
