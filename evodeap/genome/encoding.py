"""Genomes as rows of a fixed-width table, for models fitted on a run's evaluations.

A variable-length genome becomes one row of :class:`GenomeEncoding` columns:

* one column per hyperparameter gene with more than one value: a **numeric** column holding
  the gene's unit coordinate ``u ∈ [0, 1]`` (:meth:`Domain.to_unit`, log-scaled where the
  domain is) — for a :class:`~evodeap.domains.Choice` of numbers, the option's rank
  ``i / (c − 1)`` (the options are ordered values, e.g. HPOBench's grids) — or a
  **categorical** column holding the option's index (a choice of strings);
* the number of layers, ``(L − L_min) / (L_max − L_min)`` (numeric; absent when fixed);
* for each layer position ``p < L_max``: the layer's kind (categorical, one more category
  for "no layer here", absent when the family has one kind and the length is fixed), and
  for each kind ``k`` and field ``f`` with more than one value a column ``p.k.f`` as above,
  ``NaN`` where position ``p`` holds no layer of kind ``k``.

``NaN`` means "not applicable"; a model decides what it means (the Parzen estimator of
:mod:`evodeap.operators.surrogate` leaves such a column out of the pair's kernel).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np

from evodeap.domains import Choice, Domain
from evodeap.genome.genome import Genome
from evodeap.genome.space import SearchSpace


def _is_ordinal(domain: Choice) -> bool:
    return all(isinstance(o, (int, float)) and not isinstance(o, bool) for o in domain.options)


@dataclass(frozen=True)
class Column:
    """One column: ``name``; ``categories`` (0: numeric in [0, 1]; c > 0: a category index in 0..c−1)."""

    name: str
    categories: int


class GenomeEncoding:
    """The columns of a search space (module docstring) and the encoding of genomes into them."""

    def __init__(self, space: SearchSpace) -> None:
        self.space = space
        self._hyper = [(name, dom) for name, dom in space.hyperparameters.items() if dom.size > 1]
        self._kinds = list(space.kinds)
        self._fields = {kind: [(f, dom) for f, dom in space.layers[kind].items() if dom.size > 1]
                        for kind in self._kinds}
        self._variable_length = space.max_layers > space.min_layers
        self._kind_column = len(self._kinds) > 1 or self._variable_length
        columns = [Column(name, self._categories(dom)) for name, dom in self._hyper]
        if self._variable_length:
            columns.append(Column("layers", 0))
        for p in range(space.max_layers):
            if self._kind_column:
                columns.append(Column(f"{p}.kind", len(self._kinds) + 1))
            for kind in self._kinds:
                columns += [Column(f"{p}.{kind}.{f}", self._categories(dom)) for f, dom in self._fields[kind]]
        self.columns: tuple[Column, ...] = tuple(columns)

    @staticmethod
    def _categories(domain: Domain) -> int:
        return len(domain.options) if isinstance(domain, Choice) and not _is_ordinal(domain) else 0

    @staticmethod
    def _value(domain: Domain, value: Any) -> float:
        if isinstance(domain, Choice):
            value = domain.clip(value)
            index = domain.options.index(value)
            return index / (len(domain.options) - 1) if _is_ordinal(domain) else float(index)
        return float(domain.to_unit(domain.clip(value)))

    def row(self, genome: Genome) -> np.ndarray:
        """The encoded row of ``genome`` (length ``len(self.columns)``)."""
        values: list[float] = [self._value(dom, genome.hyperparameters[name]) if name in genome.hyperparameters
                               else np.nan for name, dom in self._hyper]
        space = self.space
        if self._variable_length:
            values.append((len(genome) - space.min_layers) / (space.max_layers - space.min_layers))
        for p in range(space.max_layers):
            gene = genome[p] if p < len(genome) else None
            kind = getattr(gene, "kind", None)
            if self._kind_column:
                values.append(float(self._kinds.index(kind)) if kind in self._kinds else float(len(self._kinds)))
            for k in self._kinds:
                values += [self._value(dom, getattr(gene, f)) if kind == k else np.nan for f, dom in self._fields[k]]
        return np.asarray(values, dtype=float)

    def matrix(self, genomes: Sequence[Genome]) -> np.ndarray:
        """Rows of ``genomes`` stacked: shape ``(len(genomes), len(self.columns))``."""
        if not genomes:
            return np.zeros((0, len(self.columns)))
        return np.stack([self.row(g) for g in genomes])

    @property
    def categories(self) -> np.ndarray:
        """Per column: 0 (numeric) or its number of categories."""
        return np.array([c.categories for c in self.columns], dtype=int)


__all__ = ["Column", "GenomeEncoding"]
