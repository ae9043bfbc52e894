"""The contract every registered operator passes automatically.

Parametrized over the registries, so a newly registered crossover, mutation or selection
is checked here with no new test code: DEAP calling convention (in place, tuples),
validity inside the search space, length bounds, type preserved, JSON round trip,
fitness untouched, reproducibility from ``rng`` alone, picklability and spawn pools.
"""
from __future__ import annotations

import copy
import dataclasses
import functools
import multiprocessing
import pickle
import random

import numpy as np
import pytest
from deap import creator
from hypothesis import given
from hypothesis import strategies as st

import evodeap.genome.individual  # noqa: F401
from evodeap.genome.genome import Genome
from evodeap.genome.space import SearchSpace
from evodeap.operators import CROSSOVERS, MUTATIONS, SELECTIONS
from strategies import SETTINGS, sample, seeds, snapshot, spaces, wide_parent

CROSSOVER_ITEMS = CROSSOVERS.items()
MUTATION_ITEMS = MUTATIONS.items()
SELECTION_ITEMS = SELECTIONS.items()
cx_ids = [n for n, _ in CROSSOVER_ITEMS]
mut_ids = [n for n, _ in MUTATION_ITEMS]
sel_ids = [n for n, _ in SELECTION_ITEMS]


def individual(genome: Genome, fitness: float | None) -> Genome:
    ind = creator.Individual(genome, genome.hyperparameters, family=genome.family, birth=genome.birth)
    if fitness is not None:
        ind.fitness.values = (fitness,)
    return ind


def parents(space: SearchSpace, seed: int, wide: bool, cls_individual: bool, fitness: float | None):
    """Two parents: sampled from ``space`` or (``wide``) from a wider space, so that the
    operator has to repair its output back into ``space``."""
    if wide:
        a, b = wide_parent(space, seed), wide_parent(space, seed + 1)
    else:
        a, b = sample(space, seed, n=2)
    if cls_individual:
        a, b = individual(a, fitness), individual(b, fitness)
    return a, b


def assert_valid_output(ind: Genome, space: SearchSpace, cls: type) -> None:
    assert type(ind) is cls
    assert space.violations(ind) == []
    assert space.min_layers <= len(ind) <= space.max_layers
    back = Genome.from_json(ind.to_json())
    assert back == ind and back.key() == ind.key() and back.to_json() == ind.to_json()
    for gene in ind:
        name = dataclasses.fields(gene)[0].name
        with pytest.raises(dataclasses.FrozenInstanceError):
            setattr(gene, name, getattr(gene, name))


def global_rng_state():
    return random.getstate(), np.random.get_state()[1].tobytes()


contract_cases = st.tuples(spaces(), seeds, st.booleans(), st.booleans(), st.sampled_from([None, 0.5, -3.25]))


# -- crossover ---------------------------------------------------------------------------
@pytest.mark.parametrize("name, cx", CROSSOVER_ITEMS, ids=cx_ids)
@SETTINGS
@given(case=contract_cases)
def test_crossover_contract(name, cx, case):
    space, seed, wide, as_ind, fitness = case
    a, b = parents(space, seed, wide, as_ind, fitness)
    cls = type(a)
    fit_before = (a.fitness.valid, a.fitness.values, b.fitness.valid, b.fitness.values) if as_ind else None
    global_before = global_rng_state()

    out = cx(a, b, space=space, rng=np.random.default_rng(seed))

    assert isinstance(out, tuple) and len(out) == 2
    assert out[0] is a and out[1] is b
    for child in out:
        assert_valid_output(child, space, cls)
    if as_ind:
        assert (a.fitness.valid, a.fitness.values, b.fitness.valid, b.fitness.values) == fit_before
    assert global_rng_state() == global_before  # randomness only from rng

    # reproducible: same parents + same seed => identical children
    a2, b2 = parents(space, seed, wide, as_ind, fitness)
    cx(a2, b2, space=space, rng=np.random.default_rng(seed))
    assert (snapshot(a2), snapshot(b2)) == (snapshot(a), snapshot(b))


@pytest.mark.parametrize("name, cx", CROSSOVER_ITEMS, ids=cx_ids)
@SETTINGS
@given(space=spaces(narrowed=False), seed=seeds)
def test_crossover_children_do_not_share_editable_state(name, cx, space, seed):
    a, b = sample(space, seed, cls=creator.Individual, n=2)
    cx(a, b, space=space, rng=np.random.default_rng(seed))
    before_b = snapshot(b)
    # edit child 1 every way an operator or a user could
    for mutate in ("structural", "hyperparameter"):
        MUTATIONS.get(mutate)(a, space=space, rng=np.random.default_rng(seed), indpb=1.0)
    a.hyperparameters[next(iter(a.hyperparameters))] = "changed"
    a.hyperparameters["extra"] = 1
    a[0] = space.sample_layer(space.kinds[0], np.random.default_rng(seed + 1))
    a.reverse()
    assert snapshot(b) == before_b
    assert a.hyperparameters is not b.hyperparameters


@pytest.mark.parametrize("name, cx", CROSSOVER_ITEMS, ids=cx_ids)
def test_crossover_depends_on_the_seed(name, cx):
    space = SearchSpace(family="cnn+rnn")
    outputs = set()
    for seed in range(8):
        a, b = sample(space, 123, n=2)
        cx(a, b, space=space, rng=np.random.default_rng(seed))
        outputs.add((a.key(), b.key()))
    assert len(outputs) > 1


# -- mutation ----------------------------------------------------------------------------
@pytest.mark.parametrize("name, mut", MUTATION_ITEMS, ids=mut_ids)
@SETTINGS
@given(case=contract_cases)
def test_mutation_contract(name, mut, case):
    space, seed, wide, as_ind, fitness = case
    a, other = parents(space, seed, wide, as_ind, fitness)
    cls = type(a)
    fit_before = (a.fitness.valid, a.fitness.values) if as_ind else None
    global_before = global_rng_state()
    original_genes = list(a)
    original_json = [g for g in map(repr, original_genes)]

    out = mut(a, space=space, rng=np.random.default_rng(seed))

    assert isinstance(out, tuple) and len(out) == 1 and out[0] is a
    assert_valid_output(a, space, cls)
    if as_ind:
        assert (a.fitness.valid, a.fitness.values) == fit_before
    assert global_rng_state() == global_before
    assert list(map(repr, original_genes)) == original_json  # genes replaced, never edited

    a2, _ = parents(space, seed, wide, as_ind, fitness)
    mut(a2, space=space, rng=np.random.default_rng(seed))
    assert snapshot(a2) == snapshot(a)


@pytest.mark.parametrize("name, mut", MUTATION_ITEMS, ids=mut_ids)
def test_mutation_does_not_affect_a_genome_sharing_its_genes(name, mut):
    space = SearchSpace(family="cnn+rnn")
    for seed in range(20):
        a = sample(space, seed)[0]
        twin = copy.copy(a)  # shallow: shares every gene object and the hyperparameter dict
        twin_json = a.to_json()
        clone = Genome(list(a), dict(a.hyperparameters), a.family)
        mut(clone, space=space, rng=np.random.default_rng(seed))
        assert a.to_json() == twin_json and twin.to_json() == twin_json


@pytest.mark.parametrize("name, mut", MUTATION_ITEMS, ids=mut_ids)
def test_mutation_changes_something_for_some_seed(name, mut):
    space = SearchSpace(family="cnn+rnn")
    changed = 0
    for seed in range(30):
        a = sample(space, seed)[0]
        before = a.key()
        kwargs = {"indpb": 0.5} if name in ("hyperparameter", "structural", "split") else {}
        mut(a, space=space, rng=np.random.default_rng(seed), **kwargs)
        changed += a.key() != before
    assert changed >= 10


# -- pickling and spawn pools -----------------------------------------------------------------
@pytest.mark.parametrize("name, op", CROSSOVER_ITEMS + MUTATION_ITEMS, ids=cx_ids + mut_ids)
def test_bound_operators_pickle(name, op):
    space = SearchSpace(family="cnn+rnn")
    rng = np.random.default_rng(3)
    bound = functools.partial(op, space=space, rng=rng)
    back = pickle.loads(pickle.dumps(bound))
    genomes = sample(space, 9, n=2)
    twins = [Genome.from_json(g.to_json()) for g in genomes]
    args = genomes if name in cx_ids else genomes[:1]
    twin_args = twins if name in cx_ids else twins[:1]
    bound(*args)
    back(*twin_args)
    assert [g.to_json() for g in args] == [g.to_json() for g in twin_args]


@pytest.mark.parametrize("name, sel", SELECTION_ITEMS, ids=sel_ids)
def test_bound_selections_pickle(name, sel):
    bound = functools.partial(sel, rng=np.random.default_rng(0))
    assert pickle.loads(pickle.dumps(bound)).func is sel


def test_operators_run_in_a_spawn_pool():
    """Every registered crossover and mutation, bound to a space and an rng, runs in spawned
    workers on plain genomes and gives the same result as in this process."""
    space = SearchSpace(family="cnn+rnn")
    jobs, expected = [], []
    for name, op in CROSSOVER_ITEMS + MUTATION_ITEMS:
        bound = functools.partial(op, space=space, rng=np.random.default_rng(17))
        genomes = sample(space, 5, n=2 if name in cx_ids else 1)
        jobs.append((bound, [Genome.from_json(g.to_json()) for g in genomes]))
        expected.append([g.to_json() for g in functools.partial(op, space=space, rng=np.random.default_rng(17))(*genomes)])
    with multiprocessing.get_context("spawn").Pool(2) as pool:
        results = pool.starmap(_apply, jobs)
    assert results == expected


def _apply(bound, genomes):
    out = bound(*genomes)
    assert all(type(g) is Genome for g in out)
    return [g.to_json() for g in out]


# -- selection ---------------------------------------------------------------------------------
def evaluated_population(seed: int, n: int, multi: bool):
    rng = np.random.default_rng(seed)
    space = SearchSpace()
    cls = creator.IndividualMulti if multi else creator.Individual
    pop = []
    for i in range(n):
        ind = space.sample_genome(rng, birth=int(rng.integers(0, 5)), cls=cls)
        values = tuple(float(v) for v in rng.normal(size=3 if multi else 1).round(2))
        ind.fitness.values = values
        pop.append(ind)
    return pop


@pytest.mark.parametrize("name, sel", SELECTION_ITEMS, ids=sel_ids)
@SETTINGS
@given(seed=seeds, n=st.integers(1, 25), multi=st.booleans(), data=st.data())
def test_selection_contract(name, sel, seed, n, multi, data):
    k = data.draw(st.integers(1, n))
    pop = evaluated_population(seed, n, multi)
    before = [(snapshot(p), p.fitness.values) for p in pop]
    ids = {id(p) for p in pop}
    global_before = global_rng_state()

    chosen = sel(pop, k, rng=np.random.default_rng(seed))

    assert isinstance(chosen, list) and len(chosen) == k
    assert all(id(c) in ids for c in chosen)  # references taken from the input, not copies
    assert [(snapshot(p), p.fitness.values) for p in pop] == before  # nothing touched
    assert global_rng_state() == global_before
    again = sel(evaluated_population(seed, n, multi), k, rng=np.random.default_rng(seed))
    assert [c.key() for c in again] == [c.key() for c in chosen]


@pytest.mark.parametrize("name, sel", SELECTION_ITEMS, ids=sel_ids)
def test_selection_prefers_the_better_individual(name, sel):
    pop = evaluated_population(0, 10, multi=False)
    for i, p in enumerate(pop):
        p.fitness.values = (float(i),)
        p.birth = 0
    chosen = sel(pop, 200 if name in ("boltzmann", "tournament") else 5, rng=np.random.default_rng(1))
    top_half = sum(c in pop[5:] for c in chosen)
    assert top_half > len(chosen) / 2


def test_nsga2_selects_three_objective_individuals():
    pop = evaluated_population(4, 12, multi=True)
    assert type(pop[0]) is creator.IndividualMulti and len(pop[0].fitness.values) == 3
    chosen = SELECTIONS.get("nsga2")(pop, 6)
    assert len(chosen) == 6 and len({id(c) for c in chosen}) == 6
    from deap.tools import sortNondominated

    first_front = sortNondominated(pop, len(pop), first_front_only=True)[0]
    assert 1 <= len(first_front) <= 6
    assert all(any(c is f for c in chosen) for f in first_front)  # the Pareto front survives
