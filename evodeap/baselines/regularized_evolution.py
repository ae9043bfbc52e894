"""Regularized (aging) evolution, as published by Real et al. (2019), over evodeap's own space.

Real, Aggarwal, Huang, Le, *Regularized Evolution for Image Classifier Architecture Search*,
AAAI 2019, Algorithm 1::

    population ← P random genomes, evaluated (the first P evaluations), a queue
    while budget left:
        sample ← S draws from population, uniformly, *with* replacement
        parent ← the highest-fitness genome in sample
        child  ← mutate(parent): exactly one gene changed
        evaluate child; push child to the right of population
        remove the leftmost (oldest) genome of population

so after ``n ≥ P`` evaluations the population is exactly the last ``P`` genomes evaluated:
age, not fitness, removes a genome. The mutation (:func:`mutate_one_gene`) picks a move
uniformly among the ones that can change this genome (as Real et al. pick uniformly among
their mutation types), then a gene uniformly within the move, and changes it — never to its
old value — with evodeap's own operator cores (:mod:`evodeap.operators.mutation`):

* ``hyperparameter``: one hyperparameter gene gets a new value (``mutate_value``: a Gaussian
  step ``σ`` in unit space for numbers, another option for a choice);
* ``layer_field``: one field of one layer gene gets a new value (the layer gene is replaced);
* ``add_layer``: one new random layer gene, inserted at a position that keeps the stage
  order (:func:`insert_in_order`);
* ``remove_layer``: one removable layer gene removed.

:func:`evodeap.operators.repair.repair` then guarantees a valid genome in the space (for these
moves it changes nothing: each one keeps the genome valid by construction).
"""
from __future__ import annotations

import dataclasses
from collections import deque
from typing import Any

import numpy as np

from evodeap.baselines.common import BudgetedEvaluator, OnEvaluation, method_rng
from evodeap.evaluation.evaluator import EvaluationRecord
from evodeap.errors import ConfigError
from evodeap.genome.genome import Genome
from evodeap.genome.space import SearchSpace

#: The moves of :func:`mutate_one_gene`, in the order they are offered.
MOVES = ("hyperparameter", "layer_field", "add_layer", "remove_layer")


def possible_moves(genome: Genome, space: SearchSpace) -> dict[str, list]:
    """The moves that can change ``genome``, each with its candidate genes (only non-empty ones).

    ``hyperparameter``: names whose domain has more than one value; ``layer_field``:
    ``(position, field)`` pairs likewise; ``add_layer``: the kinds that may be added (below
    ``max_layers``); ``remove_layer``: the positions that may be removed (above ``min_layers``).
    """
    from evodeap.operators.repair import addable_kinds, removable_positions

    moves = {
        "hyperparameter": [n for n, d in space.hyperparameters.items() if d.size > 1 and n in genome.hyperparameters],
        "layer_field": [(i, f) for i, gene in enumerate(genome)
                        for f, d in space.layers.get(gene.kind, {}).items() if d.size > 1],
        "add_layer": addable_kinds(list(genome), space) if len(genome) < space.max_layers else [],
        "remove_layer": removable_positions(list(genome), space) if len(genome) > space.min_layers else [],
    }
    return {move: candidates for move, candidates in moves.items() if candidates}


def _changed_value(draw: Any, old: Any, tries: int = 1000) -> Any:
    """``draw()`` until it differs from ``old`` (a numeric step can round back onto it)."""
    for _ in range(tries):
        new = draw()
        if not (type(new) is type(old) and new == old):
            return new
    raise RuntimeError(f"no mutation changed the value {old!r}")


def insert_in_order(layers: list, gene: Any, rng: np.random.Generator, space: SearchSpace) -> list:
    """``layers`` with ``gene`` inserted at a position drawn uniformly among those that keep the
    family's stage order as it is (so no other layer moves relative to the rest)."""
    from evodeap.genome.space import order_layers

    family = space.family_rules
    options = [p for p in range(len(layers) + 1)
               if order_layers(layers[:p] + [gene] + layers[p:], family) == layers[:p] + [gene] + layers[p:]]
    if not options:  # no slot keeps the order (never for a valid genome): insert and restore the order
        from evodeap.operators.repair import insert_layer

        return insert_layer(layers, gene, rng, space)
    position = options[int(rng.integers(len(options)))]
    return layers[:position] + [gene] + layers[position:]


def mutate_one_gene(parent: Genome, space: SearchSpace, rng: np.random.Generator,
                    sigma: float = 0.2) -> tuple[Genome, str]:
    """A copy of ``parent`` with exactly one gene changed, and the move that changed it.

    Args:
        parent: a valid genome of ``space`` (left untouched).
        space: the search space.
        rng: the random stream (move, gene and new value).
        sigma: the Gaussian step in unit space for numeric genes.

    Returns:
        ``(child, move)`` with ``move`` one of :data:`MOVES`.

    Raises:
        ConfigError: no gene of ``parent`` can change (every domain a single value and the
            layer count fixed).
    """
    from evodeap.operators.mutation import mutate_field, mutate_value
    from evodeap.operators.repair import repair

    moves = possible_moves(parent, space)
    if not moves:
        raise ConfigError("regularized evolution needs a space in which some gene can change")
    move = list(moves)[int(rng.integers(len(moves)))]
    candidates = moves[move]
    pick = candidates[int(rng.integers(len(candidates)))]
    layers, hyper = list(parent), dict(parent.hyperparameters)
    if move == "hyperparameter":
        domain = space.hyperparameters[pick]
        hyper[pick] = _changed_value(lambda: mutate_value(domain, hyper[pick], rng, sigma), hyper[pick])
    elif move == "layer_field":
        position, field = pick
        gene = layers[position]
        domain = space.layers[gene.kind][field]
        value = _changed_value(lambda: mutate_field(gene, field, domain, rng, sigma), getattr(gene, field))
        layers[position] = dataclasses.replace(gene, **{field: value})
    elif move == "add_layer":
        layers = insert_in_order(layers, space.sample_layer(pick, rng), rng, space)
    else:
        del layers[pick]
    child = Genome(layers, hyper, family=parent.family)
    return repair(child, space, rng), move


def tournament(population: deque, fitness_of: Any, sample_size: int, rng: np.random.Generator) -> tuple[int, list]:
    """Real et al.'s selection: ``sample_size`` uniform draws from ``population`` *with*
    replacement; the parent is the draw of highest ``fitness_of(member)`` (the earliest draw
    among ties). Returns ``(parent, sample)``."""
    sample = [population[int(rng.integers(len(population)))] for _ in range(sample_size)]
    return max(sample, key=fitness_of), sample


def regularized_evolution(space: SearchSpace, fitness: Any, budget: int, seed: int, *,
                          population_size: int = 100, sample_size: int = 25, sigma: float = 0.2,
                          on_evaluation: OnEvaluation | None = None,
                          compute_budget: float | None = None) -> list[EvaluationRecord]:
    """Regularized evolution (see the module docstring) for ``budget`` evaluations.

    Configured as published: ``P = 100``, ``S = 25`` (Real et al.'s large-scale setting), one
    mutation per child, no crossover. The initial population is ``P`` draws of
    ``space.sample_genome``. Each record's ``extra["regularized_evolution"]`` says how it came
    about: ``parent`` (the evaluation index of its parent, ``None`` for the initial population),
    ``sample`` (the evaluation indices of the tournament sample) and ``move``.

    Args:
        space, fitness, budget, seed, on_evaluation, compute_budget: as for
            :func:`~evodeap.baselines.random_search.random_search`.
        population_size: ``P``, the genomes alive at a time.
        sample_size: ``S``, the tournament's sample, ``1 <= S``.
        sigma: the Gaussian step in unit space of a numeric gene's mutation.

    Raises:
        ConfigError: ``P < 1``, ``S < 1`` or ``sigma <= 0``.
    """
    for name, value in (("population_size", population_size), ("sample_size", sample_size)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ConfigError(f"regularized evolution needs {name} >= 1, got {value!r}")
    if not sigma > 0:
        raise ConfigError(f"regularized evolution needs sigma > 0, got {sigma!r}")
    rng = method_rng(seed, "regularized_evolution")
    evaluate = BudgetedEvaluator(fitness, budget, seed, on_evaluation, compute_budget)
    population: deque[int] = deque()  # evaluation indices, oldest on the left
    while evaluate.left > 0 and len(population) < population_size:
        record = evaluate(space.sample_genome(rng), regularized_evolution={"parent": None, "sample": [], "move": None})
        population.append(record.index)
    records = evaluate.records
    while evaluate.left > 0:
        parent, sample = tournament(population, lambda i: records[i].result.fitness[0], sample_size, rng)
        child, move = mutate_one_gene(records[parent].genome, space, rng, sigma)
        record = evaluate(child, regularized_evolution={"parent": parent, "sample": sample, "move": move})
        population.append(record.index)
        population.popleft()  # aging: the oldest dies, whatever its fitness
    return evaluate.records
