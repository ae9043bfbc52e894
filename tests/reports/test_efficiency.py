"""The incumbent-versus-compute curve of a search, exactly."""
import math

import numpy as np

from evodeap.reports.efficiency import compute_to_reach, incumbent_curve, value_at


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


def test_reach_ratios_are_fractions_of_the_budget_per_matched_seed():
    from evodeap.reports.efficiency import reach_ratios

    random = {0: incumbent_curve([5, 5], [0.1, 0.6], [0.2, 0.5]), 1: incumbent_curve([10], [0.3], [0.9])}
    method = {0: incumbent_curve([2, 2, 6], [0.2, 0.7, 0.8], [0.3, 0.5, 0.6]),
              1: incumbent_curve([4, 4], [0.5, 0.6], [0.4, 0.8]), 2: incumbent_curve([1], [0.1], [1.0])}
    ratios = reach_ratios(method, random, budget=10)
    assert ratios == {0: 0.4, 1: math.inf}  # seed 0 reaches random's 0.5 after 4 of 10; seed 1 never; seed 2 unmatched


def test_search_summary_pairs_seeds_and_counts_never_as_infinite():
    from evodeap.reports.efficiency import search_summary

    def flat(value):  # one evaluation of compute 1 that tests at `value`
        return incumbent_curve([1], [value], [value])

    curves = {
        "random": {s: flat(0.5) for s in range(6)},
        "better": {s: flat(0.6 + 0.01 * s) for s in range(6)},
        "worse": {s: flat(0.4) for s in range(6)},
    }
    frame = search_summary(curves, budget=2, reference="random", compared_to="better").set_index("method")
    assert frame.loc["better", "reach_median"] == 0.5 and frame.loc["better", "reached"] == 6
    assert frame.loc["worse", "reach_median"] == math.inf and frame.loc["worse", "reached"] == 0
    assert frame.loc["worse", "wins"] == 0 and frame.loc["worse", "losses"] == 6
    assert frame.loc["worse", "A12"] == 0.0
    assert frame.loc["worse", "p_wilcoxon"] == 2 / 2**6  # exact two-sided: all six differences one sign
    assert math.isclose(frame.loc["worse", "median_diff"], 0.4 - 0.625)  # paired: 0.4 − (0.60 … 0.65)
    assert math.isnan(frame.loc["better", "p_wilcoxon"])  # the arm everything is compared to
    assert (frame["seeds"] == 6).all()
