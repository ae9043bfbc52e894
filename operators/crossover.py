"""Crossover of variable-length genomes (cut-and-splice) with hyperparameter recombination.

Every operator follows DEAP's convention ``(ind1, ind2) -> (ind1, ind2)``, changes both
parents in place, draws all randomness from ``rng`` and never touches fitness. Cut
points are drawn *independently* in each parent, so offspring lengths change in both
directions; the children are then repaired to the family's order and length bounds.

The pure cores take the cut points as arguments and are tested exactly:

* :func:`cut_and_splice` — one point: ``a[:i] + b[j:]`` and ``b[:j] + a[i:]``;
* :func:`two_point_splice` — ``a[:i1] + b[j1:j2] + a[i2:]`` and ``b[:j1] + a[i1:i2] + b[j2:]``;
* :func:`uniform_swap` — position ``k < min(len)`` swapped where ``mask[k]``; the longer
  parent's tail moves to the other child when ``swap_tail``.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

from evodeap.genome.genome import Genome
from evodeap.genome.space import Choice, SearchSpace
from evodeap.operators.registry import CROSSOVERS
from evodeap.operators.repair import repair


# -- pure cores -----------------------------------------------------------------------
def cut_and_splice(a: Sequence, b: Sequence, i: int, j: int) -> tuple[list, list]:
    """One-point cut-and-splice: ``(a[:i] + b[j:], b[:j] + a[i:])``."""
    return list(a[:i]) + list(b[j:]), list(b[:j]) + list(a[i:])


def two_point_splice(
    a: Sequence, b: Sequence, cuts_a: tuple[int, int], cuts_b: tuple[int, int]
) -> tuple[list, list]:
    """Exchange the middle segments ``a[i1:i2]`` and ``b[j1:j2]``."""
    (i1, i2), (j1, j2) = cuts_a, cuts_b
    return (
        list(a[:i1]) + list(b[j1:j2]) + list(a[i2:]),
        list(b[:j1]) + list(a[i1:i2]) + list(b[j2:]),
    )


def uniform_swap(a: Sequence, b: Sequence, mask: Sequence[bool], swap_tail: bool) -> tuple[list, list]:
    """Swap aligned positions where ``mask`` is true; optionally swap the unaligned tail."""
    n = min(len(a), len(b))
    c1 = [b[k] if mask[k] else a[k] for k in range(n)]
    c2 = [a[k] if mask[k] else b[k] for k in range(n)]
    tail_a, tail_b = list(a[n:]), list(b[n:])
    if swap_tail:
        tail_a, tail_b = tail_b, tail_a
    return c1 + tail_a, c2 + tail_b


def blend_values(u1: float, u2: float, alpha: float, r1: float, r2: float) -> tuple[float, float]:
    """BLX-α in the unit interval: children uniform in ``[lo − α·d, hi + α·d]`` (clipped).

    ``d = |u1 − u2|``; ``r1, r2`` are the uniform draws in [0, 1).
    """
    lo, hi = min(u1, u2), max(u1, u2)
    d = hi - lo
    left, right = lo - alpha * d, hi + alpha * d
    return (
        min(1.0, max(0.0, left + r1 * (right - left))),
        min(1.0, max(0.0, left + r2 * (right - left))),
    )


# -- hyperparameter recombination ------------------------------------------------------
def recombine_hyperparameters(
    ind1: Genome, ind2: Genome, space: SearchSpace, rng: np.random.Generator,
    method: str = "uniform", alpha: float = 0.5,
) -> None:
    """Recombine hyperparameter genes in place.

    ``uniform``: each gene is swapped with probability 1/2. ``blend``: real and integer
    genes get BLX-α children in unit (log for log genes) space; choices are swapped
    with probability 1/2.
    """
    if method not in ("uniform", "blend"):
        raise ValueError(f"hyperparameter recombination must be 'uniform' or 'blend', got {method!r}")
    h1, h2 = dict(ind1.hyperparameters), dict(ind2.hyperparameters)
    for name, dom in space.hyperparameters.items():
        if name not in h1 or name not in h2:
            continue
        if method == "blend" and not isinstance(dom, Choice):
            u1, u2 = blend_values(dom.to_unit(h1[name]), dom.to_unit(h2[name]), alpha, rng.random(), rng.random())
            h1[name], h2[name] = dom.from_unit(u1), dom.from_unit(u2)
        elif rng.random() < 0.5:
            h1[name], h2[name] = h2[name], h1[name]
    ind1.hyperparameters, ind2.hyperparameters = h1, h2


def _finish(ind1: Genome, ind2: Genome, c1: list, c2: list, space: SearchSpace,
            rng: np.random.Generator, hyperparameters: str, alpha: float) -> tuple[Genome, Genome]:
    ind1[:], ind2[:] = c1, c2
    recombine_hyperparameters(ind1, ind2, space, rng, hyperparameters, alpha)
    repair(ind1, space, rng)
    repair(ind2, space, rng)
    return ind1, ind2


def _inner_cut(rng: np.random.Generator, n: int) -> int:
    """A cut point strictly inside a list of length n (or 0..n when n < 2)."""
    return int(rng.integers(1, n)) if n >= 2 else int(rng.integers(0, n + 1))


# -- operators --------------------------------------------------------------------------
@CROSSOVERS.register("one_point")
def cx_one_point(
    ind1: Genome, ind2: Genome, *, space: SearchSpace, rng: np.random.Generator,
    hyperparameters: str = "uniform", alpha: float = 0.5,
) -> tuple[Genome, Genome]:
    """One-point cut-and-splice: cut ``i`` in parent 1 and ``j`` in parent 2, independently."""
    c1, c2 = cut_and_splice(ind1, ind2, _inner_cut(rng, len(ind1)), _inner_cut(rng, len(ind2)))
    return _finish(ind1, ind2, c1, c2, space, rng, hyperparameters, alpha)


@CROSSOVERS.register("two_point")
def cx_two_point(
    ind1: Genome, ind2: Genome, *, space: SearchSpace, rng: np.random.Generator,
    hyperparameters: str = "uniform", alpha: float = 0.5,
) -> tuple[Genome, Genome]:
    """Two-point: exchange a random segment of parent 1 with a random segment of parent 2."""
    cuts_a = tuple(sorted(int(c) for c in rng.integers(0, len(ind1) + 1, size=2)))
    cuts_b = tuple(sorted(int(c) for c in rng.integers(0, len(ind2) + 1, size=2)))
    c1, c2 = two_point_splice(ind1, ind2, cuts_a, cuts_b)
    return _finish(ind1, ind2, c1, c2, space, rng, hyperparameters, alpha)


@CROSSOVERS.register("uniform")
def cx_uniform(
    ind1: Genome, ind2: Genome, *, space: SearchSpace, rng: np.random.Generator,
    indpb: float = 0.5, hyperparameters: str = "uniform", alpha: float = 0.5,
) -> tuple[Genome, Genome]:
    """Uniform: swap each aligned layer with probability ``indpb``; swap tails with probability 1/2."""
    mask = rng.random(min(len(ind1), len(ind2))) < indpb
    c1, c2 = uniform_swap(ind1, ind2, mask, bool(rng.random() < 0.5))
    return _finish(ind1, ind2, c1, c2, space, rng, hyperparameters, alpha)
