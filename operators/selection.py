"""Selection operators, DEAP convention ``(individuals, k) -> list`` (references, not copies).

Fitness is read from ``ind.fitness.wvalues`` (DEAP's weighted values), so "higher is
better" holds for maximisation and minimisation alike.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np
from deap import tools

from evodeap.operators.registry import SELECTIONS


def _primary_fitness(individuals: Sequence) -> np.ndarray:
    values = []
    for ind in individuals:
        if not ind.fitness.valid:
            raise ValueError("selection needs evaluated individuals (found an invalid fitness)")
        values.append(ind.fitness.wvalues[0])
    return np.asarray(values, dtype=float)


def boltzmann_probabilities(fitness: Sequence[float], beta: float) -> np.ndarray:
    """Boltzmann (softmax) selection probabilities.

    ``p_i = exp(β f_i) / Σ_j exp(β f_j)``, computed as ``exp(β (f_i − f_max))`` so it
    never overflows; β = 0 gives the uniform distribution, negative fitness is fine,
    and β → ∞ approaches selecting the best.
    """
    f = np.asarray(fitness, dtype=float)
    if f.size == 0:
        raise ValueError("cannot select from an empty population")
    if not np.all(np.isfinite(f)):
        raise ValueError("Boltzmann selection needs finite fitness values")
    if np.isinf(beta):  # the limit: uniform over the best (β = +∞) or the worst (β = −∞)
        mask = f == (f.max() if beta > 0 else f.min())
        return mask / mask.sum()
    z = beta * (f - f.max()) if beta >= 0 else beta * (f - f.min())
    weights = np.exp(z)
    return weights / weights.sum()


@SELECTIONS.register("boltzmann")
def sel_boltzmann(individuals: Sequence, k: int, *, rng: np.random.Generator, beta: float = 1.0) -> list:
    """Draw ``k`` individuals with replacement with the Boltzmann probabilities (β = pressure)."""
    p = boltzmann_probabilities(_primary_fitness(individuals), beta)
    return [individuals[int(i)] for i in rng.choice(len(individuals), size=k, p=p)]


@SELECTIONS.register("tournament")
def sel_tournament(individuals: Sequence, k: int, *, rng: np.random.Generator, tournsize: int = 3) -> list:
    """``k`` tournaments of ``tournsize`` contestants drawn with replacement; the best of each wins."""
    f = _primary_fitness(individuals)
    chosen = []
    for _ in range(k):
        contestants = rng.integers(len(individuals), size=tournsize)
        chosen.append(individuals[int(contestants[np.argmax(f[contestants])])])
    return chosen


@SELECTIONS.register("best")
def sel_best(individuals: Sequence, k: int, *, rng: np.random.Generator | None = None) -> list:
    """Truncation: the ``k`` best (ties keep population order)."""
    f = _primary_fitness(individuals)
    order = np.argsort(-f, kind="stable")
    return [individuals[int(i)] for i in order[:k]]


@SELECTIONS.register("aging")
def sel_aging(individuals: Sequence, k: int, *, rng: np.random.Generator | None = None) -> list:
    """Regularized-evolution replacement: remove the oldest, keep the ``k`` youngest.

    Age is read from ``ind.birth`` (the generation the genome was created in); among
    equally old individuals the fitter survive. Use it as the survival step
    (``survival="aging"``) with tournament parent selection to get regularized evolution.
    """
    f = _primary_fitness(individuals)
    order = sorted(range(len(individuals)), key=lambda i: (-individuals[i].birth, -f[i], i))
    return [individuals[i] for i in order[:k]]


@SELECTIONS.register("nsga2")
def sel_nsga2(individuals: Sequence, k: int, *, rng: np.random.Generator | None = None,
              nd: str = "standard") -> list:
    """DEAP's NSGA-II (non-dominated sorting + crowding distance) for multi-objective fitness."""
    return tools.selNSGA2(list(individuals), k, nd=nd)
