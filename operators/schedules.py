"""Schedules: adaptive mutation rate μ(t) and selection pressure β(t).

A schedule is any callable ``schedule(generation, stats) -> float``, where ``stats`` is a
:class:`PopulationStats` of the population the next generation is bred from. The
classes here describe themselves with ``to_dict()`` so a run's config is plain JSON.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any, Callable, Mapping, Union

from evodeap.errors import ConfigError
from evodeap.operators.registry import SCHEDULES


@dataclass(frozen=True)
class PopulationStats:
    """Fitness statistics of one population (primary objective)."""

    best: float
    mean: float
    std: float
    worst: float
    diversity: float = 0.0


class _Schedule:
    def to_dict(self) -> dict[str, Any]:
        return {"name": SCHEDULES.name_of(type(self)), **asdict(self)}


@SCHEDULES.register("constant")
@dataclass(frozen=True)
class Constant(_Schedule):
    """``value`` at every generation."""

    value: float

    def __call__(self, generation: int, stats: PopulationStats | None = None) -> float:
        return float(self.value)


@SCHEDULES.register("exponential_decay")
@dataclass(frozen=True)
class ExponentialDecay(_Schedule):
    """The paper's adaptive mutation rate ``μ(t) = max(floor, μ0·e^(−λt))``."""

    initial: float
    rate: float
    floor: float = 0.0

    def __call__(self, generation: int, stats: PopulationStats | None = None) -> float:
        return max(self.floor, self.initial * math.exp(-self.rate * generation))


@SCHEDULES.register("linear")
@dataclass(frozen=True)
class LinearIncrease(_Schedule):
    """``β(t) = min(maximum, start + slope·t)``."""

    start: float
    slope: float
    maximum: float = math.inf

    def __call__(self, generation: int, stats: PopulationStats | None = None) -> float:
        return min(self.maximum, self.start + self.slope * generation)


@SCHEDULES.register("exponential_increase")
@dataclass(frozen=True)
class ExponentialIncrease(_Schedule):
    """``β(t) = min(maximum, β0·e^(rate·t))``."""

    start: float
    rate: float
    maximum: float = math.inf

    def __call__(self, generation: int, stats: PopulationStats | None = None) -> float:
        return min(self.maximum, self.start * math.exp(self.rate * generation))


@SCHEDULES.register("convergence")
@dataclass(frozen=True)
class ConvergenceDriven(_Schedule):
    """Pressure that grows as the population converges: ``β(t) = min(maximum, scale / max(σ_t, ε))``.

    ``σ_t`` is the standard deviation of the population's fitness. Since
    ``β·f_i = scale·f_i/σ_t``, Boltzmann selection then acts on fitness measured in
    standard deviations: as the spread shrinks, β rises and the same relative
    differences keep the same selective weight.
    """

    scale: float = 1.0
    maximum: float = 100.0
    epsilon: float = 1e-6

    def __call__(self, generation: int, stats: PopulationStats | None = None) -> float:
        if stats is None:
            return self.maximum
        return min(self.maximum, self.scale / max(stats.std, self.epsilon))


ScheduleLike = Union[Callable[[int, Any], float], Mapping[str, Any], float, int]


def make_schedule(spec: ScheduleLike) -> Callable[[int, Any], float]:
    """A schedule from a number (constant), ``{"name": ..., **params}`` or any callable."""
    if isinstance(spec, bool):
        raise ConfigError(f"a schedule cannot be a boolean: {spec!r}")
    if isinstance(spec, (int, float)):
        return Constant(float(spec))
    if isinstance(spec, Mapping):
        params = dict(spec)
        cls = SCHEDULES.get(params.pop("name", None))
        try:
            return cls(**params)
        except TypeError as exc:
            raise ConfigError(f"bad parameters for schedule {spec!r}: {exc}") from None
    if callable(spec):
        return spec
    raise ConfigError(f"a schedule must be a number, a mapping with 'name', or a callable; got {spec!r}")


def describe_schedule(schedule: Callable) -> Any:
    """JSON description of a schedule (its dict, or its qualified name for a custom callable)."""
    if hasattr(schedule, "to_dict"):
        return schedule.to_dict()
    return {"callable": f"{getattr(schedule, '__module__', '?')}.{getattr(schedule, '__qualname__', repr(schedule))}"}
