"""Search spaces: the domain of every gene, and sampling and checking of genomes.

Three domain types cover every gene:

* :class:`Real` — a float in ``[low, high]``, optionally on a log scale;
* :class:`Integer` — an int in ``[low, high]``, optionally on a log scale;
* :class:`Choice` — one of a tuple of options.

Each domain maps its values to and from the unit interval, so mutation and
refinement can work uniformly: for a linear domain ``u = (v - low) / (high - low)``,
for a log domain ``u = (ln v - ln low) / (ln high - ln low)``; a choice maps option
``i`` of ``n`` to ``(i + 0.5) / n``.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Any, Mapping, Union

import numpy as np

from evodeap.errors import SearchSpaceError, UnknownNameError
from evodeap.families import DROPOUT, Family, get_family
from evodeap.genes import LAYER_KINDS, LayerGene, gene_fields, layer_class
from evodeap.genome import Genome


def _unit(low: float, high: float, value: float, log: bool) -> float:
    if high == low:
        return 0.5
    if log:
        return (math.log(value) - math.log(low)) / (math.log(high) - math.log(low))
    return (value - low) / (high - low)


def _from_unit(low: float, high: float, u: float, log: bool) -> float:
    u = min(1.0, max(0.0, float(u)))
    if log:
        return math.exp(math.log(low) + u * (math.log(high) - math.log(low)))
    return low + u * (high - low)


@dataclass(frozen=True)
class Real:
    """A float in ``[low, high]``; ``log=True`` samples and mutates on a log scale."""

    low: float
    high: float
    log: bool = False

    def validate(self, name: str) -> None:
        if not (math.isfinite(self.low) and math.isfinite(self.high)):
            raise SearchSpaceError(f"{name}: bounds must be finite, got [{self.low}, {self.high}]")
        if self.low > self.high:
            raise SearchSpaceError(f"{name}: inverted range [{self.low}, {self.high}] (low > high)")
        if self.log and self.low <= 0:
            raise SearchSpaceError(f"{name}: a log-scaled range needs low > 0, got {self.low}")

    def to_unit(self, value: Any) -> float:
        return _unit(self.low, self.high, float(value), self.log)

    def from_unit(self, u: float) -> float:
        return float(min(self.high, max(self.low, _from_unit(self.low, self.high, u, self.log))))

    def sample(self, rng: np.random.Generator) -> float:
        return self.from_unit(rng.random())

    def contains(self, value: Any) -> bool:
        return isinstance(value, (int, float)) and not isinstance(value, bool) and self.low <= value <= self.high

    def clip(self, value: Any) -> float:
        return float(min(self.high, max(self.low, float(value))))

    @property
    def size(self) -> float:
        """Number of distinct values (infinite unless the range is one point)."""
        return 1 if self.low == self.high else math.inf

    def to_dict(self) -> dict[str, Any]:
        return {"type": "real", "low": self.low, "high": self.high, "log": self.log}


@dataclass(frozen=True)
class Integer:
    """An int in ``[low, high]`` (inclusive); ``log=True`` for scale-like genes (units)."""

    low: int
    high: int
    log: bool = False

    def validate(self, name: str) -> None:
        if int(self.low) != self.low or int(self.high) != self.high:
            raise SearchSpaceError(f"{name}: integer bounds must be whole numbers")
        if self.low > self.high:
            raise SearchSpaceError(f"{name}: inverted range [{self.low}, {self.high}] (low > high)")
        if self.log and self.low <= 0:
            raise SearchSpaceError(f"{name}: a log-scaled range needs low > 0, got {self.low}")

    def to_unit(self, value: Any) -> float:
        return _unit(self.low, self.high, float(value), self.log)

    def from_unit(self, u: float) -> int:
        return self.clip(round(_from_unit(self.low, self.high, u, self.log)))

    def sample(self, rng: np.random.Generator) -> int:
        if self.log:
            return self.from_unit(rng.random())
        return int(rng.integers(self.low, self.high + 1))

    def contains(self, value: Any) -> bool:
        return isinstance(value, (int, np.integer)) and not isinstance(value, bool) and self.low <= value <= self.high

    def clip(self, value: Any) -> int:
        return int(min(self.high, max(self.low, int(round(float(value))))))

    @property
    def size(self) -> int:
        return int(self.high - self.low + 1)

    def to_dict(self) -> dict[str, Any]:
        return {"type": "integer", "low": self.low, "high": self.high, "log": self.log}


@dataclass(frozen=True)
class Choice:
    """One of ``options`` (numbers or strings)."""

    options: tuple

    def __post_init__(self) -> None:
        object.__setattr__(self, "options", tuple(self.options))

    def validate(self, name: str) -> None:
        if not self.options:
            raise SearchSpaceError(f"{name}: a choice needs at least one option")
        if len(set(self.options)) != len(self.options):
            raise SearchSpaceError(f"{name}: duplicate options in {list(self.options)}")

    def to_unit(self, value: Any) -> float:
        return (self.options.index(value) + 0.5) / len(self.options)

    def from_unit(self, u: float) -> Any:
        return self.options[min(len(self.options) - 1, max(0, int(u * len(self.options))))]

    def sample(self, rng: np.random.Generator) -> Any:
        return self.options[int(rng.integers(len(self.options)))]

    def contains(self, value: Any) -> bool:
        return any(type(value) is type(o) and value == o for o in self.options)

    def clip(self, value: Any) -> Any:
        """``value`` if allowed, else the nearest numeric option (or the first option)."""
        if self.contains(value):
            return value
        numeric = [o for o in self.options if isinstance(o, (int, float)) and not isinstance(o, bool)]
        if numeric and isinstance(value, (int, float)):
            return min(numeric, key=lambda o: abs(o - value))
        return self.options[0]

    @property
    def size(self) -> int:
        return len(self.options)

    def to_dict(self) -> dict[str, Any]:
        return {"type": "choice", "options": list(self.options)}


Domain = Union[Real, Integer, Choice]


def domain_from_dict(data: Mapping[str, Any]) -> Domain:
    """Inverse of ``Domain.to_dict`` (used for config.json and checkpoints)."""
    try:
        kind = data["type"]
        if kind == "real":
            return Real(float(data["low"]), float(data["high"]), bool(data.get("log", False)))
        if kind == "integer":
            return Integer(int(data["low"]), int(data["high"]), bool(data.get("log", False)))
        if kind == "choice":
            return Choice(tuple(data["options"]))
    except (KeyError, TypeError, ValueError) as exc:
        raise SearchSpaceError(f"malformed domain {data!r}: {exc}") from None
    raise SearchSpaceError(f"unknown domain type {data.get('type')!r} (real, integer, choice)")


def default_hyperparameters() -> dict[str, Domain]:
    """The paper's hyperparameter genes and ranges."""
    return {
        "learning_rate": Real(1e-4, 1e-1, log=True),
        "batch_size": Choice((16, 32, 64, 128)),
        "optimizer": Choice(("adam", "sgd", "rmsprop")),
        "dropout": Real(0.0, 0.5),
        "epochs": Integer(1, 10),
    }


def default_layer_domains() -> dict[str, dict[str, Domain]]:
    """Per-kind domains of the layer genes."""
    return {
        "conv": {
            "filters": Integer(8, 128, log=True),
            "kernel_size": Choice((3, 5)),
            "activation": Choice(("relu", "elu", "tanh")),
            "pooling": Choice(("max", "avg", "none")),
        },
        "rnn": {"units": Integer(8, 128, log=True), "activation": Choice(("tanh", "relu"))},
        "dense": {"units": Integer(8, 256, log=True), "activation": Choice(("relu", "elu", "tanh"))},
        "dropout": {"rate": Real(0.0, 0.5)},
    }


@dataclass(frozen=True)
class SearchSpace:
    """Every gene's domain plus the layer-count bounds of one model family.

    Args:
        family: model family name; decides which layer kinds may appear, and in what order.
        hyperparameters: hyperparameter name -> domain.
        layers: layer kind -> field -> domain. Kinds outside the family are ignored;
            every kind the family allows must be present with all its fields.
        min_layers, max_layers: bounds on the number of layer genes (dropout included).

    Construction validates everything and raises :class:`SearchSpaceError` with a clear
    message for inverted ranges, empty choices, ``min_layers > max_layers`` and unknown
    kinds or fields.
    """

    family: str = "cnn"
    hyperparameters: Mapping[str, Domain] = field(default_factory=default_hyperparameters)
    layers: Mapping[str, Mapping[str, Domain]] = field(default_factory=default_layer_domains)
    min_layers: int = 3
    max_layers: int = 7

    def __post_init__(self) -> None:
        object.__setattr__(self, "hyperparameters", dict(self.hyperparameters))
        object.__setattr__(self, "layers", {k: dict(v) for k, v in self.layers.items()})
        self.validate()

    # -- validation ---------------------------------------------------------------
    def validate(self) -> None:
        try:
            fam = get_family(self.family)
        except UnknownNameError as exc:
            raise SearchSpaceError(str(exc)) from None
        if not (isinstance(self.min_layers, int) and isinstance(self.max_layers, int)):
            raise SearchSpaceError("min_layers and max_layers must be integers")
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
            _check_domain(f"hyperparameter {name!r}", dom)
        for kind, fields in self.layers.items():
            if kind not in LAYER_KINDS:
                raise SearchSpaceError(
                    f"unknown layer kind {kind!r}; known kinds: {', '.join(sorted(LAYER_KINDS))}"
                )
            expected = set(gene_fields(kind))
            if set(fields) != expected:
                raise SearchSpaceError(
                    f"layer kind {kind!r} needs domains for {sorted(expected)}, got {sorted(fields)}"
                )
            for fname, dom in fields.items():
                _check_domain(f"{kind}.{fname}", dom)
        missing = [k for k in fam.kinds if k not in self.layers]
        if missing:
            raise SearchSpaceError(f"family {fam.name!r} needs domains for layer kinds {missing}")

    # -- structure ----------------------------------------------------------------
    @property
    def family_rules(self) -> Family:
        return get_family(self.family)

    @property
    def kinds(self) -> tuple[str, ...]:
        """Layer kinds that may appear in genomes of this space."""
        return self.family_rules.kinds

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
        cls = layer_class(kind)
        return cls(**{f: d.sample(rng) for f, d in self.layers[kind].items()})

    def sample_hyperparameters(self, rng: np.random.Generator) -> dict[str, Any]:
        return {name: dom.sample(rng) for name, dom in self.hyperparameters.items()}

    def sample_genome(
        self, rng: np.random.Generator, n_layers: int | None = None, birth: int = 0, cls: type = Genome
    ) -> Genome:
        """A uniformly random valid genome.

        The number of layers is uniform in ``[min_layers, max_layers]``; kinds are drawn
        uniformly from the family's kinds, the required kinds are guaranteed, and the
        layers are put in the family's stage order.
        """
        fam = self.family_rules
        n = int(rng.integers(self.min_layers, self.max_layers + 1)) if n_layers is None else n_layers
        kinds = [fam.kinds[int(i)] for i in rng.integers(len(fam.kinds), size=n)]
        slots = rng.permutation(n)
        for slot, kind in zip(slots, fam.required):
            kinds[int(slot)] = kind
        layers = [self.sample_layer(k, rng) for k in kinds]
        return cls(order_layers(layers, fam), self.sample_hyperparameters(rng), family=self.family, birth=birth)

    # -- checking -----------------------------------------------------------------
    def violations(self, genome: Genome) -> list[str]:
        """Every reason ``genome`` is not a valid member of this space (empty if valid)."""
        problems = []
        if genome.family != self.family:
            problems.append(f"genome family {genome.family!r} differs from space family {self.family!r}")
        if not self.min_layers <= len(genome) <= self.max_layers:
            problems.append(f"{len(genome)} layers outside [{self.min_layers}, {self.max_layers}]")
        problems += self.family_rules.violations(genome)
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


def _check_domain(name: str, dom: Any) -> None:
    if not isinstance(dom, (Real, Integer, Choice)):
        raise SearchSpaceError(f"{name}: expected Real, Integer or Choice, got {dom!r}")
    dom.validate(name)


def order_layers(layers: list[LayerGene], family: Family) -> list[LayerGene]:
    """Put layers in the family's stage order; dropout layers keep their positions.

    Non-dropout layers are stably sorted by stage; each dropout layer is re-inserted at
    its original index (so ``conv, dropout, dense`` stays as it is).
    """
    body = sorted((g for g in layers if g.kind != DROPOUT), key=lambda g: family.stage(g.kind))
    result = list(body)
    for index, gene in enumerate(layers):
        if gene.kind == DROPOUT:
            result.insert(min(index, len(result)), gene)
    return result
