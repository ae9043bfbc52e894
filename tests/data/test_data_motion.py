"""Motion rules per version: velocity set, start range, bounce points, hidden margin."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evodeap.data.motion import (
    MAX_X,
    MAX_Y,
    RULES,
    draw_starts,
    draw_velocities,
    fully_visible,
    rules_for,
    trajectories,
)
from evodeap.errors import DataError


def test_velocity_set_hard_and_medium():
    v = draw_velocities(np.random.default_rng(0), (20000,), 2)
    values, counts = np.unique(v, return_counts=True)
    assert values.tolist() == [-2, -1, 1, 2]
    # 0 is replaced by +1, so +1 has twice the probability: 2/5
    freq = dict(zip(values.tolist(), counts / v.size))
    assert freq[1] == pytest.approx(0.4, abs=0.01)
    assert freq[2] == pytest.approx(0.2, abs=0.01)


def test_velocity_set_easy():
    v = draw_velocities(np.random.default_rng(1), (20000,), 1)
    values, counts = np.unique(v, return_counts=True)
    assert values.tolist() == [-1, 1]
    assert counts[1] / v.size == pytest.approx(2 / 3, abs=0.01)


def test_start_offsets_cover_exact_range():
    s = draw_starts(np.random.default_rng(2), (50000,))
    assert s[:, 0].min() == -50 and s[:, 0].max() == 50
    assert s[:, 1].min() == -22 and s[:, 1].max() == 22


def _one(start, vel, frames, version):
    pos, steps = trajectories(np.array([start]), np.array([vel]), frames, rules_for(version))
    return pos[0], steps[0]


def test_easy_is_a_straight_line_without_bounce():
    pos, steps = _one((49, 21), (1, 1), 10, "easy")
    assert pos[:, 0].tolist() == list(range(49, 59))
    assert pos[:, 1].tolist() == list(range(21, 31))
    assert (steps == (1, 1)).all()


def test_medium_bounces_when_new_position_reaches_bound():
    # x: 46 -> 48 -> 50 (>= 50: flip) -> 48
    pos, steps = _one((46, 0), (2, 1), 5, "medium")
    assert pos[:, 0].tolist() == [46, 48, 50, 48, 46]
    assert steps[:, 0].tolist() == [2, 2, -2, -2]
    # y: -20 -> -22 (<= -22: flip) -> -20
    pos, _ = _one((0, -20), (1, -2), 3, "medium")
    assert pos[:, 1].tolist() == [-20, -22, -20]
    # overshoot by one pixel is possible: 49 + 2 = 51 >= 50 flips
    pos, _ = _one((49, 0), (2, 1), 3, "medium")
    assert pos[:, 0].tolist() == [49, 51, 49]


def test_hard_bounces_only_beyond_hidden_margin_strictly():
    # x reaches 78 exactly: no flip (strict), flips after 80 > 78
    pos, steps = _one((72, 0), (2, 1), 6, "hard")
    assert pos[:, 0].tolist() == [72, 74, 76, 78, 80, 78]
    assert steps[:, 0].tolist() == [2, 2, 2, 2, -2]
    pos, _ = _one((0, -47), (1, -1), 6, "hard")
    assert pos[:, 1].tolist() == [-47, -48, -49, -50, -51, -50]


def test_hard_digits_leave_the_frame_completely_and_return():
    pos, _ = _one((50, -20), (2, 1), 40, "hard")
    assert pos[:, 0].max() == 80  # left edge at 130: fully outside the 128-wide canvas
    vis = fully_visible(pos)
    assert vis[0] and not vis[1:30].any() and vis[30:].all()


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), version=st.sampled_from(["medium", "hard"]))
def test_positions_stay_within_bounce_band(seed, version):
    rng = np.random.default_rng(seed)
    rules = RULES[version]
    start = draw_starts(rng, (30,))
    vel = draw_velocities(rng, (30,), rules.max_speed)
    pos, steps = trajectories(start, vel, 60, rules)
    bx, by = rules.bounce
    assert np.abs(pos[..., 0]).max() <= bx + 2
    assert np.abs(pos[..., 1]).max() <= by + 2
    assert np.array_equal(np.diff(pos, axis=-2), steps)
    assert set(np.abs(steps).ravel().tolist()) <= {1, 2}


def test_fully_visible_boundary():
    p = np.array([[50, 22], [-50, -22], [51, 0], [0, -23]])
    assert fully_visible(p).tolist() == [True, True, False, False]
    assert (MAX_X, MAX_Y) == (50, 22)


def test_unknown_version_and_bad_frames():
    with pytest.raises(DataError, match="unknown dataset version"):
        rules_for("extreme")
    with pytest.raises(DataError, match="frames"):
        trajectories(np.zeros((1, 2)), np.ones((1, 2)), 0, rules_for("easy"))
