"""Grid search (evodeap.baselines.grid)."""
from __future__ import annotations

import pytest
from helpers_baselines import LANDSCAPE, SPACE

from evodeap.baselines import grid_axes, grid_point, grid_points, grid_search, grid_size, quantise, structure_template
from evodeap.genome.genes import ConvBlock, DenseLayer
from evodeap.genome.space import Choice, Integer, Real, SearchSpace


# -- the grid ---------------------------------------------------------------------------------------
def test_quantise_takes_cell_centres_and_all_options():
    assert quantise(Choice(("a", "b", "c")), 2) == ["a", "b", "c"]
    assert quantise(Integer(1, 3), 5) == [1, 2, 3]
    assert quantise(Integer(1, 10), 3) == [2, 6, 8]  # 2.5, 5.5, 8.5 rounded half to even
    assert quantise(Real(0.0, 0.5), 5) == pytest.approx([0.05, 0.15, 0.25, 0.35, 0.45])
    assert quantise(Real(1e-4, 1e-1, log=True), 3) == pytest.approx([10**-3.5, 10**-2.5, 10**-1.5])
    assert quantise(Real(0.2, 0.2), 4) == [0.2]


def test_structure_template_spreads_layers_over_stages():
    assert structure_template(SearchSpace(family="cnn"), 5) == ["conv"] * 3 + ["dense"] * 2
    assert structure_template(SearchSpace(family="cnn+rnn", min_layers=2), 4) == ["conv", "conv", "rnn", "dense"]
    assert structure_template(SearchSpace(family="cnn+rnn", min_layers=2), 2) == ["conv", "rnn"]
    assert structure_template(SearchSpace(family="rnn", min_layers=1), 1) == ["rnn"]


def tiny_space() -> SearchSpace:
    layers = {
        "conv": {"filters": Integer(8, 8), "kernel_size": Choice((3,)), "activation": Choice(("relu",)),
                 "pooling": Choice(("max",))},
        "dense": {"units": Integer(16, 16), "activation": Choice(("relu", "tanh"))},
        "dropout": {"rate": Real(0.0, 0.5)},
    }
    hyper = {"learning_rate": Real(1e-3, 1e-1, log=True), "optimizer": Choice(("adam", "sgd"))}
    return SearchSpace(family="cnn", hyperparameters=hyper, layers=layers, min_layers=1, max_layers=2)


def test_grid_enumeration_is_exact_on_a_tiny_space():
    space = tiny_space()
    axes = grid_axes(space, levels=2)
    assert [name for name, _ in axes] == [
        "n_layers", "conv.filters", "conv.kernel_size", "conv.activation", "conv.pooling",
        "dense.units", "dense.activation", "learning_rate", "optimizer"]
    assert grid_size(axes) == 2 * 2 * 2 * 2
    conv = ConvBlock(8, 3, "relu", "max")
    lr_low, lr_high = 10**-2.5, 10**-1.5
    expected = []
    for n in (1, 2):
        for act in ("relu", "tanh"):
            for lr in (lr_low, lr_high):
                for opt in ("adam", "sgd"):
                    layers = [conv] if n == 1 else [conv, DenseLayer(16, act)]
                    expected.append((layers, lr, opt))
    points = grid_points(space, levels=2)
    assert len(points) == len(expected)
    for genome, (layers, lr, opt) in zip(points, expected):
        assert list(genome) == layers
        assert genome.hyperparameters["learning_rate"] == pytest.approx(lr)
        assert genome.hyperparameters["optimizer"] == opt
        assert space.violations(genome) == []


def test_grid_search_visits_distinct_grid_points_then_starts_over():
    space = tiny_space()
    axes = grid_axes(space, levels=2)
    records = grid_search(space, LANDSCAPE, 20, 0, levels=2)
    assert len(records) == 20
    indices = [r.result.extra["grid_index"] for r in records]
    assert sorted(indices[:16]) == list(range(16))  # the whole grid first, each point once
    assert len(set(indices[16:])) == 4
    for r, index in zip(records, indices):
        assert r.genome == grid_point(space, axes, index)


def test_grid_search_on_the_default_space_draws_distinct_points():
    records = grid_search(SPACE, LANDSCAPE, 50, 0)
    indices = [r.result.extra["grid_index"] for r in records]
    assert len(set(indices)) == 50 and max(indices) < grid_size(grid_axes(SPACE))
    assert len({len(r.genome) for r in records}) > 1
