"""Selection: Boltzmann probabilities exactly, and each selection's own semantics."""
from __future__ import annotations

import math

import numpy as np
import pytest
from deap import creator
from hypothesis import given
from hypothesis import strategies as st

import evodeap.genome.individual  # noqa: F401
from evodeap.genome.genome import Genome
from evodeap.operators.selection import boltzmann_probabilities, sel_aging, sel_best, sel_boltzmann, sel_nsga2, sel_tournament
from strategies import SETTINGS


def population(fitness, births=None, cls=None):
    cls = cls or creator.Individual
    pop = []
    for i, f in enumerate(fitness):
        ind = cls([], {"i": i}, family="cnn", birth=0 if births is None else births[i])
        ind.fitness.values = f if isinstance(f, tuple) else (f,)
        pop.append(ind)
    return pop


def softmax(f, beta):
    w = [math.exp(beta * x) for x in f]
    return [x / sum(w) for x in w]


def test_beta_zero_is_uniform():
    assert boltzmann_probabilities([3.0, -7.0, 100.0, 0.0], 0.0) == pytest.approx([0.25] * 4, abs=0)


@pytest.mark.parametrize("beta", [0.5, 1.0, 3.0, -2.0])
@pytest.mark.parametrize("f", [[1.0, 2.0, 3.0], [-5.0, -1.0, -3.0, -4.0], [0.1, 0.1, 0.2]])
def test_matches_the_softmax_formula(f, beta):
    assert boltzmann_probabilities(f, beta) == pytest.approx(softmax(f, beta), rel=1e-12, abs=1e-15)


@SETTINGS
@given(f=st.lists(st.floats(-50, 50), min_size=1, max_size=30), beta=st.floats(-5, 5))
def test_matches_softmax_and_is_a_distribution(f, beta):
    p = boltzmann_probabilities(f, beta)
    assert p.shape == (len(f),) and np.all(p >= 0) and p.sum() == pytest.approx(1.0, abs=1e-12)
    assert p == pytest.approx(softmax(f, beta), rel=1e-9, abs=1e-300)


def test_negative_fitness_prefers_the_largest():
    p = boltzmann_probabilities([-10.0, -1.0, -5.0], 1.0)
    assert np.argmax(p) == 1 and p[1] > p[2] > p[0]


@pytest.mark.parametrize("beta", [1e3, 1e10, 1e300])
def test_huge_beta_does_not_overflow_and_selects_the_best(beta):
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        p = boltzmann_probabilities([1.0, 5.0, 2.0, -3.0], beta)
    assert np.all(np.isfinite(p)) and list(p) == [0.0, 1.0, 0.0, 0.0]


def test_extreme_beta_still_gives_a_one_hot_distribution():
    with np.errstate(all="ignore"):
        p = boltzmann_probabilities([1.0, 5.0, 2.0, -3.0], 1e308)
    assert list(p) == [0.0, 1.0, 0.0, 0.0]


def test_huge_beta_splits_between_tied_best():
    p = boltzmann_probabilities([1.0, 5.0, 5.0], 1e6)
    assert list(p) == [0.0, 0.5, 0.5]


def test_huge_values_do_not_overflow():
    p = boltzmann_probabilities([1e308, 1e308 * 0.5], 1.0)
    assert np.all(np.isfinite(p)) and p[0] == 1.0


def test_large_negative_beta_selects_the_worst():
    p = boltzmann_probabilities([1.0, 5.0, 2.0], -1e300)
    assert np.all(np.isfinite(p)) and list(p) == [1.0, 0.0, 0.0]


@pytest.mark.parametrize("f", [[], [1.0, math.nan]])
def test_boltzmann_rejects_empty_or_nan_fitness(f):
    with pytest.raises(ValueError):
        boltzmann_probabilities(f, 1.0)


@pytest.mark.parametrize("f", [[1e308, -1e308], [-1e308, 1e308, 0.0], [math.inf, -math.inf, 1.0]])
def test_beta_zero_is_uniform_even_for_extreme_fitness(f):
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        p = boltzmann_probabilities(f, 0.0)
    assert list(p) == [1.0 / len(f)] * len(f)


@pytest.mark.parametrize("beta, expected", [(1.0, [1.0, 0.0]), (1e-308, None), (-1.0, [0.0, 1.0])])
def test_extreme_fitness_with_finite_beta_is_exact(beta, expected):
    p = boltzmann_probabilities([1e308, -1e308], beta)
    if expected is None:  # β·(f1 − f2) = 1e-308 · 2e308 = 2: p = (1/(1+e^-2), e^-2/(1+e^-2))
        expected = [1 / (1 + math.exp(-2.0)), math.exp(-2.0) / (1 + math.exp(-2.0))]
    assert p == pytest.approx(expected, rel=1e-12, abs=0)


@pytest.mark.parametrize("f, beta, expected", [
    ([math.inf, 1.0, math.inf], 2.0, [0.5, 0.0, 0.5]),     # +inf fitness: uniform over the infinite best
    ([-math.inf, 1.0, 3.0], -1.0, [1.0, 0.0, 0.0]),        # β < 0 prefers the worst, −inf included
    ([-math.inf, 0.0], 5.0, [0.0, 1.0]),                   # −inf has probability 0
    ([-math.inf, -math.inf], 5.0, [0.5, 0.5]),             # all −inf: uniform
    ([1.0, 5.0, 5.0], math.inf, [0.0, 0.5, 0.5]),          # β = +inf: uniform over the best
    ([1.0, 5.0, 1.0], -math.inf, [0.5, 0.0, 0.5]),         # β = −inf: uniform over the worst
])
def test_infinities_are_the_limits(f, beta, expected):
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        assert list(boltzmann_probabilities(f, beta)) == expected


@pytest.mark.parametrize("beta", [math.nan, None, "5", True])
def test_beta_that_is_not_a_real_number_gets_our_message(beta):
    from evodeap.errors import ConfigError

    with pytest.raises(ConfigError, match="beta to be a real number"):
        boltzmann_probabilities([1.0, 2.0], beta)
    with pytest.raises(ConfigError, match="beta to be a real number"):
        sel_boltzmann(population([1.0, 2.0]), 2, rng=np.random.default_rng(0), beta=beta)


@SETTINGS
@given(f=st.lists(st.floats(allow_nan=False), min_size=1, max_size=20),
       beta=st.floats(allow_nan=False))
def test_any_fitness_and_beta_give_an_exact_distribution(f, beta):
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        p = boltzmann_probabilities(f, beta)
    assert np.all(np.isfinite(p)) and np.all(p >= 0) and p.sum() == pytest.approx(1.0, abs=1e-12)
    assert np.array_equal(p, boltzmann_probabilities([-x for x in f], -beta))   # p(f, β) = p(−f, −β)
    if beta == 0:
        assert np.all(p == 1.0 / len(f))
    else:
        ranked = p[np.argsort(np.asarray(f) * np.sign(beta), kind="stable")]
        assert np.all(np.diff(ranked) >= 0)                                      # higher βf, no lower p


def test_selection_rejects_invalid_fitness():
    pop = population([1.0, 2.0])
    del pop[0].fitness.values
    for sel in (sel_boltzmann, sel_tournament, sel_best, sel_aging):
        with pytest.raises(ValueError, match="evaluated"):
            sel(pop, 2, rng=np.random.default_rng(0))


def test_boltzmann_uses_weighted_values_for_minimisation():
    from deap import base

    if not hasattr(creator, "FitnessMinTest"):
        creator.create("FitnessMinTest", base.Fitness, weights=(-1.0,))
        creator.create("IndividualMinTest", Genome, fitness=creator.FitnessMinTest)
    pop = population([1.0, 10.0], cls=creator.IndividualMinTest)
    chosen = sel_boltzmann(pop, 200, rng=np.random.default_rng(0), beta=5.0)
    assert sum(c is pop[0] for c in chosen) > 190  # fitness 1.0 is the better one
    assert sel_best(pop, 1)[0] is pop[0]


def test_best_is_truncation_with_stable_ties():
    pop = population([1.0, 3.0, 2.0, 3.0])
    assert [p.hyperparameters["i"] for p in sel_best(pop, 3)] == [1, 3, 2]


def test_aging_removes_the_oldest_and_breaks_ties_by_fitness():
    pop = population([5.0, 1.0, 2.0, 9.0, 3.0], births=[0, 2, 2, 1, 2])
    chosen = sel_aging(pop, 4)
    assert [p.hyperparameters["i"] for p in chosen] == [4, 2, 1, 3]
    assert all(c is pop[c.hyperparameters["i"]] for c in chosen)


def test_tournament_of_size_one_is_uniform_and_size_n_large_picks_best():
    pop = population([0.0, 1.0, 2.0, 3.0])
    big = sel_tournament(pop, 50, rng=np.random.default_rng(0), tournsize=60)
    assert all(c is pop[3] for c in big)
    one = sel_tournament(pop, 400, rng=np.random.default_rng(0), tournsize=1)
    assert {c.hyperparameters["i"] for c in one} == {0, 1, 2, 3}


def test_nsga2_keeps_the_pareto_front_of_three_objectives():
    pts = [(1.0, 1.0, 1.0), (0.5, 0.5, 0.5), (2.0, 0.0, 0.0), (0.0, 2.0, 0.0), (0.0, 0.0, 2.0), (0.1, 0.1, 0.1)]
    pop = population(pts, cls=creator.IndividualMulti)
    chosen = sel_nsga2(pop, 4)
    assert {c.hyperparameters["i"] for c in chosen} == {0, 2, 3, 4}
    assert all(any(c is p for p in pop) for c in chosen)
