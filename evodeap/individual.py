"""DEAP ``creator`` classes deriving from :class:`~evodeap.genome.Genome`.

Importing this module registers (once per process, also in spawned workers):

* ``creator.FitnessMax`` — weights ``(1.0,)``; ``creator.Individual(Genome)`` with it;
* ``creator.FitnessMulti`` — weights ``(1.0, 1.0, 1.0)`` for (A, −T, R);
  ``creator.IndividualMulti(Genome)`` with it.

Classes already present in ``creator`` are left alone (a user's own definitions win), but
``creator.Individual`` must derive from :class:`Genome`.
"""
from __future__ import annotations

import warnings

from deap import base, creator

from evodeap.genome import Genome


def _create(name: str, base_cls: type, **kwargs) -> None:
    if not hasattr(creator, name):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            creator.create(name, base_cls, **kwargs)


_create("FitnessMax", base.Fitness, weights=(1.0,))
_create("FitnessMulti", base.Fitness, weights=(1.0, 1.0, 1.0))
_create("Individual", Genome, fitness=creator.FitnessMax)
_create("IndividualMulti", Genome, fitness=creator.FitnessMulti)


def individual_class(n_objectives: int = 1) -> type:
    """``creator.Individual`` for one objective, ``creator.IndividualMulti`` for three."""
    if n_objectives == 1:
        cls = creator.Individual
    elif n_objectives == 3:
        cls = creator.IndividualMulti
    else:
        raise ValueError(f"evodeap supports 1 or 3 objectives, got {n_objectives}")
    if not issubclass(cls, Genome):
        raise TypeError("deap.creator.Individual exists but does not derive from evodeap.Genome")
    return cls


def to_individual(genome: Genome, n_objectives: int = 1) -> Genome:
    """A creator individual with the genome's content and an invalid fitness."""
    return individual_class(n_objectives)(genome, genome.hyperparameters, family=genome.family, birth=genome.birth)
