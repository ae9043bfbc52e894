"""Repair: make any genome a valid member of a search space, in place.

Crossover and refinement can produce genomes that break the family's layer order,
the layer-count bounds, or a (narrowed) domain. :func:`repair` fixes all of it with the
smallest change it can, so every operator's output lies inside its space.
"""
from __future__ import annotations

import dataclasses

import numpy as np

from evodeap.genome.genome import Genome
from evodeap.genome.space import SearchSpace, order_layers


def clip_gene(gene, space: SearchSpace):
    """The gene with every field clipped into its domain (the same object if unchanged)."""
    domains = space.layers[gene.kind]
    changes = {}
    for name, dom in domains.items():
        value = getattr(gene, name)
        clipped = dom.clip(value)
        if not dom.contains(value) or clipped != value:
            changes[name] = clipped
    return dataclasses.replace(gene, **changes) if changes else gene


def insert_layer(layers: list, gene, rng: np.random.Generator, space: SearchSpace) -> list:
    """Insert ``gene`` at a random index, then restore the family's stage order."""
    position = int(rng.integers(0, len(layers) + 1))
    return order_layers(layers[:position] + [gene] + layers[position:], space.family_rules)


def removable_positions(layers: list, space: SearchSpace) -> list[int]:
    """Indices whose removal keeps at least one layer of every required kind."""
    counts: dict[str, int] = {}
    for g in layers:
        counts[g.kind] = counts.get(g.kind, 0) + 1
    required = set(space.family_rules.required)
    return [i for i, g in enumerate(layers) if g.kind not in required or counts[g.kind] > 1]


def addable_kinds(layers, space: SearchSpace) -> list[str]:
    """The space's kinds a new layer may have: all of :attr:`SearchSpace.kinds
    <evodeap.genome.space.SearchSpace.kinds>` but the at-most-once kinds ``layers`` already hold
    (in a space without such kinds, exactly ``space.kinds``)."""
    once = space.at_most_once
    if not once:
        return list(space.kinds)
    present = {g.kind for g in layers}
    return [k for k in space.kinds if k not in once or k not in present]


def first_of_once(layers, space: SearchSpace) -> list:
    """``layers`` without the repeats of an at-most-once kind (the first of each stays)."""
    once = space.at_most_once
    seen: set[str] = set()
    kept = []
    for gene in layers:
        if gene.kind in once:
            if gene.kind in seen:
                continue
            seen.add(gene.kind)
        kept.append(gene)
    return kept


def repair(genome: Genome, space: SearchSpace, rng: np.random.Generator) -> Genome:
    """Make ``genome`` valid for ``space``, in place, and return it.

    Steps: drop layers of kinds the space does not search (:attr:`SearchSpace.kinds
    <evodeap.genome.space.SearchSpace.kinds>`: the family's kinds, less optional kinds it has no
    domains for) and every repeat of an at-most-once kind (the first one stays); clip every
    field into its domain; restore stage order; add a random layer of each missing required
    kind; remove random removable layers while too long; add random layers (of kinds still
    allowed) while too short; make the hyperparameter names match the space (sample missing
    ones, drop extra ones) and clip their values.
    """
    fam = space.family_rules
    kinds = space.kinds
    layers = [clip_gene(g, space) for g in first_of_once(genome, space) if g.kind in kinds]
    layers = order_layers(layers, fam)
    for kind in fam.required:
        if not any(g.kind == kind for g in layers):
            if len(layers) >= space.max_layers:
                del layers[int(rng.choice(removable_positions(layers, space)))]
            layers = insert_layer(layers, space.sample_layer(kind, rng), rng, space)
    while len(layers) > space.max_layers:
        del layers[int(rng.choice(removable_positions(layers, space)))]
    while len(layers) < space.min_layers:
        allowed = addable_kinds(layers, space)
        if not allowed:
            break
        kind = allowed[int(rng.integers(len(allowed)))]
        layers = insert_layer(layers, space.sample_layer(kind, rng), rng, space)
    genome[:] = layers
    hyper = {}
    for name, dom in space.hyperparameters.items():
        hyper[name] = dom.clip(genome.hyperparameters[name]) if name in genome.hyperparameters else dom.sample(rng)
    genome.hyperparameters = hyper
    genome.family = space.family
    return genome
