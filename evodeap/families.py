"""Model families: which layer kinds a genome may hold, and in which order.

A family lists *stages*. Every non-dropout layer belongs to one stage, and the stage
indices along the genome must never decrease (e.g. for ``cnn+rnn``: conv blocks, then
SimpleRNN layers, then dense layers). Dropout layers may stand anywhere. Each family
also names the kinds a genome must contain at least once (a ``cnn`` needs a conv block).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from evodeap.errors import UnknownNameError
from evodeap.genes import LayerGene

DROPOUT = "dropout"


@dataclass(frozen=True)
class Family:
    """Ordering and composition rules of one model family."""

    name: str
    stages: tuple[str, ...]
    required: tuple[str, ...]

    @property
    def kinds(self) -> tuple[str, ...]:
        """Every kind allowed in this family (its stages plus dropout)."""
        return self.stages + (DROPOUT,)

    def stage(self, kind: str) -> int | None:
        """Stage index of ``kind``; ``None`` for dropout (free position)."""
        return None if kind == DROPOUT else self.stages.index(kind)

    def violations(self, layers: Sequence[LayerGene]) -> list[str]:
        """Human-readable reasons why ``layers`` break this family's rules (empty if none)."""
        problems = []
        last = -1
        for position, gene in enumerate(layers):
            if gene.kind not in self.kinds:
                problems.append(f"layer {position} is {gene.kind!r}, not allowed in {self.name}")
                continue
            rank = self.stage(gene.kind)
            if rank is not None:
                if rank < last:
                    problems.append(
                        f"layer {position} ({gene.kind}) comes after a {self.stages[last]} layer"
                    )
                last = max(last, rank)
        present = {g.kind for g in layers}
        problems += [f"{self.name} needs at least one {k} layer" for k in self.required if k not in present]
        return problems


FAMILIES: dict[str, Family] = {
    "cnn": Family("cnn", stages=("conv", "dense"), required=("conv",)),
    "rnn": Family("rnn", stages=("rnn", "dense"), required=("rnn",)),
    "cnn+rnn": Family("cnn+rnn", stages=("conv", "rnn", "dense"), required=("conv", "rnn")),
}


def get_family(name: str) -> Family:
    """The family called ``name``; an error listing the known families otherwise."""
    try:
        return FAMILIES[name]
    except KeyError:
        raise UnknownNameError(
            f"unknown model family {name!r}; known families: {', '.join(FAMILIES)}"
        ) from None
