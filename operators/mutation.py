"""Mutation, split as in the paper into hyperparameter and structural mutation.

Every operator follows DEAP's convention ``(ind) -> (ind,)``, changes the individual in
place, draws from ``rng`` and never touches fitness. Genes are immutable: a changed layer
gene is *replaced* (``dataclasses.replace``), never edited.

Numeric genes move by a Gaussian step in unit space (log space for log genes)::

    u' = reflect(u + σ·z),  z ~ N(0, 1),  reflect folds u' back into [0, 1]

An integer gene that the step leaves unchanged moves one step in the direction of ``z``,
so "mutated" always means "changed". A choice gene is resampled among the *other*
options. ``indpb`` is the per-gene mutation rate μ (1–5 % is typical); the engine
rebinds it every generation from the schedule ``μ(t) = μ0·e^(−λt)``.
"""
from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from evodeap.genome.genome import Genome
from evodeap.kinds.api import kind_of
from evodeap.genome.space import Choice, Domain, Integer, SearchSpace
from evodeap.operators.registry import MUTATIONS
from evodeap.operators.repair import addable_kinds, insert_layer, removable_positions, repair


# -- pure cores -----------------------------------------------------------------------
def reflect_unit(u: float) -> float:
    """Fold ``u`` into [0, 1] by reflection at both ends (a triangle wave of period 2)."""
    u = abs(u) % 2.0
    return 2.0 - u if u > 1.0 else u


def gaussian_step(domain: Domain, value: Any, z: float, sigma: float) -> Any:
    """The value after a Gaussian step ``σ·z`` in the domain's unit space.

    For an :class:`Integer` domain with more than one value the result always differs
    from ``value`` (a step that rounds back moves one unit in the direction of ``z``).
    """
    new = domain.from_unit(reflect_unit(domain.to_unit(value) + sigma * z))
    if isinstance(domain, Integer) and new == value and domain.size > 1:
        direction = 1 if z >= 0 else -1
        new = value + direction
        if not domain.low <= new <= domain.high:
            new = value - direction
    return new


def resample_other(domain: Choice, value: Any, index: int) -> Any:
    """Option number ``index`` among the options other than ``value``."""
    others = [o for o in domain.options if not (type(o) is type(value) and o == value)]
    return others[index % len(others)] if others else value


def mutate_value(domain: Domain, value: Any, rng: np.random.Generator, sigma: float) -> Any:
    """Draw and apply one mutation of a gene value."""
    if isinstance(domain, Choice):
        return resample_other(domain, value, int(rng.integers(max(1, domain.size - 1))))
    return gaussian_step(domain, value, float(rng.standard_normal()), sigma)


def mutate_field(gene: Any, field: str, domain: Domain, rng: np.random.Generator, sigma: float) -> Any:
    """The mutated value of one field of a layer gene: the kind's own ``mutate`` if it has
    one (and does not return ``NotImplemented``), else :func:`mutate_value`."""
    own = getattr(gene, "mutate", None)
    if callable(own):
        value = own(field, domain, rng, sigma)
        if value is not NotImplemented:
            return value
    return mutate_value(domain, getattr(gene, field), rng, sigma)


def _mutate_layer_fields(gene, domains: dict[str, Domain], fields, rng, sigma):
    changes = {f: mutate_field(gene, f, domains[f], rng, sigma) for f in fields}
    return dataclasses.replace(gene, **changes) if changes else gene


# -- hyperparameter mutation ---------------------------------------------------------
@MUTATIONS.register("hyperparameter")
def mut_hyperparameters(
    ind: Genome, *, space: SearchSpace, rng: np.random.Generator, indpb: float = 0.05, sigma: float = 0.15,
) -> tuple[Genome]:
    """Mutate each hyperparameter gene independently with probability ``indpb``."""
    hyper = dict(ind.hyperparameters)
    for name, dom in space.hyperparameters.items():
        if rng.random() < indpb and name in hyper:  # a missing gene is filled in by repair
            hyper[name] = mutate_value(dom, hyper[name], rng, sigma)
    ind.hyperparameters = hyper
    repair(ind, space, rng)
    return (ind,)


# -- single structural moves ---------------------------------------------------------
@MUTATIONS.register("add_layer")
def mut_add_layer(ind: Genome, *, space: SearchSpace, rng: np.random.Generator) -> tuple[Genome]:
    """Insert a random layer of a random allowed kind at a random valid position (if room).

    Allowed: the space's kinds, less an at-most-once kind (``frame_pool``, ``time_pool``)
    the genome already holds."""
    kinds = addable_kinds(ind, space)
    if len(ind) < space.max_layers and kinds:
        gene = space.sample_layer(kinds[int(rng.integers(len(kinds)))], rng)
        ind[:] = insert_layer(list(ind), gene, rng, space)
    return (repair(ind, space, rng),)


@MUTATIONS.register("remove_layer")
def mut_remove_layer(ind: Genome, *, space: SearchSpace, rng: np.random.Generator) -> tuple[Genome]:
    """Remove a random layer, keeping the length bound and one layer of each required kind."""
    positions = removable_positions(list(ind), space)
    if len(ind) > space.min_layers and positions:
        del ind[int(rng.choice(positions))]
    return (repair(ind, space, rng),)


def _change_field(ind, space, rng, role: str, sigma: float) -> tuple[Genome]:
    """Mutate one field playing ``role`` (see :data:`evodeap.kinds.api.DEFAULT_ROLES`) in one
    random layer that has such a field."""
    candidates = [(i, f) for i, g in enumerate(ind) for f in kind_of(g).fields_for(role)
                  if f in space.layers[g.kind]]
    if candidates:
        i, f = candidates[int(rng.integers(len(candidates)))]
        ind[i] = _mutate_layer_fields(ind[i], space.layers[ind[i].kind], (f,), rng, sigma)
    return (repair(ind, space, rng),)


@MUTATIONS.register("change_units")
def mut_change_units(
    ind: Genome, *, space: SearchSpace, rng: np.random.Generator, sigma: float = 0.15
) -> tuple[Genome]:
    """Gaussian step on the width (units, filters: the ``width`` role) of one random layer."""
    return _change_field(ind, space, rng, "width", sigma)


@MUTATIONS.register("change_activation")
def mut_change_activation(ind: Genome, *, space: SearchSpace, rng: np.random.Generator) -> tuple[Genome]:
    """Resample the activation (the ``activation`` role) of one random layer."""
    return _change_field(ind, space, rng, "activation", 0.0)


@MUTATIONS.register("change_kernel")
def mut_change_kernel(ind: Genome, *, space: SearchSpace, rng: np.random.Generator) -> tuple[Genome]:
    """Resample the kernel size or the pooling (the ``kernel`` role) of one random
    convolution (or residual) block."""
    return _change_field(ind, space, rng, "kernel", 0.0)


# -- structural mutation ---------------------------------------------------------------
@MUTATIONS.register("structural")
def mut_structure(
    ind: Genome, *, space: SearchSpace, rng: np.random.Generator, indpb: float = 0.05,
    add_prob: float = 0.1, remove_prob: float = 0.1, sigma: float = 0.15,
) -> tuple[Genome]:
    """Structural mutation.

    Each field of each layer (units/filters, activation, kernel, pooling, rate ...) mutates
    with probability ``indpb`` (by the kind's own ``mutate`` when it has one, see
    :func:`mutate_field`); then a layer is added with probability ``add_prob`` and one
    removed with probability ``remove_prob``.
    """
    for i, gene in enumerate(list(ind)):
        domains = space.layers[gene.kind]
        chosen = [f for f in domains if rng.random() < indpb]
        ind[i] = _mutate_layer_fields(gene, domains, chosen, rng, sigma)
    if rng.random() < add_prob:
        mut_add_layer(ind, space=space, rng=rng)
    if rng.random() < remove_prob:
        mut_remove_layer(ind, space=space, rng=rng)
    return (repair(ind, space, rng),)


@MUTATIONS.register("split")
def mut_split(
    ind: Genome, *, space: SearchSpace, rng: np.random.Generator, indpb: float = 0.05,
    hyperparameter_prob: float = 1.0, structural_prob: float = 1.0,
    add_prob: float = 0.1, remove_prob: float = 0.1, sigma: float = 0.15,
) -> tuple[Genome]:
    """The paper's combined mutation: hyperparameter mutation with probability
    ``hyperparameter_prob``, then structural mutation with probability ``structural_prob``,
    each with per-gene rate ``indpb``."""
    if rng.random() < hyperparameter_prob:
        mut_hyperparameters(ind, space=space, rng=rng, indpb=indpb, sigma=sigma)
    if rng.random() < structural_prob:
        mut_structure(ind, space=space, rng=rng, indpb=indpb, add_prob=add_prob,
                      remove_prob=remove_prob, sigma=sigma)
    return (ind,)


# -- one gene per child ------------------------------------------------------------------
@MUTATIONS.register("one_gene")
def mut_one_gene(
    ind: Genome, *, space: SearchSpace, rng: np.random.Generator, sigma: float = 0.2,
) -> tuple[Genome]:
    """Change exactly one gene ("Mutation is all you need", Schneider et al. 2021; the
    mutation of regularized evolution, Real et al. 2019).

    The move is drawn uniformly among: each hyperparameter gene with more than one value,
    each field with more than one value of each layer, adding a layer (when the genome is
    shorter than ``max_layers`` and a kind may be added) and removing one (when longer than
    ``min_layers`` and a layer may go). The chosen gene changes by :func:`mutate_value`
    (numbers: a Gaussian step of ``sigma`` in unit space; choices: another option), so every
    child differs from its parent unless the space holds one genome.
    """
    moves: list[tuple[str, Any]] = [("hyper", name) for name, dom in space.hyperparameters.items()
                                    if dom.size > 1 and name in ind.hyperparameters]
    for i, gene in enumerate(ind):
        moves += [("field", (i, f)) for f, dom in space.layers.get(gene.kind, {}).items() if dom.size > 1]
    if len(ind) < space.max_layers and addable_kinds(ind, space):
        moves.append(("add", None))
    if len(ind) > space.min_layers and removable_positions(list(ind), space):
        moves.append(("remove", None))
    if not moves:
        return (repair(ind, space, rng),)
    move, where = moves[int(rng.integers(len(moves)))]
    if move == "hyper":
        ind.hyperparameters = {**ind.hyperparameters,
                               where: mutate_value(space.hyperparameters[where], ind.hyperparameters[where], rng, sigma)}
    elif move == "field":
        i, f = where
        ind[i] = _mutate_layer_fields(ind[i], space.layers[ind[i].kind], (f,), rng, sigma)
    elif move == "add":
        return mut_add_layer(ind, space=space, rng=rng)
    else:
        return mut_remove_layer(ind, space=space, rng=rng)
    return (repair(ind, space, rng),)
