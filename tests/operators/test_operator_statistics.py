"""Statistical checks (fixed seeds, large n) of operator distributions."""
from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from deap import creator
from scipy import stats

import evodeap.genome.individual  # noqa: F401
from evodeap.genome.space import SearchSpace
from evodeap.operators.mutation import mut_hyperparameters, mut_split, mut_structure
from evodeap.operators.schedules import ExponentialDecay
from evodeap.operators.selection import boltzmann_probabilities, sel_boltzmann, sel_tournament
from strategies import sample

pytestmark = pytest.mark.statistical

FITNESS = [-1.0, 0.0, 0.5, 1.0, 2.0, 2.5]


def population(fitness):
    space = SearchSpace()
    pop = sample(space, 0, cls=creator.Individual, n=len(fitness))
    for ind, f in zip(pop, fitness):
        ind.fitness.values = (f,)
    return pop


def selection_counts(pop, chosen):
    index = {id(p): i for i, p in enumerate(pop)}
    return np.bincount([index[id(c)] for c in chosen], minlength=len(pop))


@pytest.mark.parametrize("beta, seed", [(0.0, 1), (0.7, 2), (1.5, 3), (-0.8, 4)])
def test_boltzmann_frequencies_match_softmax(beta, seed):
    pop = population(FITNESS)
    n = 60_000
    counts = selection_counts(pop, sel_boltzmann(pop, n, rng=np.random.default_rng(seed), beta=beta))
    p = boltzmann_probabilities(FITNESS, beta)
    expected_formula = np.exp(beta * np.array(FITNESS)) / np.exp(beta * np.array(FITNESS)).sum()
    np.testing.assert_allclose(p, expected_formula, rtol=1e-12)
    assert stats.chisquare(counts, n * p).pvalue > 1e-3
    # the test has power: a clearly different β is rejected on the same sample
    wrong = boltzmann_probabilities(FITNESS, beta + 0.3)
    assert stats.chisquare(counts, n * wrong).pvalue < 1e-6


def binomial_ok(successes: int, trials: int, p: float) -> bool:
    return stats.binomtest(successes, trials, p).pvalue > 1e-3


@pytest.mark.parametrize("mu", [0.02, 0.05, 0.3])
def test_hyperparameter_mutation_rate_matches_indpb(mu):
    space = SearchSpace()
    base = sample(space, 0, n=50)
    rng = np.random.default_rng(int(mu * 1000))
    trials = 3000
    changed = {name: 0 for name in space.hyperparameters}
    for t in range(trials):
        g = base[t % len(base)].plain()
        before = dict(g.hyperparameters)
        mut_hyperparameters(g, space=space, rng=rng, indpb=mu)
        for name in changed:
            changed[name] += g.hyperparameters[name] != before[name]
    for name, count in changed.items():
        assert binomial_ok(count, trials, mu), (name, count / trials, mu)
    total = sum(changed.values())
    assert binomial_ok(total, trials * len(changed), mu)
    assert not binomial_ok(total, trials * len(changed), mu * 1.5)  # power


def test_mutation_rate_follows_the_exponential_decay_schedule():
    """μ(t) = μ0·e^(−λt), rebound as indpb each generation, is the observed per-gene rate."""
    schedule = ExponentialDecay(initial=0.2, rate=0.1)
    space = SearchSpace()
    base = sample(space, 1, n=40)
    rng = np.random.default_rng(99)
    rates = []
    for t in (0, 10, 20):
        mu = schedule(t)
        trials, changed = 2000, 0
        for i in range(trials):
            g = base[i % len(base)].plain()
            before = dict(g.hyperparameters)
            mut_split(g, space=space, rng=rng, indpb=mu, structural_prob=0.0)
            changed += sum(g.hyperparameters[k] != before[k] for k in before)
        n = trials * len(space.hyperparameters)
        assert binomial_ok(changed, n, mu), (t, changed / n, mu)
        rates.append(changed / n)
    assert rates[0] > rates[1] > rates[2]


@pytest.mark.parametrize("mu", [0.05, 0.25])
def test_structural_mutation_rate_per_field_matches_indpb(mu):
    space = SearchSpace(family="cnn+rnn")
    base = sample(space, 2, n=50)
    rng = np.random.default_rng(7 + int(mu * 100))
    fields_seen = fields_changed = 0
    per_kind: dict[str, list[int]] = {}
    for t in range(1500):
        g = base[t % len(base)].plain()
        before = list(g)
        mut_structure(g, space=space, rng=rng, indpb=mu, add_prob=0.0, remove_prob=0.0)
        assert len(g) == len(before)
        for a, b in zip(before, g):
            for f in dataclasses.fields(a):
                changed = getattr(a, f.name) != getattr(b, f.name)
                fields_seen += 1
                fields_changed += changed
                tally = per_kind.setdefault(f"{a.kind}.{f.name}", [0, 0])
                tally[0] += changed
                tally[1] += 1
    assert binomial_ok(fields_changed, fields_seen, mu), (fields_changed / fields_seen, mu)
    for path, (k, n) in per_kind.items():
        assert binomial_ok(k, n, mu), (path, k / n, mu)


@pytest.mark.parametrize("add_prob, remove_prob", [(0.3, 0.0), (0.0, 0.4)])
def test_structural_add_and_remove_probabilities(add_prob, remove_prob):
    space = SearchSpace(family="cnn", min_layers=1, max_layers=20)
    base = sample(SearchSpace(family="cnn"), 3, n=30)  # 3..7 layers: always room to add or remove
    rng = np.random.default_rng(5)
    trials = 3000
    grew = shrank = 0
    for t in range(trials):
        g = base[t % len(base)].plain()
        n = len(g)
        mut_structure(g, space=space, rng=rng, indpb=0.0, add_prob=add_prob, remove_prob=remove_prob)
        grew += len(g) > n
        shrank += len(g) < n
    assert binomial_ok(grew, trials, add_prob) and binomial_ok(shrank, trials, remove_prob)


def test_tournament_picks_the_best_more_often_as_tournsize_grows():
    n_pop = 10
    pop = population([float(i) for i in range(n_pop)])
    best = pop[-1]
    n = 20_000
    freqs = []
    for size in (1, 2, 3, 5, 8):
        chosen = sel_tournament(pop, n, rng=np.random.default_rng(size), tournsize=size)
        wins = sum(c is best for c in chosen)
        expected = 1 - (1 - 1 / n_pop) ** size  # best is among the contestants
        assert binomial_ok(wins, n, expected), (size, wins / n, expected)
        freqs.append(wins / n)
    assert all(a < b for a, b in zip(freqs, freqs[1:]))
