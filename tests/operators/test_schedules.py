"""Schedules: formulas, JSON description and make_schedule."""
from __future__ import annotations

import math

import pytest

from evodeap.errors import ConfigError, UnknownNameError
from evodeap.operators.registry import SCHEDULES
from evodeap.operators.schedules import (
    Constant,
    ConvergenceDriven,
    ExponentialDecay,
    ExponentialIncrease,
    LinearIncrease,
    PopulationStats,
    describe_schedule,
    make_schedule,
)


def stats(std: float) -> PopulationStats:
    return PopulationStats(best=1.0, mean=0.5, std=std, worst=0.0)


@pytest.mark.parametrize("t", [0, 1, 5, 17, 100])
def test_exponential_decay_formula(t):
    s = ExponentialDecay(initial=0.05, rate=0.1)
    assert s(t, None) == pytest.approx(0.05 * math.exp(-0.1 * t), rel=1e-15)
    assert s(0) == 0.05


def test_exponential_decay_floor_and_monotone():
    s = ExponentialDecay(initial=0.05, rate=0.5, floor=0.01)
    values = [s(t) for t in range(20)]
    assert all(a >= b for a, b in zip(values, values[1:]))
    assert values[-1] == 0.01 and min(values) == 0.01
    assert values[1] == pytest.approx(0.05 * math.exp(-0.5))


def test_constant_and_linear():
    assert Constant(2.5)(0) == 2.5 and Constant(2.5)(99, stats(1.0)) == 2.5
    lin = LinearIncrease(start=1.0, slope=0.5, maximum=3.0)
    assert [lin(t) for t in range(6)] == [1.0, 1.5, 2.0, 2.5, 3.0, 3.0]
    assert LinearIncrease(0.0, 2.0)(1000) == 2000.0


def test_exponential_increase_with_maximum():
    s = ExponentialIncrease(start=0.5, rate=0.3, maximum=4.0)
    assert s(0) == 0.5
    assert s(2) == pytest.approx(0.5 * math.exp(0.6), rel=1e-15)
    assert s(100) == 4.0
    values = [s(t) for t in range(30)]
    assert all(a <= b for a, b in zip(values, values[1:]))


def test_convergence_driven_grows_as_spread_shrinks():
    s = ConvergenceDriven(scale=2.0, maximum=50.0, epsilon=1e-6)
    betas = [s(0, stats(std)) for std in (1.0, 0.5, 0.1, 0.05)]
    assert betas == pytest.approx([2.0, 4.0, 20.0, 40.0])
    assert all(a < b for a, b in zip(betas, betas[1:]))
    assert s(0, stats(0.0)) == 50.0 and s(0, stats(1e-12)) == 50.0
    assert s(0, None) == 50.0
    assert ConvergenceDriven(scale=1.0, maximum=math.inf, epsilon=1e-3)(0, stats(0.0)) == pytest.approx(1000.0)


def test_make_schedule_from_number_mapping_callable():
    c = make_schedule(3)
    assert isinstance(c, Constant) and c(5) == 3.0 and isinstance(c(5), float)
    assert make_schedule(0.25)(0) == 0.25
    d = make_schedule({"name": "exponential_decay", "initial": 0.1, "rate": 0.2})
    assert d == ExponentialDecay(0.1, 0.2) and d(3) == pytest.approx(0.1 * math.exp(-0.6))
    assert make_schedule({"name": "linear", "start": 0, "slope": 1}) == LinearIncrease(0, 1)
    assert make_schedule({"name": "exponential_increase", "start": 1, "rate": 0.1}) == ExponentialIncrease(1, 0.1)
    assert make_schedule({"name": "convergence", "scale": 3.0}) == ConvergenceDriven(scale=3.0)
    assert make_schedule({"name": "constant", "value": 7}) == Constant(7)

    def custom(generation, population_stats):
        return generation * 2.0

    assert make_schedule(custom) is custom


def test_make_schedule_does_not_modify_its_mapping():
    spec = {"name": "linear", "start": 0, "slope": 1}
    make_schedule(spec)
    assert spec == {"name": "linear", "start": 0, "slope": 1}


@pytest.mark.parametrize(
    "spec, error, fragment",
    [
        (True, ConfigError, "boolean"),
        ("fast", ConfigError, "must be a number"),
        (None, ConfigError, "must be a number"),
        ({"name": "cosine"}, UnknownNameError, "known: constant, convergence"),
        ({"rate": 0.1}, UnknownNameError, "exponential_decay"),
        ({"name": "exponential_decay", "initial": 0.1}, ConfigError, "bad parameters"),
        ({"name": "constant", "value": 1, "extra": 2}, ConfigError, "bad parameters"),
    ],
)
def test_make_schedule_errors(spec, error, fragment):
    with pytest.raises(error) as info:
        make_schedule(spec)
    assert fragment in str(info.value)


@pytest.mark.parametrize(
    "schedule",
    [Constant(1.0), ExponentialDecay(0.05, 0.1, 0.01), LinearIncrease(1.0, 0.5, 10.0),
     ExponentialIncrease(1.0, 0.1, 20.0), ConvergenceDriven(2.0, 40.0, 1e-5)],
)
def test_schedule_dict_round_trips_through_make_schedule(schedule):
    d = describe_schedule(schedule)
    assert d["name"] in SCHEDULES
    assert make_schedule(d) == schedule


def test_describe_custom_callable():
    def my_mu(generation, population_stats):
        return 0.01

    assert describe_schedule(my_mu)["callable"].endswith("my_mu")
