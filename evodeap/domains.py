"""Gene domains: the value sets of every gene, mapped to and from the unit interval.

Three domain types cover every gene:

* :class:`Real` — a float in ``[low, high]``, optionally on a log scale;
* :class:`Integer` — an int in ``[low, high]``, optionally on a log scale;
* :class:`Choice` — one of a tuple of options.

Each domain maps its values to and from the unit interval, so mutation and
refinement can work uniformly: for a linear domain ``u = (v - low) / (high - low)``,
for a log domain ``u = (ln v - ln low) / (ln high - ln low)``; a choice maps option
``i`` of ``n`` to ``(i + 0.5) / n``.

This module imports nothing else of evodeap's but its errors, so layer kinds
(:mod:`evodeap.kinds`) and search spaces (:mod:`evodeap.genome.space`) can both use it.
"""
from __future__ import annotations

import math
import numbers
from dataclasses import dataclass
from typing import Any, Mapping, Union

import numpy as np

from evodeap.errors import SearchSpaceError


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


#: the largest magnitude of a gene bound: past it a range is a typo (1e30), not a search space
MAX_BOUND = 1e9
#: the most options a choice may have
MAX_OPTIONS = 10_000


def _check_range(name: str, low: float, high: float, log: bool) -> None:
    """Bounds that are real numbers within ±:data:`MAX_BOUND`, ``low <= high``, and ``low > 0``
    on a log scale (a clear error otherwise)."""
    for bound in (low, high):
        if isinstance(bound, bool) or not isinstance(bound, numbers.Real) or not math.isfinite(bound) \
                or abs(bound) > MAX_BOUND:
            raise SearchSpaceError(f"{name}: bounds must be finite numbers within ±{MAX_BOUND:g}, got [{low!r}, {high!r}]")
    if not isinstance(log, bool):
        raise SearchSpaceError(f"{name}: log must be true or false, got {log!r}")
    if low > high:
        raise SearchSpaceError(f"{name}: inverted range [{low}, {high}] (low > high)")
    if log and low <= 0:
        raise SearchSpaceError(f"{name}: a log-scaled range needs low > 0, got {low}")


@dataclass(frozen=True)
class Real:
    """A float in ``[low, high]``; ``log=True`` samples and mutates on a log scale."""

    low: float
    high: float
    log: bool = False

    def validate(self, name: str) -> None:
        _check_range(name, self.low, self.high, self.log)

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
        _check_range(name, self.low, self.high, self.log)
        if int(self.low) != self.low or int(self.high) != self.high:
            raise SearchSpaceError(f"{name}: integer bounds must be whole numbers")

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
        try:  # (type, value) of each option, for a constant-time contains()
            members = frozenset((type(o), o) for o in self.options)
        except TypeError:  # an unhashable option: contains() compares one by one
            members = None
        object.__setattr__(self, "_members", members)

    def validate(self, name: str) -> None:
        if not self.options:
            raise SearchSpaceError(f"{name}: a choice needs at least one option")
        if len(self.options) > MAX_OPTIONS:
            raise SearchSpaceError(f"{name}: a choice has at most {MAX_OPTIONS} options, got {len(self.options)}")
        for option in self.options:
            if isinstance(option, float) and not math.isfinite(option):
                raise SearchSpaceError(f"{name}: options must be finite, got {option!r}")
        if len(set(self.options)) != len(self.options):
            raise SearchSpaceError(f"{name}: duplicate options in {list(self.options)}")

    def to_unit(self, value: Any) -> float:
        return (self.options.index(value) + 0.5) / len(self.options)

    def from_unit(self, u: float) -> Any:
        return self.options[min(len(self.options) - 1, max(0, int(u * len(self.options))))]

    def sample(self, rng: np.random.Generator) -> Any:
        return self.options[int(rng.integers(len(self.options)))]

    def contains(self, value: Any) -> bool:
        if self._members is not None:
            try:
                return (type(value), value) in self._members
            except TypeError:  # an unhashable value is none of the (hashable) options
                return False
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


def check_domain(name: str, dom: Any) -> None:
    """Raise :class:`SearchSpaceError` unless ``dom`` is a valid Real, Integer or Choice."""
    if not isinstance(dom, (Real, Integer, Choice)):
        raise SearchSpaceError(f"{name}: expected Real, Integer or Choice, got {dom!r}")
    dom.validate(name)
