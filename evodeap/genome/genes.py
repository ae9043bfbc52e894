"""Layer genes: one frozen dataclass per layer kind (a view over :mod:`evodeap.kinds`).

Genes are immutable values. A mutation *replaces* a gene (``dataclasses.replace``),
so two individuals that share a gene after crossover can never affect each other.
Each kind is serialised as ``{"kind": <name>, <field>: <value>, ...}``.

The gene classes live with their layer kinds (:mod:`evodeap.kinds.builtin` and friends);
this module keeps the names users import, and reads every table from the kinds registry,
so a kind registered by a researcher is a gene like any other.
"""
from __future__ import annotations

import dataclasses
import functools
from typing import Any, Mapping, Union

from evodeap.errors import GenomeError
from evodeap.kinds import (
    KINDS,
    BatchNormLayer,
    ConvBlock,
    DenseLayer,
    DropoutLayer,
    FramePool,
    GRULayer,
    LSTMLayer,
    RecurrentLayer,
    ResidualBlock,
    TimePool,
)
from evodeap.registry import RegistryView

#: The built-in gene types (any registered kind's gene is a layer gene too).
LayerGene = Union[ConvBlock, RecurrentLayer, DenseLayer, DropoutLayer, LSTMLayer, GRULayer,
                  BatchNormLayer, ResidualBlock, FramePool, TimePool]


#: ``kind name -> gene class`` of every registered kind (live: reads the registry).
LAYER_KINDS: Mapping[str, type] = RegistryView(KINDS, lambda kind: kind.gene)


def is_layer_gene(value: Any) -> bool:
    """Whether ``value`` is a gene of a registered layer kind (an instance of its gene class)."""
    kind = getattr(type(value), "kind", None)
    return isinstance(kind, str) and kind in KINDS and isinstance(value, LAYER_KINDS[kind])


def gene_fields(kind: str) -> tuple[str, ...]:
    """Names of the evolvable fields of a layer kind, in declaration order."""
    return tuple(f.name for f in dataclasses.fields(layer_class(kind)))


def layer_class(kind: str) -> type:
    """The gene class of ``kind``; raises :class:`GenomeError` for an unknown kind."""
    try:
        return LAYER_KINDS[kind]
    except (KeyError, TypeError):
        raise GenomeError(
            f"unknown layer kind {kind!r}; known kinds: {', '.join(sorted(LAYER_KINDS))}"
        ) from None


@dataclasses.dataclass(frozen=True)
class UnregisteredGene:
    """A gene of a kind that is not registered in this process, read only to be shown
    (a report reads runs without executing their experiment file). It keeps the gene's
    JSON exactly (so the genome's key is unchanged), describes itself as
    ``kind(field=value, ...)`` and cannot be planned or built."""

    kind: str
    values: tuple[tuple[str, Any], ...]

    def describe(self) -> str:
        return f"{self.kind}({','.join(f'{k}={v!r}' for k, v in self.values)})"


_PLAIN = (str, int, float, bool, type(None))


@functools.lru_cache(maxsize=None)
def _field_names(cls: type) -> tuple[str, ...]:
    return tuple(f.name for f in dataclasses.fields(cls))


def gene_to_dict(gene: LayerGene) -> dict[str, Any]:
    """``{"kind": ..., **fields}`` with plain JSON values.

    The same dict as ``{"kind": gene.kind, **dataclasses.asdict(gene)}``; scalar fields (all
    built-in kinds have only those) are read directly rather than deep-copied, since genes are
    frozen — the genome's key is computed from this many times per evaluation.
    """
    if isinstance(gene, UnregisteredGene):
        return {"kind": gene.kind, **dict(gene.values)}
    values = {name: getattr(gene, name) for name in _field_names(type(gene))}
    if all(type(v) in _PLAIN for v in values.values()):
        return {"kind": gene.kind, **values}
    return {"kind": gene.kind, **dataclasses.asdict(gene)}


def gene_from_dict(data: dict[str, Any], *, allow_unregistered: bool = False) -> LayerGene:
    """Inverse of :func:`gene_to_dict`; a clear :class:`GenomeError` on bad input.

    With ``allow_unregistered``, a gene of a kind not registered here becomes an
    :class:`UnregisteredGene` instead of an error (for reading, e.g. in reports).
    """
    if not isinstance(data, dict) or "kind" not in data:
        raise GenomeError(f"a layer gene must be an object with a 'kind', got {data!r}")
    if allow_unregistered and data["kind"] not in KINDS:
        return UnregisteredGene(str(data["kind"]), tuple((k, v) for k, v in data.items() if k != "kind"))
    cls = layer_class(data["kind"])
    fields = {k: v for k, v in data.items() if k != "kind"}
    expected = set(gene_fields(data["kind"]))
    if set(fields) != expected:
        raise GenomeError(
            f"layer {data['kind']!r} needs fields {sorted(expected)}, got {sorted(fields)}"
        )
    return cls(**fields)
