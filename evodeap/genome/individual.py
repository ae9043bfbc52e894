"""DEAP ``creator`` classes deriving from :class:`~evodeap.genome.genome.Genome`, one per weight vector.

Importing this module registers (once per process, also in spawned workers):

* ``creator.FitnessMax`` — weights ``(1.0,)``; ``creator.Individual(Genome)`` with it;
* ``creator.FitnessMulti`` — weights ``(1.0, 1.0, 1.0)`` for (A, −T, R);
  ``creator.IndividualMulti(Genome)`` with it.

Any other DEAP weight vector (any number of objectives, each maximised or minimised) gets
its own pair on first use, ``creator.Fitness_<tag>`` and ``creator.Individual_<tag>``,
``<tag>`` spelling the weights (``1``, ``m1`` for −1, ``0p5`` for 0.5 …).

Classes already present in ``creator`` are left alone (a user's own definitions win), but
``creator.Individual`` must derive from :class:`Genome` and carry the weights asked for.
"""
from __future__ import annotations

import warnings
from typing import Sequence

from deap import base, creator

from evodeap.genome.genome import Genome

#: weight vectors with the historical class names
_NAMED = {(1.0,): ("FitnessMax", "Individual"), (1.0, 1.0, 1.0): ("FitnessMulti", "IndividualMulti")}


def _create(name: str, base_cls: type, **kwargs) -> None:
    if not hasattr(creator, name):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            creator.create(name, base_cls, **kwargs)


def _tag(weights: tuple[float, ...]) -> str:
    """A Python identifier spelling ``weights``: ``(1.0, -1.0, 0.5)`` -> ``1_m1_0p5``."""
    return "_".join(format(w, "g").replace("-", "m").replace(".", "p").replace("+", "") for w in weights)


def _names(weights: tuple[float, ...]) -> tuple[str, str]:
    return _NAMED.get(weights) or (f"Fitness_{_tag(weights)}", f"Individual_{_tag(weights)}")


def individual_class(objectives: int | Sequence[float] = 1) -> type:
    """The creator individual class for ``objectives``: a number of maximised objectives, or
    DEAP weights (one per objective). ``1`` gives ``creator.Individual``, ``3`` gives
    ``creator.IndividualMulti``.

    Raises:
        ValueError: no objective, or a weight that is zero or not finite.
        TypeError: an existing ``creator`` class of that name that is not a :class:`Genome`
            or has other weights.
    """
    if isinstance(objectives, int):
        if objectives < 1:
            raise ValueError(f"a fitness needs at least one objective, got {objectives}")
        weights = (1.0,) * objectives
    else:
        weights = tuple(float(w) for w in objectives)
    if not weights or not all(w != 0 and abs(w) != float("inf") and w == w for w in weights):
        raise ValueError(f"weights must be one finite, non-zero number per objective, got {weights}")
    fitness_name, individual_name = _names(weights)
    _create(fitness_name, base.Fitness, weights=weights)
    _create(individual_name, Genome, fitness=getattr(creator, fitness_name))
    cls = getattr(creator, individual_name)
    if not issubclass(cls, Genome):
        raise TypeError(f"deap.creator.{individual_name} exists but does not derive from evodeap.Genome")
    if tuple(cls.fitness.weights) != weights:
        raise TypeError(f"deap.creator.{individual_name} exists with weights {tuple(cls.fitness.weights)}, "
                        f"not {weights}")
    return cls


def to_individual(genome: Genome, objectives: int | Sequence[float] = 1) -> Genome:
    """A creator individual with the genome's content and an invalid fitness."""
    return individual_class(objectives)(genome, genome.hyperparameters, family=genome.family, birth=genome.birth)


individual_class(1)
individual_class(3)
