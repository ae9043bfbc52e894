"""Selection operators, DEAP convention ``(individuals, k) -> list`` (references, not copies).

Fitness is read from ``ind.fitness.wvalues`` (DEAP's weighted values), so "higher is
better" holds for maximisation and minimisation alike.
"""
from __future__ import annotations

import math
import numbers
from typing import Any, Sequence

import numpy as np
from deap import tools

from evodeap.errors import ConfigError
from evodeap.operators.registry import SELECTIONS


def _primary_fitness(individuals: Sequence) -> np.ndarray:
    values = []
    for ind in individuals:
        if not ind.fitness.valid:
            raise ValueError("selection needs evaluated individuals (found an invalid fitness)")
        values.append(ind.fitness.wvalues[0])
    return np.asarray(values, dtype=float)


def check_beta(beta: Any) -> float:
    """β as a float; :class:`~evodeap.errors.ConfigError` unless it is a real number.

    ``±inf`` are allowed (the limits: select among the best or the worst); NaN, ``None``,
    booleans and strings are not.
    """
    if isinstance(beta, bool) or not isinstance(beta, numbers.Real) or math.isnan(beta):
        raise ConfigError(f"Boltzmann selection needs beta to be a real number (inf allowed), got {beta!r}")
    return float(beta)


def boltzmann_probabilities(fitness: Sequence[float], beta: float) -> np.ndarray:
    """Boltzmann (softmax) selection probabilities.

    ``p_i = exp(β f_i) / Σ_j exp(β f_j) = exp(β f_i − LSE_j(β f_j))`` (LSE = log-sum-exp),
    computed exactly and without overflow for any fitness values and any β:

    * β = 0 is the uniform distribution, whatever the fitness values (even ±1e308 or ±inf);
    * β < 0 uses ``p(f, β) = p(−f, −β)``, so only β > 0 remains;
    * ``z_i = β (f_i − f_max)`` is evaluated as ``2 β (f_i/2 − f_max/2)`` (the difference of
      halves cannot overflow) and ``p = e^z / Σ e^z``, whose largest term is ``e^0 = 1``;
    * limits: β = +∞, or ``f_max = +∞``, gives the uniform distribution over the maximal
      values; ``f_i = −∞`` has probability 0 (all ``−∞``: uniform).

    Negative fitness is fine. Raises ``ValueError`` for an empty population or NaN fitness
    and :class:`~evodeap.errors.ConfigError` for a β that is not a real number.
    """
    beta = check_beta(beta)
    f = np.asarray(fitness, dtype=float)
    if f.size == 0:
        raise ValueError("cannot select from an empty population")
    if np.isnan(f).any():
        raise ValueError("Boltzmann selection needs fitness values that are numbers (found NaN)")
    if beta == 0:
        return np.full(f.size, 1.0 / f.size)
    if beta < 0:
        f, beta = -f, -beta
    top = f.max()
    if math.isinf(beta) or math.isinf(top):
        mask = f == top
        return mask / mask.sum()
    with np.errstate(over="ignore"):  # an overflow to −inf is the exact limit: weight 0
        z = 2.0 * (beta * (f / 2 - top / 2))
    weights = np.exp(z)
    return weights / weights.sum()


#: β of Boltzmann selection when nothing sets it: the operator's default and the config's
#: (``ExperimentConfig.selection_params``) are this one number
DEFAULT_BETA = 5.0


@SELECTIONS.register("boltzmann")
def sel_boltzmann(individuals: Sequence, k: int, *, rng: np.random.Generator, beta: float = DEFAULT_BETA) -> list:
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
