"""Search spaces: the domain of every gene, and sampling and checking of genomes.

The domain types (:class:`Real`, :class:`Integer`, :class:`Choice`) live in
:mod:`evodeap.domains` and are re-exported here. Layer kinds and their default domains
come from the kinds registry (:mod:`evodeap.kinds`), families from the families registry.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Mapping

import numpy as np

from evodeap.domains import Choice, Domain, Integer, Real, check_domain, domain_from_dict
from evodeap.errors import SearchSpaceError, UnknownNameError
from evodeap.genome.genes import LayerGene
from evodeap.genome.genome import Genome
from evodeap.kinds import KINDS, get_kind
from evodeap.kinds.api import default_space_kinds
from evodeap.kinds.families import FAMILIES, Family, get_family

__all__ = [
    "Choice", "Domain", "Integer", "Real", "SearchSpace", "default_hyperparameters",
    "check_space_dict", "default_layer_domains", "domain_from_dict", "order_layers",
]


def default_hyperparameters() -> dict[str, Domain]:
    """The paper's hyperparameter genes and ranges."""
    return {
        "learning_rate": Real(1e-4, 1e-1, log=True),
        "batch_size": Choice((16, 32, 64, 128)),
        "optimizer": Choice(("adam", "sgd", "rmsprop")),
        "dropout": Real(0.0, 0.5),
        "epochs": Integer(1, 10),
    }


def default_layer_domains(family: str | None = None) -> dict[str, dict[str, Domain]]:
    """Per-kind default domains, from the kinds registry.

    Every default space carries the domains of the kinds registered ``in_default_space``
    (conv, rnn, dense, dropout — the content of every space before kinds were plug-ins, so
    recorded spaces keep their meaning); with ``family``, the defaults of the family's other
    kinds follow, in the family's order — except its *optional* kinds (``frame_pool``,
    ``time_pool``), which a space searches only when given their domains explicitly
    (:meth:`SearchSpace.with_kinds`).
    """
    kinds = list(default_space_kinds())
    if family is not None and family in FAMILIES:
        fam = get_family(family)
        kinds += [k for k in fam.kinds if k not in kinds and k not in fam.optional]
    return {kind: get_kind(kind).default_domains() for kind in kinds}


#: the most layers a genome may have: a bound that refuses a typo, not a search
MAX_LAYERS = 1000


@dataclass(frozen=True)
class SearchSpace:
    """Every gene's domain plus the layer-count bounds of one model family.

    Args:
        family: model family name; decides which layer kinds may appear, and in what order.
        hyperparameters: hyperparameter name -> domain.
        layers: layer kind -> field -> domain. Kinds outside the family are ignored;
            every kind the family allows must be present with all its fields, except the
            family's optional kinds (``frame_pool``, ``time_pool``): the space searches those
            only when it has their domains. ``None`` (the default) gives
            :func:`default_layer_domains` of the family (no optional kinds); add optional
            kinds with :meth:`with_kinds`.
        min_layers, max_layers: bounds on the number of layer genes (dropout included).

    Construction validates everything and raises :class:`SearchSpaceError` with a clear
    message for inverted ranges, empty choices, ``min_layers > max_layers`` and unknown
    kinds or fields.
    """

    family: str = "cnn"
    hyperparameters: Mapping[str, Domain] = field(default_factory=default_hyperparameters)
    layers: Mapping[str, Mapping[str, Domain]] | None = None
    min_layers: int = 3
    max_layers: int = 7

    def __post_init__(self) -> None:
        object.__setattr__(self, "hyperparameters", dict(self.hyperparameters))
        layers = default_layer_domains(self.family) if self.layers is None else self.layers
        if not isinstance(layers, Mapping):
            raise SearchSpaceError(f"layers must map layer kinds to their domains, got {layers!r}")
        object.__setattr__(self, "layers", {k: dict(v) for k, v in layers.items()})
        self.validate()
        # resolved once per space: the family and the gene class of every kind
        fam = get_family(self.family)
        kinds = tuple(k for k in fam.kinds if k not in fam.optional or k in self.layers)
        object.__setattr__(self, "_family", fam)
        object.__setattr__(self, "_kinds", kinds)
        object.__setattr__(self, "_once", frozenset(k for k in kinds if get_kind(k).at_most_once))
        object.__setattr__(self, "_genes", {kind: get_kind(kind).gene for kind in self.layers})

    # -- validation ---------------------------------------------------------------
    def validate(self) -> None:
        try:
            fam = get_family(self.family)
        except UnknownNameError as exc:
            raise SearchSpaceError(str(exc)) from None
        if not all(isinstance(n, int) and not isinstance(n, bool) for n in (self.min_layers, self.max_layers)):
            raise SearchSpaceError(f"min_layers and max_layers must be integers, got {self.min_layers!r}, {self.max_layers!r}")
        if self.max_layers > MAX_LAYERS:
            raise SearchSpaceError(f"max_layers must be at most {MAX_LAYERS}, got {self.max_layers}")
        if self.min_layers < 1:
            raise SearchSpaceError(f"min_layers must be at least 1, got {self.min_layers}")
        if self.min_layers > self.max_layers:
            raise SearchSpaceError(
                f"min_layers ({self.min_layers}) > max_layers ({self.max_layers})"
            )
        if self.min_layers < len(fam.required):
            raise SearchSpaceError(
                f"min_layers ({self.min_layers}) is below the {len(fam.required)} layers the {fam.name} "
                f"family needs (one of each of {list(fam.required)})"
            )
        for name, dom in self.hyperparameters.items():
            check_domain(f"hyperparameter {name!r}", dom)
        for kind, fields in self.layers.items():
            if kind not in KINDS:
                raise SearchSpaceError(
                    f"unknown layer kind {kind!r}; known kinds: {', '.join(KINDS.names())}"
                )
            expected = set(get_kind(kind).fields)
            if set(fields) != expected:
                raise SearchSpaceError(
                    f"layer kind {kind!r} needs domains for {sorted(expected)}, got {sorted(fields)}"
                )
            for fname, dom in fields.items():
                check_domain(f"{kind}.{fname}", dom)
        missing = [k for k in fam.kinds if k not in self.layers and k not in fam.optional]
        if missing:
            raise SearchSpaceError(f"family {fam.name!r} needs domains for layer kinds {missing}")

    # -- structure ----------------------------------------------------------------
    @property
    def family_rules(self) -> Family:
        """The space's :class:`~evodeap.kinds.families.Family` (resolved when the space was made)."""
        return self._family

    @property
    def kinds(self) -> tuple[str, ...]:
        """Layer kinds that may appear in genomes of this space: the family's kinds (stage
        order, then the free kinds) less its optional kinds the space has no domains for."""
        return self._kinds

    @property
    def at_most_once(self) -> frozenset[str]:
        """Kinds of :attr:`kinds` that a genome holds at most once
        (:attr:`~evodeap.kinds.api.LayerKind.at_most_once`: ``frame_pool``, ``time_pool``)."""
        return self._once

    def domain(self, path: str) -> Domain:
        """Domain by path: ``"learning_rate"`` or ``"conv.filters"``."""
        if "." in path:
            kind, fname = path.split(".", 1)
            return self.layers[kind][fname]
        return self.hyperparameters[path]

    def gene_paths(self) -> list[str]:
        """Every gene path of this space (hyperparameters, then ``kind.field``)."""
        paths = list(self.hyperparameters)
        for kind in self.kinds:
            paths += [f"{kind}.{f}" for f in self.layers[kind]]
        return paths

    def with_family(self, family: str) -> "SearchSpace":
        """A new space of another family; kinds it lacks get their default domains."""
        defaults = default_layer_domains(family)
        return replace(self, family=family, layers={**defaults, **self.layers})

    def with_kinds(self, *kinds: str) -> "SearchSpace":
        """A new space that also searches ``kinds`` — optional kinds of the family, e.g.
        ``SearchSpace(family="cnn").with_kinds("frame_pool", "time_pool")`` — with their
        default domains (a kind the space already has keeps its domains).

        Raises:
            SearchSpaceError: a kind is not registered or not a kind of the family.
        """
        fam = self.family_rules
        for kind in kinds:
            if kind not in KINDS:
                raise SearchSpaceError(f"unknown layer kind {kind!r}; known kinds: {', '.join(KINDS.names())}")
            if kind not in fam.kinds:
                raise SearchSpaceError(f"layer kind {kind!r} is not a kind of family {fam.name!r} "
                                       f"(its kinds: {', '.join(fam.kinds)})")
        added = {k: get_kind(k).default_domains() for k in kinds if k not in self.layers}
        return replace(self, layers={**self.layers, **added})

    def with_domain(self, path: str, domain: Domain) -> "SearchSpace":
        """A new space with one domain replaced (validated)."""
        if "." in path:
            kind, fname = path.split(".", 1)
            layers = {k: dict(v) for k, v in self.layers.items()}
            layers[kind][fname] = domain
            return replace(self, layers=layers)
        return replace(self, hyperparameters={**self.hyperparameters, path: domain})

    # -- sampling -----------------------------------------------------------------
    def sample_layer(self, kind: str, rng: np.random.Generator) -> LayerGene:
        """A random gene of ``kind`` with every field drawn from its domain."""
        return self._genes[kind](**{f: d.sample(rng) for f, d in self.layers[kind].items()})

    def sample_hyperparameters(self, rng: np.random.Generator) -> dict[str, Any]:
        return {name: dom.sample(rng) for name, dom in self.hyperparameters.items()}

    def sample_genome(
        self, rng: np.random.Generator, n_layers: int | None = None, birth: int = 0, cls: type = Genome
    ) -> Genome:
        """A uniformly random valid genome.

        The number of layers is uniform in ``[min_layers, max_layers]``; kinds are drawn
        uniformly from the space's :attr:`kinds`, the required kinds are guaranteed, a
        second layer of an :attr:`at_most_once` kind is drawn again among the kinds still
        allowed (only then: a space without such kinds draws what it always drew), and
        the layers are put in the family's stage order.
        """
        fam = self.family_rules
        all_kinds = self.kinds
        n = int(rng.integers(self.min_layers, self.max_layers + 1)) if n_layers is None else n_layers
        kinds = [all_kinds[int(i)] for i in rng.integers(len(all_kinds), size=n)]
        slots = rng.permutation(n)
        fixed = set()
        for slot, kind in zip(slots, fam.required):
            kinds[int(slot)] = kind
            fixed.add(int(slot))
        if self._once:
            kinds = self._draw_repeats_again(kinds, fixed, rng)
        layers = [self.sample_layer(k, rng) for k in kinds]
        return cls(order_layers(layers, fam), self.sample_hyperparameters(rng), family=self.family, birth=birth)

    def _draw_repeats_again(self, kinds: list[str], fixed: set[int], rng: np.random.Generator) -> list[str]:
        """``kinds`` with every repeat of an at-most-once kind drawn again among the kinds
        still allowed (dropped when none is); ``fixed`` positions hold required kinds."""
        once = self._once
        seen = {kinds[i] for i in fixed if kinds[i] in once}
        result = []
        for i, kind in enumerate(kinds):
            if i not in fixed and kind in once and kind in seen:
                allowed = [k for k in self.kinds if k not in seen]
                if not allowed:
                    continue
                kind = allowed[int(rng.integers(len(allowed)))]
            if kind in once:
                seen.add(kind)
            result.append(kind)
        return result

    # -- checking -----------------------------------------------------------------
    def violations(self, genome: Genome) -> list[str]:
        """Every reason ``genome`` is not a valid member of this space (empty if valid)."""
        problems = []
        if genome.family != self.family:
            problems.append(f"genome family {genome.family!r} differs from space family {self.family!r}")
        if not self.min_layers <= len(genome) <= self.max_layers:
            problems.append(f"{len(genome)} layers outside [{self.min_layers}, {self.max_layers}]")
        problems += self.family_rules.violations(genome)
        allowed = self.family_rules.kinds
        problems += [f"layer {i} is {gene.kind!r}, a kind this space does not search (it has no domains for it)"
                     for i, gene in enumerate(genome) if gene.kind in allowed and gene.kind not in self._kinds]
        for i, gene in enumerate(genome):
            for fname, dom in self.layers.get(gene.kind, {}).items():
                value = getattr(gene, fname)
                if not dom.contains(value):
                    problems.append(f"layer {i} {gene.kind}.{fname}={value!r} outside {dom}")
        if set(genome.hyperparameters) != set(self.hyperparameters):
            problems.append(
                f"hyperparameters {sorted(genome.hyperparameters)} differ from {sorted(self.hyperparameters)}"
            )
        for name, dom in self.hyperparameters.items():
            if name in genome.hyperparameters and not dom.contains(genome.hyperparameters[name]):
                problems.append(f"{name}={genome.hyperparameters[name]!r} outside {dom}")
        return problems

    def contains(self, genome: Genome) -> bool:
        return not self.violations(genome)

    # -- serialisation ------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return {
            "family": self.family,
            "min_layers": self.min_layers,
            "max_layers": self.max_layers,
            "hyperparameters": {k: d.to_dict() for k, d in self.hyperparameters.items()},
            "layers": {k: {f: d.to_dict() for f, d in v.items()} for k, v in self.layers.items()},
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "SearchSpace":
        try:
            if not all(type(data[k]) is int for k in ("min_layers", "max_layers")):
                raise SearchSpaceError(
                    f"malformed search space: min_layers and max_layers must be integers, "
                    f"got {data['min_layers']!r} and {data['max_layers']!r}")
            return cls(
                family=data["family"],
                min_layers=data["min_layers"],
                max_layers=data["max_layers"],
                hyperparameters={k: domain_from_dict(d) for k, d in data["hyperparameters"].items()},
                layers={
                    k: {f: domain_from_dict(d) for f, d in v.items()} for k, v in data["layers"].items()
                },
            )
        except (KeyError, TypeError, AttributeError, ValueError) as exc:
            raise SearchSpaceError(f"malformed search space: missing or bad {exc}") from None


def check_space_dict(data: Mapping[str, Any], *, allow_unregistered: bool = False) -> None:
    """Check the JSON form of a search space (:meth:`SearchSpace.from_dict` would accept it).

    With ``allow_unregistered``, a space whose family or layer kinds are not registered in
    this process (yet: its experiment file registers them) is checked as far as it can be —
    layer-count bounds, and every domain — and is fully resolved later.

    Raises:
        SearchSpaceError: the space is malformed.
    """
    try:
        unregistered = data["family"] not in FAMILIES or any(k not in KINDS for k in data["layers"])
    except (KeyError, TypeError) as exc:
        raise SearchSpaceError(f"malformed search space: missing or bad {exc}") from None
    if not (allow_unregistered and unregistered):
        SearchSpace.from_dict(data)
        return
    try:
        low, high = data["min_layers"], data["max_layers"]
        if type(low) is not int or type(high) is not int or not 1 <= low <= high:
            raise SearchSpaceError(f"malformed search space: layer bounds [{low!r}, {high!r}]")
        for name, domain in data["hyperparameters"].items():
            check_domain(f"hyperparameter {name!r}", domain_from_dict(domain))
        for kind, fields in data["layers"].items():
            for name, domain in fields.items():
                check_domain(f"{kind}.{name}", domain_from_dict(domain))
    except (KeyError, TypeError, AttributeError, ValueError) as exc:
        if isinstance(exc, SearchSpaceError):
            raise
        raise SearchSpaceError(f"malformed search space: missing or bad {exc}") from None


def order_layers(layers: list[LayerGene], family: Family) -> list[LayerGene]:
    """Put layers in the family's stage order; free (dropout-like) layers keep their positions.

    Layers of stage kinds are stably sorted by stage; each free layer is re-inserted at
    its original index (so ``conv, dropout, dense`` stays as it is).
    """
    body = sorted((g for g in layers if g.kind not in family.free), key=lambda g: family.stage(g.kind))
    result = list(body)
    for index, gene in enumerate(layers):
        if gene.kind in family.free:
            result.insert(min(index, len(result)), gene)
    return result
