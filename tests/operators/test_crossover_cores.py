"""Exact tests of the pure crossover cores and of variable-length behaviour."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from evodeap.genome.genome import Genome
from evodeap.genome.space import Choice, Integer, Real, SearchSpace
from evodeap.operators import CROSSOVERS
from evodeap.operators.crossover import blend_values, cut_and_splice, recombine_hyperparameters, two_point_splice, uniform_swap
from strategies import SETTINGS

A = ["a0", "a1", "a2", "a3", "a4"]
B = ["b0", "b1", "b2"]


@pytest.mark.parametrize(
    "i, j, c1, c2",
    [
        (2, 1, ["a0", "a1", "b1", "b2"], ["b0", "a2", "a3", "a4"]),
        (0, 0, ["b0", "b1", "b2"], ["a0", "a1", "a2", "a3", "a4"]),
        (5, 3, A, B),
        (4, 0, ["a0", "a1", "a2", "a3", "b0", "b1", "b2"], ["a4"]),
        (1, 3, ["a0"], ["b0", "b1", "b2", "a1", "a2", "a3", "a4"]),
    ],
)
def test_cut_and_splice_exact(i, j, c1, c2):
    assert cut_and_splice(A, B, i, j) == (c1, c2)


@SETTINGS
@given(n=st.integers(0, 8), m=st.integers(0, 8), data=st.data())
def test_cut_and_splice_conserves_genes_and_lengths(n, m, data):
    a, b = [("a", k) for k in range(n)], [("b", k) for k in range(m)]
    i, j = data.draw(st.integers(0, n)), data.draw(st.integers(0, m))
    c1, c2 = cut_and_splice(a, b, i, j)
    assert len(c1) == i + m - j and len(c2) == j + n - i
    assert sorted(c1 + c2) == sorted(a + b)
    assert a == [("a", k) for k in range(n)]  # inputs untouched
    assert isinstance(c1, list) and isinstance(c2, list)


@pytest.mark.parametrize(
    "cuts_a, cuts_b, c1, c2",
    [
        ((1, 3), (0, 2), ["a0", "b0", "b1", "a3", "a4"], ["a1", "a2", "b2"]),
        ((0, 5), (1, 1), [], ["b0", "a0", "a1", "a2", "a3", "a4", "b1", "b2"]),
        ((2, 2), (0, 3), ["a0", "a1", "b0", "b1", "b2", "a2", "a3", "a4"], []),
        ((1, 4), (1, 2), ["a0", "b1", "a4"], ["b0", "a1", "a2", "a3", "b2"]),
    ],
)
def test_two_point_splice_exact(cuts_a, cuts_b, c1, c2):
    assert two_point_splice(A, B, cuts_a, cuts_b) == (c1, c2)


@SETTINGS
@given(n=st.integers(0, 8), m=st.integers(0, 8), data=st.data())
def test_two_point_splice_conserves_genes(n, m, data):
    a, b = [("a", k) for k in range(n)], [("b", k) for k in range(m)]
    i1, i2 = sorted(data.draw(st.lists(st.integers(0, n), min_size=2, max_size=2)))
    j1, j2 = sorted(data.draw(st.lists(st.integers(0, m), min_size=2, max_size=2)))
    c1, c2 = two_point_splice(a, b, (i1, i2), (j1, j2))
    assert len(c1) == n - (i2 - i1) + (j2 - j1)
    assert sorted(c1 + c2) == sorted(a + b)


@pytest.mark.parametrize(
    "mask, swap_tail, c1, c2",
    [
        ([False, False, False], False, A, B),
        ([True, True, True], False, ["b0", "b1", "b2", "a3", "a4"], ["a0", "a1", "a2"]),
        ([True, False, True], False, ["b0", "a1", "b2", "a3", "a4"], ["a0", "b1", "a2"]),
        ([True, False, True], True, ["b0", "a1", "b2"], ["a0", "b1", "a2", "a3", "a4"]),
        ([False, False, False], True, ["a0", "a1", "a2"], ["b0", "b1", "b2", "a3", "a4"]),
    ],
)
def test_uniform_swap_exact(mask, swap_tail, c1, c2):
    assert uniform_swap(A, B, mask, swap_tail) == (c1, c2)


@pytest.mark.parametrize(
    "u1, u2, alpha, r1, r2, expected",
    [
        (0.2, 0.6, 0.5, 0.0, 0.5, (0.0, 0.4)),  # interval [0.0, 0.8]
        (0.6, 0.2, 0.5, 0.25, 0.75, (0.2, 0.6)),
        (0.4, 0.6, 0.0, 0.5, 0.0, (0.5, 0.4)),
        (0.3, 0.3, 0.5, 0.9, 0.1, (0.3, 0.3)),  # d = 0
        (0.9, 1.0, 1.0, 0.999, 0.0, (1.0, 0.8)),  # [0.8, 1.1] clipped to 1
        (0.0, 0.1, 1.0, 0.0, 0.5, (0.0, 0.05)),  # [-0.1, 0.2] clipped to 0
    ],
)
def test_blend_values_exact(u1, u2, alpha, r1, r2, expected):
    got = blend_values(u1, u2, alpha, r1, r2)
    assert got == pytest.approx(expected, abs=1e-12)


@SETTINGS
@given(u1=st.floats(0, 1), u2=st.floats(0, 1), alpha=st.floats(0, 2), r1=st.floats(0, 1, exclude_max=True),
       r2=st.floats(0, 1, exclude_max=True))
def test_blend_values_stay_in_the_unit_interval_and_blx_range(u1, u2, alpha, r1, r2):
    d = abs(u1 - u2)
    for c in blend_values(u1, u2, alpha, r1, r2):
        assert 0.0 <= c <= 1.0
        assert min(u1, u2) - alpha * d - 1e-12 <= c <= max(u1, u2) + alpha * d + 1e-12


def _hyper_space() -> SearchSpace:
    return SearchSpace(hyperparameters={"r": Real(0.0, 1.0), "lr": Real(1e-4, 1e-1, log=True),
                                        "i": Integer(0, 100), "c": Choice(("x", "y"))})


def test_blend_recombination_of_hyperparameters_exact():
    space = _hyper_space()
    g1 = Genome([], {"r": 0.2, "lr": 1e-3, "i": 10, "c": "x"})
    g2 = Genome([], {"r": 0.6, "lr": 1e-2, "i": 30, "c": "y"})
    rng = np.random.default_rng(5)
    draws = np.random.default_rng(5)
    recombine_hyperparameters(g1, g2, space, rng, method="blend", alpha=0.5)
    # replay the exact draws: r (2), lr (2), i (2), c (1)
    r = [draws.random() for _ in range(7)]
    u = blend_values(0.2, 0.6, 0.5, r[0], r[1])
    assert (g1.hyperparameters["r"], g2.hyperparameters["r"]) == pytest.approx(u)
    u = blend_values(1 / 3, 2 / 3, 0.5, r[2], r[3])
    assert g1.hyperparameters["lr"] == pytest.approx(space.domain("lr").from_unit(u[0]), rel=1e-9)
    assert g2.hyperparameters["lr"] == pytest.approx(space.domain("lr").from_unit(u[1]), rel=1e-9)
    u = blend_values(0.1, 0.3, 0.5, r[4], r[5])
    assert (g1.hyperparameters["i"], g2.hyperparameters["i"]) == (round(u[0] * 100), round(u[1] * 100))
    assert type(g1.hyperparameters["i"]) is int
    swapped = r[6] < 0.5
    assert (g1.hyperparameters["c"], g2.hyperparameters["c"]) == (("y", "x") if swapped else ("x", "y"))


def test_uniform_recombination_only_swaps_values():
    space = _hyper_space()
    h1 = {"r": 0.2, "lr": 1e-3, "i": 10, "c": "x"}
    h2 = {"r": 0.6, "lr": 1e-2, "i": 30, "c": "y"}
    seen_swapped, seen_kept = set(), set()
    for seed in range(40):
        g1, g2 = Genome([], h1), Genome([], h2)
        recombine_hyperparameters(g1, g2, space, np.random.default_rng(seed), method="uniform")
        for k in h1:
            pair = (g1.hyperparameters[k], g2.hyperparameters[k])
            assert pair in ((h1[k], h2[k]), (h2[k], h1[k]))
            (seen_swapped if pair == (h2[k], h1[k]) else seen_kept).add(k)
    assert seen_swapped == seen_kept == set(h1)


def test_unknown_recombination_method_is_rejected():
    space = _hyper_space()
    with pytest.raises(ValueError, match="uniform' or 'blend"):
        recombine_hyperparameters(Genome(), Genome(), space, np.random.default_rng(0), method="arith")


# -- variable length ---------------------------------------------------------------------
@pytest.mark.parametrize("name", ["one_point", "two_point", "uniform"])
def test_crossover_changes_lengths_in_both_directions(name):
    cx = CROSSOVERS.get(name)
    space = SearchSpace(family="cnn", min_layers=1, max_layers=12)
    longer = shorter = 0
    for seed in range(300):
        rng = np.random.default_rng(seed)
        n1, n2 = int(rng.integers(2, 8)), int(rng.integers(2, 8))
        p1, p2 = space.sample_genome(rng, n_layers=n1), space.sample_genome(rng, n_layers=n2)
        c1, c2 = cx(p1, p2, space=space, rng=rng)
        for child, parent_len in ((c1, n1), (c2, n2)):
            longer += len(child) > parent_len
            shorter += len(child) < parent_len
    assert longer >= 30 and shorter >= 30, (longer, shorter)


@pytest.mark.parametrize("name", ["one_point", "two_point"])
def test_equal_length_parents_still_give_unequal_children(name):
    cx = CROSSOVERS.get(name)
    space = SearchSpace(family="cnn+rnn", min_layers=2, max_layers=12)
    lengths = set()
    for seed in range(200):
        rng = np.random.default_rng(seed)
        c1, c2 = cx(space.sample_genome(rng, n_layers=5), space.sample_genome(rng, n_layers=5), space=space, rng=rng)
        lengths |= {len(c1), len(c2)}
    assert min(lengths) < 5 < max(lengths)
