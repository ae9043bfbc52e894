"""The typed field table: every experiment setting's type, range and upper bound, checked in one place.

:data:`FIELDS` gives each field of :class:`~evodeap.config.settings.ExperimentConfig` a
:class:`Field` (a test keeps the table and the dataclass in step), :data:`PARAMETERS` the
parameters of the built-in operators by name, and :data:`SCHEDULE_PARAMETERS` those of the
named schedules. :func:`check_settings` checks a config against the table before anything
else looks at it — :meth:`ExperimentConfig.validate` calls it first, and ``evodeap run``
validates before it creates a run directory — so a value of the wrong type, NaN, an
infinity where none is meant, or a number past its bound (``population_size=1e20``, a
seed of 2⁶⁴, ``true`` for an integer, ``"yes"`` for a boolean, ``name=null``) gets one
:class:`~evodeap.errors.ConfigError` naming the setting, what it takes and what it got.

Types: ``bool`` is not an integer here (Python's ``True == 1`` is refused), an integer is
accepted where a real number is asked for, and NaN is never a number. Bounds are there to
refuse what cannot be meant (a population of 10²⁰ hangs until memory runs out), not to
limit research: see the table in docs/core.md.
"""
from __future__ import annotations

import inspect
import math
import numbers
import re
from dataclasses import dataclass
from typing import Any, Callable, Mapping

from evodeap.errors import ConfigError

#: the largest ``seed``: numpy's, TensorFlow's and SQLite's integers all hold it (2³² − 1)
MAX_SEED = 2**32 - 1
#: the largest magnitude of a number inside an operator's or schedule's parameters
MAX_MAGNITUDE = 1e9
#: how deep a mapping setting may nest, and how many entries it may hold in all
MAX_DEPTH, MAX_ENTRIES = 8, 10_000
#: a run name: it becomes part of a folder name (``runs/<name>-<timestamp>``)
NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 _.,+=()\[\]-]{0,99}$")


@dataclass(frozen=True)
class Field:
    """One setting's type and range.

    Attributes:
        kind: ``int``, ``real``, ``bool``, ``text`` (a name matching :data:`NAME_PATTERN`),
            ``choice`` (one of ``choices``), ``spec`` (a registered name or a callable),
            ``mapping`` (string keys, bounded depth and size), ``schedule`` (a number, a
            ``{"name": ...}`` mapping or a callable) or ``any`` (checked elsewhere).
        low, high: the closed range of a number (``open_low``: ``low`` itself excluded;
            ``finite=False``: ±inf allowed too).
        optional: ``None`` is allowed too.
        choices: the values of a ``choice``.
        what: how a message names a number (default: "an integer", "a number").
    """

    kind: str
    low: float | None = None
    high: float | None = None
    optional: bool = False
    open_low: bool = False
    choices: tuple = ()
    finite: bool = True
    what: str = ""

    def describe(self) -> str:
        """What the setting takes, as a message says it."""
        if self.kind in ("int", "real"):
            what = self.what or ("an integer" if self.kind == "int" else "a number")
            low = "(" if self.open_low else "["
            text = f"{what} in {low}{_num(self.low)}, {_num(self.high)}]" if self.finite else f"{what} (inf allowed)"
        else:
            text = {"bool": "true or false", "text": "a name of 1–100 letters, digits, spaces or _.,+=()[]-",
                    "choice": "one of " + ", ".join(repr(c) for c in self.choices),
                    "spec": "a registered name or a callable", "mapping": "a mapping of names to values",
                    "schedule": "a number, a schedule {\"name\": ...} or a callable", "any": "a value"}[self.kind]
        return text + (" or null" if self.optional else "")

    def check(self, name: str, value: Any) -> None:
        """Raise one :class:`ConfigError` unless ``value`` fits this field."""
        if value is None and self.optional:
            return
        if not self._fits(value):
            raise ConfigError(f"{name} must be {self.describe()}, got {value!r}")
        if self.kind == "mapping":
            check_plain(name, value)

    def _fits(self, value: Any) -> bool:
        kind = self.kind
        if kind == "int":
            return is_int(value) and self.low <= value <= self.high
        if kind == "real":
            if not is_real(value) or (self.finite and not math.isfinite(value)):
                return False
            return (self.low < value if self.open_low else self.low <= value) and value <= self.high
        if kind == "bool":
            return isinstance(value, bool)
        if kind == "text":
            return isinstance(value, str) and bool(NAME_PATTERN.match(value))
        if kind == "choice":
            return isinstance(value, str) and value in self.choices
        if kind == "spec":
            return (isinstance(value, str) and 0 < len(value) <= 200) or callable(value)
        if kind == "mapping":
            return isinstance(value, Mapping)
        if kind == "schedule":
            return callable(value) or isinstance(value, Mapping) or (is_real(value) and not math.isnan(value))
        return True


def _num(value: float) -> str:
    return f"{value:g}" if isinstance(value, float) else f"{value:,}".replace(",", "_")


def is_int(value: Any) -> bool:
    """An integer that is not a bool."""
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def is_real(value: Any) -> bool:
    """A real number that is not a bool and not NaN (infinities pass: the caller bounds them)."""
    return isinstance(value, numbers.Real) and not isinstance(value, bool) and not math.isnan(value)


def Int(low: int, high: int, **kw: Any) -> Field:  # noqa: N802 (reads as a type in the table)
    return Field("int", low, high, **kw)


def Real(low: float, high: float, **kw: Any) -> Field:  # noqa: N802
    return Field("real", float(low), float(high), **kw)


PROBABILITY = Real(0, 1)

#: every setting of ExperimentConfig: type, range, bound (relations between settings — elitism
#: below population_size, a fixed genome inside the space — are checked by ``validate``)
FIELDS: dict[str, Field] = {
    "name": Field("text"),
    "space": Field("any"),  # a SearchSpace: validates itself (domains.py bounds every gene)
    "fitness": Field("spec"),
    "fitness_params": Field("mapping"),
    "population_size": Int(2, 100_000),
    "generations": Int(0, 1_000_000),
    "crossover": Field("spec"),
    "crossover_params": Field("mapping"),
    "mutation": Field("spec"),
    "mutation_params": Field("mapping"),
    "selection": Field("spec"),
    "selection_params": Field("mapping"),
    "survival": Field("spec", optional=True),
    "survival_params": Field("mapping"),
    "cxpb": PROBABILITY,
    "mutpb": PROBABILITY,
    "elitism": Int(0, 100_000),
    "mutation_rate": Field("schedule", optional=True),  # null: no μ(t) (a mutation without indpb)
    "selection_pressure": Field("schedule", optional=True),
    "refine_every": Int(0, 1_000_000),
    "refine_top": Real(0, 1, open_low=True),
    "refine_epsilon": Real(0, 1),
    "refine_min_width": Real(0, 1, open_low=True),
    "hall_of_fame_size": Int(1, 10_000),
    "failure_fitness": Real(-1e12, 1e12, optional=True, what="a finite number"),
    "seed": Int(0, MAX_SEED),
    "executor": Field("spec"),
    "workers": Int(1, 1024),
    "executor_params": Field("mapping"),
    "tensorboard": Field("bool"),
    "mlflow": Field("any"),  # true/false/null or a mapping: check_mlflow_settings
    "strategy": Field("choice", choices=("evolve", "fixed", "random")),
    "fixed_genome": Field("mapping", optional=True),
    "fixed_schedule": Field("choice", choices=("repeat", "continue")),
    "multi_fidelity": Field("mapping", optional=True),
    "inheritance": Field("bool"),
    "early_termination": Field("mapping", optional=True),
    "compute_budget": Real(0, 1e30, optional=True, open_low=True, what="a number of training FLOPs"),
    "invalid_offspring": Field("choice", choices=("repair", "error")),
    "max_failure_fraction": Real(0, 1, optional=True, open_low=True),
    "evaluation_timeout": Real(0, 1e7, optional=True, open_low=True, what="a number of seconds"),
    "screening": Field("mapping", optional=True),  # its keys and values: evodeap.evaluation.screening
}

#: parameters of the built-in operators, by name (a researcher's operator's parameters are
#: typed by their defaults: see :func:`parameter_field`)
PARAMETERS: dict[str, Field] = {
    "indpb": PROBABILITY, "hyperparameter_prob": PROBABILITY, "structural_prob": PROBABILITY,
    "add_prob": PROBABILITY, "remove_prob": PROBABILITY,
    "alpha": Real(0, 10), "sigma": Real(0, 10),
    "tournsize": Int(1, 10_000),
    "beta": Real(-math.inf, math.inf, finite=False),  # β = inf: always the best (docs/core.md)
    "hyperparameters": Field("choice", choices=("uniform", "blend")),
    "nd": Field("choice", choices=("standard", "log")),
}

#: ``executor_params`` of the built-in executors, by name (see evodeap.execution.executors)
EXECUTOR_PARAMETERS: dict[str, Field] = {
    "threads_per_worker": Int(1, 1024, optional=True), "recycle_after": Int(1, 10**9, optional=True),
    "retries": Int(0, 100), "num_cpus": Real(0, 1024, open_low=True), "num_gpus": Real(0, 64),
}

#: parameters of the named schedules (``maximum`` may be +inf: no cap)
SCHEDULE_PARAMETERS: dict[str, Field] = {
    name: Real(-MAX_MAGNITUDE, MAX_MAGNITUDE)
    for name in ("value", "initial", "rate", "floor", "start", "slope", "scale", "epsilon")
}


def parameter_field(name: str, default: Any) -> Field | None:
    """The field of an operator parameter: :data:`PARAMETERS`, else typed by its default
    (``None``: untyped, e.g. no default)."""
    if name in PARAMETERS:
        return PARAMETERS[name]
    if isinstance(default, bool):
        return Field("bool")
    if is_int(default):
        return Int(-int(MAX_MAGNITUDE), int(MAX_MAGNITUDE))
    if isinstance(default, float) and math.isfinite(default):
        return Real(-MAX_MAGNITUDE, MAX_MAGNITUDE)
    return None


def check_plain(name: str, value: Any, depth: int = 0, count: list[int] | None = None) -> None:
    """A mapping setting's contents: string keys, no NaN, at most :data:`MAX_DEPTH` levels and
    :data:`MAX_ENTRIES` entries in all."""
    count = [0] if count is None else count
    if depth > MAX_DEPTH:
        raise ConfigError(f"{name} nests deeper than {MAX_DEPTH} levels")
    if isinstance(value, Mapping):
        items = list(value.items())
        bad = [k for k, _ in items if not isinstance(k, str)]
        if bad:
            raise ConfigError(f"{name} must have names (strings) as keys, got {bad[0]!r}")
    elif isinstance(value, (list, tuple)):
        items = [(f"[{i}]", v) for i, v in enumerate(value)]
    else:
        if isinstance(value, float) and math.isnan(value):
            raise ConfigError(f"{name} must not be NaN")
        return
    count[0] += len(items)
    if count[0] > MAX_ENTRIES:
        raise ConfigError(f"{name} holds more than {MAX_ENTRIES} entries")
    for key, inner in items:
        check_plain(f"{name}.{key}" if not key.startswith("[") else f"{name}{key}", inner, depth + 1, count)


def check_settings(config: Any) -> None:
    """Check every field of ``config`` (an ExperimentConfig) against :data:`FIELDS`, and every
    operator parameter and schedule parameter it gives, before any other check reads them."""
    for name, spec in FIELDS.items():
        spec.check(name, getattr(config, name))
    for name in ("mutation_rate", "selection_pressure"):
        check_schedule(name, getattr(config, name))


def check_schedule(setting: str, spec: Any) -> None:
    """A schedule given as a mapping: each numeric parameter a real number within
    ±:data:`MAX_MAGNITUDE` (``maximum`` may be +inf); ``mutation_rate``'s values are probabilities."""
    if isinstance(spec, Mapping):
        for key, value in spec.items():
            if key == "name":
                continue
            where = f"{setting}.{key}"
            if key == "maximum":
                if not is_real(value) or value == -math.inf or (math.isfinite(value) and abs(value) > MAX_MAGNITUDE):
                    raise ConfigError(f"{where} must be a number (inf: no cap), got {value!r}")
            elif key in SCHEDULE_PARAMETERS:
                SCHEDULE_PARAMETERS[key].check(where, value)
            if setting == "mutation_rate" and key in ("value", "initial", "floor"):
                PROBABILITY.check(where, value)
    elif setting == "mutation_rate" and not callable(spec) and spec is not None:
        PROBABILITY.check(setting, spec)


def check_parameters(role: str, fn: Callable, params: Mapping[str, Any],
                     table: Mapping[str, Field] = PARAMETERS) -> None:
    """Each of ``params`` (an operator's or executor's ``*_params``) checked against its field:
    ``table``'s, else the one its default implies (:func:`parameter_field`)."""
    try:
        signature = inspect.signature(fn)
    except (TypeError, ValueError):
        return
    for key, value in params.items():
        parameter = signature.parameters.get(key)
        default = None if parameter is None or parameter.default is parameter.empty else parameter.default
        spec = table[key] if key in table else parameter_field(key, default)
        if spec is not None:
            spec.check(f"{role}_params.{key}", value)


def markdown() -> str:
    """The table of settings and what each takes, as docs/core.md holds it (generated)."""
    rows = ["| setting | takes |", "|---|---|"]
    rows += [f"| `{name}` | {spec.describe()} |" for name, spec in FIELDS.items() if spec.kind != "any"]
    rows += [f"| `*_params.{name}` | {spec.describe()} |" for name, spec in {**PARAMETERS, **EXECUTOR_PARAMETERS}.items()]
    return "\n".join(rows) + "\n"


__all__ = ["EXECUTOR_PARAMETERS", "FIELDS", "Field", "MAX_SEED", "PARAMETERS", "SCHEDULE_PARAMETERS", "check_parameters",
           "check_plain", "check_schedule", "check_settings", "is_int", "is_real", "markdown", "parameter_field"]
