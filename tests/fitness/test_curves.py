"""Learning-curve early termination: the optimistic bound, the stop rule, k-th best, the callback."""
from __future__ import annotations

import math
import os
import subprocess
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evodeap.errors import ConfigError
from evodeap.evaluation.curves import kth_best, optimistic_final, should_terminate

INF, NAN = math.inf, math.nan


# -- optimistic_final: v_e + remaining · max(0, best one-epoch improvement) -------------------


@pytest.mark.parametrize(
    ("curve", "remaining", "expected"),
    [
        ([0.25, 0.5, 0.625], 4, 0.625 + 4 * 0.25),  # rising: best step is the first
        ([0.5, 0.625, 0.875], 2, 0.875 + 2 * 0.25),  # rising: best step is the last
        ([0.5, 0.5, 0.5], 10, 0.5),  # flat: s = 0
        ([0.75, 0.5, 0.25], 3, 0.25),  # falling: s = max(0, −0.25) = 0, bound = last value
        ([0.5, 0.75, 0.25, 0.375], 2, 0.375 + 2 * 0.25),  # noisy: best step 0.25 from anywhere
        ([0.5, 0.75], 0, 0.75),  # nothing left: the last value
        ([0.0, 0.125], 1, 0.25),
    ],
)
def test_optimistic_final_exact(curve, remaining, expected):
    assert optimistic_final(curve, remaining) == expected


@pytest.mark.parametrize("curve", [[], [0.3]])
def test_optimistic_final_without_a_slope_is_infinite(curve):
    assert optimistic_final(curve, 5) == INF
    assert optimistic_final(curve, 0) == INF


@pytest.mark.parametrize("curve", [[0.1, NAN, 0.3], [0.1, 0.2, NAN], [0.1, INF], [-INF, 0.2], [NAN]])
def test_optimistic_final_of_a_non_finite_curve_is_nan(curve):
    assert math.isnan(optimistic_final(curve, 3))


def test_optimistic_final_accepts_numpy_values_and_rejects_negative_remaining():
    assert optimistic_final(np.array([0.25, 0.5], dtype=np.float32), 1) == 0.75
    with pytest.raises(ValueError, match="remaining"):
        optimistic_final([0.1, 0.2], -1)


# -- should_terminate ----------------------------------------------------------------------


def test_should_terminate_when_bound_below_threshold():
    # bound = 0.625 + 2 · 0.125 = 0.875
    assert should_terminate([0.5, 0.625], 2, 0.9)
    assert should_terminate([0.5, 0.625], 2, 0.875 + 1e-12)


def test_bound_equal_to_threshold_keeps_training():
    assert optimistic_final([0.5, 0.625], 2) == 0.875
    assert not should_terminate([0.5, 0.625], 2, 0.875)


def test_no_threshold_never_terminates():
    assert not should_terminate([0.9, 0.1], 5, None)


def test_no_epochs_left_never_terminates():
    assert not should_terminate([0.1, 0.1], 0, 0.9)
    assert not should_terminate([0.1, 0.1], -3, 0.9)


def test_min_epochs_counts_observed_points():
    curve = [0.1, 0.1, 0.1]
    assert not should_terminate(curve[:1], 5, 0.9)  # one point: no slope, bound +inf anyway
    assert should_terminate(curve[:2], 5, 0.9)
    assert not should_terminate(curve[:2], 5, 0.9, min_epochs=3)
    assert should_terminate(curve, 5, 0.9, min_epochs=3)


@pytest.mark.parametrize("min_epochs", [1, 0, -2])
def test_min_epochs_below_two_is_rejected(min_epochs):
    with pytest.raises(ConfigError, match="min_epochs"):
        should_terminate([0.1, 0.2], 3, 0.9, min_epochs=min_epochs)
    assert issubclass(ConfigError, ValueError)


def test_nan_curve_or_threshold_never_terminates():
    assert not should_terminate([0.1, NAN], 3, 0.9)
    assert not should_terminate([0.1, 0.1], 3, NAN)


def test_a_curve_that_later_speeds_up_can_be_stopped():
    """The rule's documented limit: it is optimistic only for curves whose increments shrink."""
    full = [0.5, 0.5, 0.5, 1.0]  # plateau, then a jump: the increments grow
    assert should_terminate(full[:3], 1, 0.75)  # stopped, though the curve would have reached 1.0


# hypothesis: a concave-increasing curve that reaches θ by its end is never stopped

# Dyadic values (multiples of 2⁻¹⁰, small) keep every sum and product exact, so the
# property is tested for the rule itself, not for float rounding of v_e + r·s.
_STEP = 2.0**-10


@st.composite
def concave_curves(draw: st.DrawFn) -> list[float]:
    start = draw(st.integers(-1024, 1024))
    steps = draw(st.lists(st.integers(1, 1024), min_size=0, max_size=30))
    steps.sort(reverse=True)  # positive, non-increasing increments: concave and increasing
    values, total = [], start
    values.append(total * _STEP)
    for step in steps:
        total += step
        values.append(total * _STEP)
    return values


@settings(max_examples=300, deadline=None)
@given(
    curve=concave_curves(),
    shortfall=st.floats(0.0, 100.0, allow_nan=False),
    min_epochs=st.integers(2, 6),
)
def test_never_stops_a_concave_curve_that_reaches_the_threshold(curve, shortfall, min_epochs):
    threshold = curve[-1] - shortfall  # reached by the end (rounding can only lower it)
    assert threshold <= curve[-1]
    n = len(curve)
    for e in range(1, n + 1):
        assert not should_terminate(curve[:e], n - e, threshold, min_epochs), (e, curve, threshold)
        assert optimistic_final(curve[:e], n - e) >= curve[-1]


@settings(max_examples=200, deadline=None)
@given(
    curve=st.lists(st.floats(-1e6, 1e6, allow_nan=False), min_size=1, max_size=20),
    remaining=st.integers(0, 50),
    below=st.floats(0.0, 1e6, allow_nan=False),
)
def test_never_stops_a_curve_already_at_the_threshold(curve, remaining, below):
    """s ≥ 0, so the bound is at least the last value: a model already there is kept."""
    assert optimistic_final(curve, remaining) >= curve[-1]
    assert not should_terminate(curve, remaining, curve[-1] - below)


# -- kth_best ------------------------------------------------------------------------------


def test_kth_best_orders_descending_and_counts_ties():
    values = [0.3, 0.9, 0.5, 0.9, 0.1]
    assert [kth_best(values, k) for k in range(1, 6)] == [0.9, 0.9, 0.5, 0.3, 0.1]


def test_kth_best_ignores_non_finite_values():
    values = [NAN, 0.4, INF, 0.7, -INF, NAN, 0.2]
    assert kth_best(values, 1) == 0.7
    assert kth_best(values, 3) == 0.2
    assert kth_best(values, 4) is None


def test_kth_best_with_too_few_values_is_none():
    assert kth_best([], 1) is None
    assert kth_best([0.5], 2) is None
    assert kth_best(iter([0.5, 0.6]), 2) == 0.5  # any iterable, consumed once


@pytest.mark.parametrize("k", [0, -1])
def test_kth_best_rejects_k_below_one(k):
    with pytest.raises(ConfigError, match="k must be"):
        kth_best([0.5], k)


def test_importing_the_rule_does_not_import_keras():
    code = (
        "import sys, evodeap.evaluation.curves as c; c.kth_best([1.0], 1); "
        "assert 'keras' not in sys.modules and 'tensorflow' not in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)


# -- LearningCurveStopper on a real tiny Keras model ---------------------------------------


class Scripted:
    """``score(model)`` returning the next scripted value, recording the models it saw."""

    def __init__(self, values):
        self.values = list(values)
        self.models = []

    def __call__(self, model):
        self.models.append(model)
        return self.values[len(self.models) - 1]


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    return rng.normal(size=(16, 3)).astype("float32"), rng.normal(size=(16, 1)).astype("float32")


def _fit(data, epochs, stopper):
    import keras

    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    history = model.fit(*data, epochs=epochs, batch_size=8, verbose=0, callbacks=[stopper])
    return model, history


def test_stopper_stops_after_the_expected_epoch(data):
    from evodeap.evaluation.curves import LearningCurveStopper

    values = [0.5, 0.7, 0.72, 0.73, 0.74]
    score = Scripted(values)
    stopper = LearningCurveStopper(score, total_epochs=5, threshold=1.0)
    # e=2: 0.7 + 3·0.2 = 1.3, e=3: 0.72 + 2·0.2 = 1.12 keep going; e=4: 0.73 + 0.2 < 1.0 stops
    model, history = _fit(data, 5, stopper)
    assert stopper.terminated and stopper.stopped_after == 4
    assert len(history.history["loss"]) == 4
    assert stopper.curve == values[:4]
    assert stopper.bound == optimistic_final(values[:4], 1) == pytest.approx(0.93)
    assert all(m is model for m in score.models)


def test_stopper_without_threshold_trains_every_epoch(data):
    from evodeap.evaluation.curves import LearningCurveStopper

    stopper = LearningCurveStopper(Scripted([0.1, 0.1, 0.1]), total_epochs=3, threshold=None)
    _, history = _fit(data, 3, stopper)
    assert not stopper.terminated and stopper.stopped_after is None and stopper.bound is None
    assert len(history.history["loss"]) == 3 and stopper.curve == [0.1, 0.1, 0.1]


def test_prefix_counts_as_observed_epochs_but_not_in_the_budget(data):
    from evodeap.evaluation.curves import LearningCurveStopper

    values = [0.62, 0.63, 0.64]
    # Without a prefix one point has no slope: e=2 gives 0.63 + 1·0.01 < 1.0, stop after 2.
    alone = LearningCurveStopper(Scripted(values), total_epochs=3, threshold=1.0)
    _, history = _fit(data, 3, alone)
    assert alone.stopped_after == 2 and len(history.history["loss"]) == 2
    # With the earlier round's curve the slope is known at once: (0.5, 0.6, 0.62) with two
    # epochs left gives 0.62 + 2·0.1 = 0.82 < 1.0, stop after the first epoch of this fit.
    warm = LearningCurveStopper(Scripted(values), total_epochs=3, threshold=1.0, prefix=[0.5, 0.6])
    _, history = _fit(data, 3, warm)
    assert warm.stopped_after == 1 and len(history.history["loss"]) == 1
    assert warm.curve == [0.62] and warm.prefix == (0.5, 0.6)
    assert warm.bound == optimistic_final([0.5, 0.6, 0.62], 2)
    # The prefix satisfies min_epochs too: with min_epochs=3 it still stops after one epoch.
    warm3 = LearningCurveStopper(
        Scripted(values), total_epochs=3, threshold=1.0, min_epochs=3, prefix=[0.5, 0.6]
    )
    _fit(data, 3, warm3)
    assert warm3.stopped_after == 1


def test_stopper_rejects_bad_arguments_and_resets_per_fit(data):
    from evodeap.evaluation.curves import LearningCurveStopper

    with pytest.raises(ConfigError, match="min_epochs"):
        LearningCurveStopper(Scripted([]), total_epochs=3, threshold=0.5, min_epochs=1)
    with pytest.raises(ConfigError, match="total_epochs"):
        LearningCurveStopper(Scripted([]), total_epochs=-1, threshold=0.5)
    stopper = LearningCurveStopper(Scripted([0.1, 0.1, 0.1, 0.1]), total_epochs=3, threshold=0.5)
    _fit(data, 3, stopper)
    assert stopper.stopped_after == 2 and stopper.curve == [0.1, 0.1]
    _fit(data, 3, stopper)  # a second fit starts a fresh curve
    assert stopper.stopped_after == 2 and stopper.curve == [0.1, 0.1]
