"""The incumbent-versus-compute curve of a search, exactly."""
import math

import numpy as np

from evodeap.efficiency import compute_to_reach, incumbent_curve, value_at


def test_incumbent_is_chosen_by_selection_score_and_reported_by_test_score():
    curve = incumbent_curve(compute=[2, 1, 3, 1], selection=[0.5, 0.4, 0.7, float("nan")], test=[0.6, 0.9, 0.5, 1.0])
    assert list(curve.compute) == [2, 3, 6, 7]
    assert list(curve.test) == [0.6, 0.6, 0.5, 0.5]  # a better validation score may test worse
    assert math.isnan(value_at(curve, 1.9))
    assert value_at(curve, 2) == 0.6 and value_at(curve, 5.99) == 0.6 and value_at(curve, 6) == 0.5


def test_ties_keep_the_first_and_compute_to_reach():
    curve = incumbent_curve([1, 1, 1], [0.5, 0.5, 0.8], [0.2, 0.9, 0.7])
    assert list(curve.test) == [0.2, 0.2, 0.7]
    assert compute_to_reach(curve, 0.7) == 3
    assert compute_to_reach(curve, 0.2) == 1
    assert compute_to_reach(curve, 0.7, limit=2.5) == math.inf
    assert compute_to_reach(curve, 0.95) == math.inf
    assert np.isnan(incumbent_curve([1], [float("nan")], [0.3]).test[0])
