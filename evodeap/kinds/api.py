"""The public layer-kind API: what a layer kind is, and how it is registered.

A layer kind is one frozen dataclass — its *gene* — registered with :func:`register_kind`.
The gene's fields are the values evolution changes; its methods say what the layer does::

    @register_kind(acts_on=SEQUENCE, produces=VECTOR, recurrent=True,
                   domains={"units": Integer(8, 128, log=True), "activation": Choice(("tanh", "relu"))})
    @dataclass(frozen=True)
    class LSTMLayer:
        kind: ClassVar[str] = "lstm"
        units: int
        activation: str

        def plan(self, shape, ctx):   # one LayerPlan per Keras layer: name, output shape, params, MACs
            T, D = shape
            u = self.units
            out = (T, u) if ctx.returns_sequences else (u,)
            return [LayerPlan(ctx.name, out, 4 * (D * u + u * u + u), T * 4 * (D * u + u * u))]

        def build(self, x, ctx):      # the same layers in Keras (public Keras 3 API only)
            import keras
            return keras.layers.LSTM(self.units, activation=self.activation,
                                     return_sequences=ctx.returns_sequences, name=ctx.name)(x)

**Stages.** Every kind acts on one stage of the model — ``frames`` ``(T, H, W, C)``, a
``sequence`` ``(T, D)``, a ``vector`` ``(D,)`` — or on ``any`` (it keeps its input's stage:
dropout, batch normalization), and turns its input into ``produces``. The walker
(:mod:`evodeap.kinds.walk`) inserts the transitions between stages; a ``recurrent`` kind
returns sequences exactly when a later gene acts on a sequence (``ctx.returns_sequences``).
A kind that leaves its stage without being recurrent (``frame_pool``: frames -> sequence,
``time_pool``: sequence -> vector) stands at most once in a genome
(:attr:`LayerKind.at_most_once`).

**Optional methods** of a gene: ``describe() -> str`` (for ``Genome.describe``; default
``kind(field=value, ...)``), ``problems() -> list[str]`` (why the gene cannot make a layer,
each reason completing "layer i ..."), and ``mutate(field, domain, rng, sigma)`` (a
kind-specific mutation of one field; return ``NotImplemented`` to use the standard one).
``plan`` raises :class:`PlanError` when the gene cannot act on the shape it gets.

**Names.** Keras layers are named ``ctx.name`` (``<kind>_<i>``, ``i`` the gene's position)
or ``ctx.part("conv1")`` (``<kind>_conv1_<i>``): weight inheritance pairs layers by name
minus the trailing ``_<i>``, and ordinal (:func:`evodeap.fitness.inheritance.layer_kind`).
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Sequence

from evodeap.plugins import note_module
from evodeap.domains import Domain, check_domain
from evodeap.errors import LayerKindError, SearchSpaceError
from evodeap.registry import Registry, RegistryView

#: The stages of a model, in the order the walker passes through them.
FRAMES, SEQUENCE, VECTOR = "frames", "sequence", "vector"
#: A kind that acts on any stage and keeps it (dropout, batch normalization).
ANY = "any"
STAGES = (FRAMES, SEQUENCE, VECTOR)
#: Rank of one sample's tensor in each stage.
STAGE_RANK = {FRAMES: 4, SEQUENCE: 2, VECTOR: 1}

#: Activations a layer gene may name.
ACTIVATIONS = ("relu", "elu", "tanh", "sigmoid", "selu", "gelu", "swish", "linear", "softplus")

#: Default field names of each role, when a kind does not declare its own ``roles``:
#: ``width`` (what ``change_units`` mutates and the landscape calls width), ``activation``
#: (``change_activation``), ``kernel`` (``change_kernel``).
DEFAULT_ROLES: dict[str, tuple[str, ...]] = {
    "width": ("units", "filters"),
    "activation": ("activation",),
    "kernel": ("kernel_size", "pooling"),
}


@dataclass(frozen=True)
class LayerPlan:
    """One Keras layer of a planned model.

    Attributes:
        name: the Keras layer name.
        output_shape: one sample's output shape.
        params: number of weights (trainable or not: what ``count_params()`` counts).
        macs: multiply–accumulates of one sample's forward pass.
    """

    name: str
    output_shape: tuple[int, ...]
    params: int = 0
    macs: int = 0


@dataclass(frozen=True)
class LayerContext:
    """What a kind's ``plan`` and ``build`` learn about the gene's place in the model.

    Attributes:
        kind: the kind's name.
        index: the gene's position in the genome.
        name: the gene's main Keras layer name, ``<kind>_<index>``.
        returns_sequences: for a recurrent kind, whether it must return the whole sequence
            (a later gene acts on a sequence) instead of its last state.
    """

    kind: str
    index: int
    name: str
    returns_sequences: bool = False

    def part(self, part: str) -> str:
        """Name of one of several Keras layers of the gene: ``<kind>_<part>_<index>``."""
        return f"{self.kind}_{part}_{self.index}"


class PlanError(Exception):
    """Raised by a kind's ``plan``: the gene cannot act on the shape it gets (e.g. pooling a
    1×1 frame). The message completes "layer i (kind) ..."; the plan becomes ``invalid``."""


@dataclass(frozen=True)
class LayerKind:
    """A registered layer kind: its gene class and what the registration declared."""

    name: str
    gene: type
    acts_on: str
    produces: str
    domains: Mapping[str, Domain]
    recurrent: bool = False
    roles: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    in_default_space: bool = False
    module: str = ""

    @property
    def fields(self) -> tuple[str, ...]:
        """The gene's evolvable fields, in declaration order."""
        return tuple(f.name for f in dataclasses.fields(self.gene))

    @property
    def at_most_once(self) -> bool:
        """Whether a genome holds at most one layer of this kind: a kind that leaves the stage
        it acts on without being recurrent (``frame_pool``, ``time_pool``) — after it the model
        is past that stage, so a second one could never act. Family rules, sampling, mutation
        and repair enforce it."""
        return self.acts_on != ANY and self.produces != self.acts_on and not self.recurrent

    def default_domains(self) -> dict[str, Domain]:
        """A fresh ``field -> domain`` dict of the kind's default domains (field order)."""
        return {name: self.domains[name] for name in self.fields}

    def fields_for(self, role: str) -> tuple[str, ...]:
        """The fields that play ``role`` (``width``, ``activation``, ``kernel``) in this kind."""
        return tuple(self.roles.get(role, ()))


KINDS: Registry[LayerKind] = Registry("layer kind")
_KIND_TABLE: RegistryView = RegistryView(KINDS)
_BY_CLASS: dict[type, LayerKind] = {}
_DEFAULT_SPACE_ORDER: list[str] = []


def register_kind(
    *,
    acts_on: str,
    domains: Mapping[str, Domain],
    produces: str | None = None,
    recurrent: bool = False,
    roles: Mapping[str, Sequence[str]] | None = None,
    in_default_space: bool = False,
) -> Callable[[type], type]:
    """Class decorator: register a frozen dataclass as the gene of a layer kind.

    Args:
        acts_on: the stage the kind's input is in: ``FRAMES``, ``SEQUENCE``, ``VECTOR`` or ``ANY``.
        domains: default search-space domain of every field of the gene.
        produces: the stage of its output (default: ``acts_on``; ``ANY`` kinds keep their input's).
        recurrent: a ``SEQUENCE`` -> ``VECTOR`` kind that returns the whole sequence when a
            later gene acts on a sequence (``ctx.returns_sequences``).
        roles: ``role -> fields`` (``width``, ``activation``, ``kernel``), for operators and the
            landscape; default: the fields named as in :data:`DEFAULT_ROLES`.
        in_default_space: put the kind's domains in every default ``SearchSpace`` (the four
            original kinds do, so spaces recorded before kinds were plug-ins keep their meaning).

    The kind's name is the class's ``kind`` class variable. Registering a name again is an
    error unless it comes from the same module (a plug-in file loaded again).

    Raises:
        LayerKindError: the class or the declaration is malformed (every reason in one line).
    """

    def register(cls: type) -> type:
        kind = _check_gene_class(cls)
        stage_in, stage_out = _check_stages(kind, acts_on, produces, recurrent)
        domain_map = _check_domains(kind, cls, domains)
        role_map = _check_roles(kind, cls, roles)
        record = LayerKind(kind, cls, stage_in, stage_out, domain_map, bool(recurrent), role_map,
                           bool(in_default_space), cls.__module__)
        _add(record)
        return cls

    return register


def _check_gene_class(cls: type) -> str:
    if not (isinstance(cls, type) and dataclasses.is_dataclass(cls)):
        raise LayerKindError(f"{cls!r}: a layer kind's gene must be a @dataclass(frozen=True) class")
    kind = cls.__dict__.get("kind")
    if not isinstance(kind, str) or not kind.isidentifier():
        raise LayerKindError(
            f"{cls.__qualname__}: a layer gene needs a class variable `kind: ClassVar[str] = \"name\"` "
            f"(a Python identifier), got {kind!r}")
    if not cls.__dataclass_params__.frozen:
        raise LayerKindError(f"layer kind {kind!r}: its gene {cls.__qualname__} must be frozen "
                             f"(@dataclass(frozen=True)): genes are immutable values")
    if "kind" in {f.name for f in dataclasses.fields(cls)}:
        raise LayerKindError(f"layer kind {kind!r}: `kind` must be a ClassVar, not a field")
    missing = [m for m in ("plan", "build") if not callable(getattr(cls, m, None))]
    if missing:
        raise LayerKindError(f"layer kind {kind!r}: its gene {cls.__qualname__} lacks {' and '.join(missing)}()")
    return kind


def _check_stages(kind: str, acts_on: str, produces: str | None, recurrent: bool) -> tuple[str, str]:
    if acts_on not in STAGES + (ANY,):
        raise LayerKindError(f"layer kind {kind!r}: acts_on must be one of {STAGES + (ANY,)}, got {acts_on!r}")
    if acts_on == ANY:
        if produces not in (None, ANY):
            raise LayerKindError(f"layer kind {kind!r}: a kind that acts on any stage keeps it (produces=ANY)")
        if recurrent:
            raise LayerKindError(f"layer kind {kind!r}: a recurrent kind acts on a sequence")
        return ANY, ANY
    out = acts_on if produces is None else produces
    if out not in STAGES or STAGES.index(out) < STAGES.index(acts_on):
        raise LayerKindError(f"layer kind {kind!r}: produces must be a stage at or after {acts_on!r} "
                             f"({', '.join(STAGES[STAGES.index(acts_on):])}), got {produces!r}")
    if recurrent and (acts_on, out) != (SEQUENCE, VECTOR):
        raise LayerKindError(f"layer kind {kind!r}: a recurrent kind acts on a sequence and produces a vector")
    return acts_on, out


def _check_domains(kind: str, cls: type, domains: Mapping[str, Domain]) -> dict[str, Domain]:
    fields = [f.name for f in dataclasses.fields(cls)]
    if not isinstance(domains, Mapping) or set(domains) != set(fields):
        given = sorted(domains) if isinstance(domains, Mapping) else domains
        raise LayerKindError(f"layer kind {kind!r}: domains must give every field {sorted(fields)}, got {given}")
    try:
        for name in fields:
            check_domain(f"{kind}.{name}", domains[name])
    except SearchSpaceError as exc:
        raise LayerKindError(f"layer kind {kind!r}: {exc}") from None
    return {name: domains[name] for name in fields}


def _check_roles(kind: str, cls: type, roles: Mapping[str, Sequence[str]] | None) -> dict[str, tuple[str, ...]]:
    fields = [f.name for f in dataclasses.fields(cls)]
    if roles is None:
        return {role: tuple(f for f in names if f in fields) for role, names in DEFAULT_ROLES.items()}
    result = {role: tuple(names) for role, names in roles.items()}
    unknown = sorted({f for names in result.values() for f in names} - set(fields))
    if unknown:
        raise LayerKindError(f"layer kind {kind!r}: roles name fields it does not have: {unknown}")
    return result


def _add(record: LayerKind) -> None:
    previous = _KIND_TABLE.get(record.name)
    if previous is not None and previous.module != record.module:
        raise LayerKindError(
            f"layer kind {record.name!r} is already registered by {previous.module}; choose another name")
    if previous is not None:
        _BY_CLASS.pop(previous.gene, None)
    KINDS.register(record.name, replace=True)(record)
    _BY_CLASS[record.gene] = record
    if record.in_default_space and record.name not in _DEFAULT_SPACE_ORDER:
        _DEFAULT_SPACE_ORDER.append(record.name)
    elif not record.in_default_space and record.name in _DEFAULT_SPACE_ORDER:
        _DEFAULT_SPACE_ORDER.remove(record.name)
    note_module(record.module)


def get_kind(name: str) -> LayerKind:
    """The registered kind ``name``; an :class:`~evodeap.errors.UnknownNameError` listing the
    known kinds otherwise."""
    try:
        return _KIND_TABLE[name]
    except (KeyError, TypeError):
        return KINDS.get(name)  # raises the registry's unknown-name error


def kind_of(gene: Any) -> LayerKind:
    """The kind of a layer gene, found by its class (``get_kind(gene.kind)`` for a class
    that is not registered, e.g. of an experiment file loaded again)."""
    record = _BY_CLASS.get(type(gene))
    return record if record is not None else get_kind(getattr(gene, "kind", None))


def default_space_kinds() -> tuple[str, ...]:
    """Kinds whose domains every default ``SearchSpace`` carries, in registration order."""
    return tuple(_DEFAULT_SPACE_ORDER)


# -- helpers for a kind's problems() -------------------------------------------------------
def activation_problems(gene: Any, field: str = "activation") -> list[str]:
    """``["has unknown activation 'x'"]`` when the field names no activation of :data:`ACTIVATIONS`."""
    value = getattr(gene, field)
    return [] if value in ACTIVATIONS else [f"has unknown activation {value!r}"]


def positive_int_problems(gene: Any, *fields: str) -> list[str]:
    """One reason per field that is not a positive integer."""
    problems = []
    for name in fields:
        value = getattr(gene, name)
        if not isinstance(value, int) or value < 1:
            problems.append(f"{gene.kind}.{name} must be a positive integer, got {value!r}")
    return problems


def gene_problems(gene: Any) -> list[str]:
    """The gene's own ``problems()`` (empty when it has none)."""
    check = getattr(gene, "problems", None)
    return list(check()) if callable(check) else []


def describe_gene(gene: Any) -> str:
    """The gene's ``describe()``, or ``kind(field=value, ...)``."""
    describe = getattr(gene, "describe", None)
    if callable(describe):
        return describe()
    values = ",".join(f"{f.name}={getattr(gene, f.name)!r}" for f in dataclasses.fields(gene))
    return f"{gene.kind}({values})"


__all__ = [
    "ACTIVATIONS", "ANY", "DEFAULT_ROLES", "FRAMES", "KINDS", "LayerContext", "LayerKind",
    "LayerPlan", "PlanError", "SEQUENCE", "STAGES", "STAGE_RANK", "VECTOR", "activation_problems",
    "default_space_kinds", "describe_gene", "gene_problems", "get_kind", "kind_of", "positive_int_problems",
    "register_kind",
]
