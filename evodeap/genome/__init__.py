"""The chromosome and its search space: genes, the variable-length genome, domains of genes.

* :mod:`evodeap.genome.genes` — the frozen layer genes (conv, rnn, dense, dropout …);
* :mod:`evodeap.genome.genome` — :class:`Genome`, a list of layer genes plus hyperparameters,
  with an exact JSON round trip and a canonical ``key()``;
* :mod:`evodeap.genome.space` — :class:`SearchSpace`: every gene's domain, sampling,
  the unit-interval mapping, validation;
* :mod:`evodeap.genome.individual` — the DEAP ``creator.Individual`` classes of a run;
* :mod:`evodeap.genome.encoding` — genomes as rows of a fixed-width table, for surrogate models.
"""
from evodeap.genome.genome import Genome

__all__ = ["Genome"]
