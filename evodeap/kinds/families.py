"""Model families as data: which layer kinds a genome may hold, and in which order.

A family is an ordered list of *stages*, each a tuple of the kinds allowed in it (for
``cnn+rnn``: conv blocks, then SimpleRNN layers, then dense layers). Every layer of a stage
kind belongs to its stage, and the stage indices along a genome never decrease. *Free*
kinds (dropout) may stand anywhere. *Required* kinds must appear at least once (a ``cnn``
needs a conv block). *Optional* kinds belong to the family but a search space searches
them only when it gives them domains (:attr:`SearchSpace.kinds
<evodeap.genome.space.SearchSpace.kinds>`): every built-in family carries ``frame_pool`` and
``time_pool`` (:mod:`evodeap.kinds.pooling`) as optional stages, so its default space,
and every space recorded before they existed, keeps its meaning. A kind that leaves its
stage without being recurrent (:attr:`~evodeap.kinds.api.LayerKind.at_most_once`) stands
at most once in a genome. Options: ``frame_downsample`` average-pools the frames down to
at most ``frame_size`` pixels a side before they leave the frames stage (the ``rnn``
family feeds raw frames to its first recurrent layer).

A new family needs no code::

    register_family("cnn+lstm", stages=[("conv",), ("lstm",), ("dense",)], required=("conv", "lstm"))
"""
from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import Sequence

from evodeap.plugins import note_module
from evodeap.errors import LayerKindError, UnknownNameError
from evodeap.kinds.api import ANY, KINDS, STAGES, get_kind
from evodeap.registry import Registry, RegistryView


@dataclass(frozen=True)
class Family:
    """Ordering and composition rules of one model family.

    Attributes:
        name: the family's name (``genome.family``).
        stages: the stages in model order, each a tuple of the kinds allowed in it (a plain
            kind name is a one-kind stage).
        required: kinds every genome of the family contains at least once.
        free: kinds that may stand anywhere (they act on any stage).
        frame_downsample: average-pool frames to at most ``frame_size`` a side before they
            leave the frames stage (flattened into a sequence, or a ``frame_pool`` gene).
        optional: kinds of the family that a search space carries only when it gives them
            domains explicitly (the default domains of a family leave them out).
    """

    name: str
    stages: tuple[tuple[str, ...], ...]
    required: tuple[str, ...] = ()
    free: tuple[str, ...] = ("dropout",)
    frame_downsample: bool = False
    optional: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        stages = tuple((s,) if isinstance(s, str) else tuple(s) for s in self.stages)
        object.__setattr__(self, "stages", stages)
        object.__setattr__(self, "required", tuple(self.required))
        object.__setattr__(self, "free", tuple(self.free))
        object.__setattr__(self, "optional", tuple(self.optional))

    @property
    def kinds(self) -> tuple[str, ...]:
        """Every kind allowed in this family: the stages' kinds in order, then the free kinds."""
        return tuple(k for stage in self.stages for k in stage) + self.free

    def representatives(self) -> tuple[str, ...]:
        """One kind per stage: the stage's first required kind, else its first kind that is
        not optional; stages of optional kinds only are skipped (``cnn+rnn``: conv, rnn,
        dense; ``residual``: residual, dense)."""
        return tuple(
            next((k for k in stage if k in self.required), next(k for k in stage if k not in self.optional))
            for stage in self.stages if any(k not in self.optional for k in stage))

    def template(self, n_layers: int) -> list[str]:
        """A fixed structure of ``n_layers`` layers: the :meth:`representatives`, spread as
        evenly as possible over the stages in stage order, earlier stages taking the
        remainder — stage ``s`` of ``S`` gets ``⌊n/S⌋ + [s < n mod S]`` layers (``cnn``, 5
        layers: 3 conv, 2 dense; ``cnn+rnn``, 4 layers: 2 conv, 1 rnn, 1 dense)."""
        kinds = self.representatives()
        S = len(kinds)
        return [kind for s, kind in enumerate(kinds) for _ in range(n_layers // S + (s < n_layers % S))]

    def stage(self, kind: str) -> int | None:
        """Stage index of ``kind``; ``None`` for a free kind. ``ValueError`` if not allowed."""
        if kind in self.free:
            return None
        for index, stage in enumerate(self.stages):
            if kind in stage:
                return index
        raise ValueError(f"{kind!r} is not a kind of family {self.name!r}")

    def violations(self, layers: Sequence) -> list[str]:
        """Human-readable reasons why ``layers`` break this family's rules (empty if none)."""
        problems = []
        last, last_kind = -1, ""
        allowed = self.kinds
        seen: set[str] = set()
        for position, gene in enumerate(layers):
            if gene.kind not in allowed:
                problems.append(f"layer {position} is {gene.kind!r}, not allowed in {self.name}")
                continue
            if gene.kind in seen and get_kind(gene.kind).at_most_once:
                problems.append(f"layer {position} is a second {gene.kind} layer: a genome holds at most one "
                                f"(it leaves the {get_kind(gene.kind).acts_on} stage)")
            seen.add(gene.kind)
            rank = self.stage(gene.kind)
            if rank is None:
                continue
            if rank < last:
                problems.append(f"layer {position} ({gene.kind}) comes after a {last_kind} layer")
            else:
                last, last_kind = rank, gene.kind
        present = {g.kind for g in layers}
        problems += [f"{self.name} needs at least one {k} layer" for k in self.required if k not in present]
        return problems


FAMILIES: Registry[Family] = Registry("model family")
_FAMILY_TABLE: RegistryView = RegistryView(FAMILIES)
_MODULES: dict[str, str] = {}


def register_family(
    name: str,
    stages: Sequence[Sequence[str] | str],
    *,
    required: Sequence[str] = (),
    free: Sequence[str] = ("dropout",),
    frame_downsample: bool = False,
    optional: Sequence[str] = (),
) -> Family:
    """Register (and return) a model family; see :class:`Family` for the arguments.

    Every kind must be registered already; stage kinds act on the same stage within a stage
    and on stages in model order (frames, sequence, vector) across stages; free kinds act
    on any stage; required kinds belong to the family; optional kinds belong to the family
    and are not required. Registering a name again is an error
    unless it comes from the same module (a plug-in file loaded again).

    Raises:
        LayerKindError: the family is malformed.
    """
    module = sys._getframe(1).f_globals.get("__name__", "")
    if not isinstance(name, str) or not name:
        raise LayerKindError(f"a family needs a non-empty name, got {name!r}")
    try:
        family = Family(name, tuple(stages), tuple(required), tuple(free), bool(frame_downsample),
                        tuple(optional))
    except TypeError as exc:
        raise LayerKindError(f"family {name!r}: malformed stages {stages!r} ({exc})") from None
    _check_family(family)
    if name in FAMILIES and _MODULES.get(name) != module:
        raise LayerKindError(f"model family {name!r} is already registered by {_MODULES.get(name)}; "
                             f"choose another name")
    FAMILIES.register(name, replace=True)(family)
    _MODULES[name] = module
    note_module(module)
    return family


def _check_family(family: Family) -> None:
    where = f"family {family.name!r}"
    if not family.stages or any(not stage for stage in family.stages):
        raise LayerKindError(f"{where}: needs at least one stage, and every stage at least one kind")
    kinds = family.kinds
    duplicates = sorted({k for k in kinds if kinds.count(k) > 1})
    if duplicates:
        raise LayerKindError(f"{where}: kinds {duplicates} appear more than once")
    for kind in kinds:
        if kind not in KINDS:
            raise LayerKindError(f"{where}: unknown layer kind {kind!r}; known: {', '.join(KINDS.names())}")
    last = -1
    for index, stage in enumerate(family.stages):
        acts = {get_kind(k).acts_on for k in stage} - {ANY}
        if len(acts) > 1:
            raise LayerKindError(f"{where}: stage {index} mixes kinds acting on {sorted(acts)}")
        if acts:
            rank = STAGES.index(acts.pop())
            if rank < last:
                raise LayerKindError(f"{where}: stage {index} {list(stage)} acts on {STAGES[rank]!r}, "
                                     f"before the {STAGES[last]!r} of an earlier stage")
            last = rank
    for kind in family.free:
        if get_kind(kind).acts_on != ANY:
            raise LayerKindError(f"{where}: free kind {kind!r} must act on any stage "
                                 f"(it acts on {get_kind(kind).acts_on!r})")
    outside = [k for k in family.required if k not in kinds]
    if outside:
        raise LayerKindError(f"{where}: required kinds {outside} are not kinds of the family")
    outside = [k for k in family.optional if k not in kinds]
    if outside:
        raise LayerKindError(f"{where}: optional kinds {outside} are not kinds of the family")
    both = [k for k in family.optional if k in family.required]
    if both:
        raise LayerKindError(f"{where}: kinds {both} cannot be both required and optional")
    if len(set(family.optional)) != len(family.optional):
        raise LayerKindError(f"{where}: optional kinds {list(family.optional)} repeat a kind")


def get_family(name: str) -> Family:
    """The family called ``name``; an error listing the known families otherwise."""
    try:
        return _FAMILY_TABLE[name]
    except (KeyError, TypeError):
        raise UnknownNameError(
            f"unknown model family {name!r}; known families: {', '.join(FAMILIES.names())}"
        ) from None
