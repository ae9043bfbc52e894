"""Layer genes: one frozen dataclass per layer kind.

Genes are immutable values. A mutation *replaces* a gene (``dataclasses.replace``),
so two individuals that share a gene after crossover can never affect each other.
Each kind is serialised as ``{"kind": <name>, <field>: <value>, ...}``.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, ClassVar, Union

from evodeap.errors import GenomeError


@dataclass(frozen=True)
class ConvBlock:
    """A convolution block: Conv(filters, kernel_size, activation) then optional pooling.

    ``pooling`` is ``"max"``, ``"avg"`` or ``"none"`` (2×2, stride 2 when not none).
    """

    kind: ClassVar[str] = "conv"
    filters: int
    kernel_size: int
    activation: str
    pooling: str


@dataclass(frozen=True)
class RecurrentLayer:
    """A Keras ``SimpleRNN`` layer with ``units`` units."""

    kind: ClassVar[str] = "rnn"
    units: int
    activation: str


@dataclass(frozen=True)
class DenseLayer:
    """A fully connected layer."""

    kind: ClassVar[str] = "dense"
    units: int
    activation: str


@dataclass(frozen=True)
class DropoutLayer:
    """Dropout with the given rate (fraction of inputs zeroed during training)."""

    kind: ClassVar[str] = "dropout"
    rate: float


LayerGene = Union[ConvBlock, RecurrentLayer, DenseLayer, DropoutLayer]

LAYER_KINDS: dict[str, type] = {
    cls.kind: cls for cls in (ConvBlock, RecurrentLayer, DenseLayer, DropoutLayer)
}


def gene_fields(kind: str) -> tuple[str, ...]:
    """Names of the evolvable fields of a layer kind, in declaration order."""
    return tuple(f.name for f in dataclasses.fields(layer_class(kind)))


def layer_class(kind: str) -> type:
    """The gene class of ``kind``; raises :class:`GenomeError` for an unknown kind."""
    try:
        return LAYER_KINDS[kind]
    except KeyError:
        raise GenomeError(
            f"unknown layer kind {kind!r}; known kinds: {', '.join(sorted(LAYER_KINDS))}"
        ) from None


def gene_to_dict(gene: LayerGene) -> dict[str, Any]:
    """``{"kind": ..., **fields}`` with plain JSON values."""
    return {"kind": gene.kind, **dataclasses.asdict(gene)}


def gene_from_dict(data: dict[str, Any]) -> LayerGene:
    """Inverse of :func:`gene_to_dict`; a clear :class:`GenomeError` on bad input."""
    if not isinstance(data, dict) or "kind" not in data:
        raise GenomeError(f"a layer gene must be an object with a 'kind', got {data!r}")
    cls = layer_class(data["kind"])
    fields = {k: v for k, v in data.items() if k != "kind"}
    expected = set(gene_fields(data["kind"]))
    if set(fields) != expected:
        raise GenomeError(
            f"layer {data['kind']!r} needs fields {sorted(expected)}, got {sorted(fields)}"
        )
    return cls(**fields)
