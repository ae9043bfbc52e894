"""Statistics helpers of studies: exact values, scipy agreement, bootstrap coverage, Holm."""
from __future__ import annotations

import numpy as np
import pytest
from scipy import stats as scipy_stats

from evodeap.stats import (area_under_best_so_far, best_so_far, bootstrap_ci, compare_arms, holm_adjust,
                           mann_whitney)


def test_bootstrap_ci_degenerate_samples_are_exact():
    assert bootstrap_ci([]) != bootstrap_ci([])  # (nan, nan): nan never equals itself
    assert all(np.isnan(bootstrap_ci([])))
    assert bootstrap_ci([3.5]) == (3.5, 3.5)
    assert bootstrap_ci([2.0, 2.0, 2.0, 2.0]) == (2.0, 2.0)
    assert bootstrap_ci([1.0, 1.0, 1.0], np.median) == (1.0, 1.0)


def test_bootstrap_ci_two_values_matches_the_resample_distribution():
    # resample means of [0, 1] with n = 2 are 0, 0.5, 1 with probabilities 1/4, 1/2, 1/4:
    # the 2.5 % and 97.5 % quantiles of 10 000 draws are exactly 0 and 1
    assert bootstrap_ci([0.0, 1.0]) == (0.0, 1.0)
    # at 40 % confidence the (0.3, 0.7) quantiles both fall on the middle atom 0.5
    assert bootstrap_ci([0.0, 1.0], confidence=0.4) == (0.5, 0.5)


def test_bootstrap_ci_is_reproducible_and_seeded():
    x = np.random.default_rng(1).normal(size=12)
    assert bootstrap_ci(x, seed=3) == bootstrap_ci(x, seed=3)
    assert bootstrap_ci(x, seed=3) != bootstrap_ci(x, seed=4)


def test_bootstrap_ci_generic_statistic_equals_vectorised_path():
    x = np.random.default_rng(2).normal(size=9)
    vectorised = bootstrap_ci(x, np.mean, n_resamples=500, seed=5)
    generic = bootstrap_ci(x, lambda a: float(np.sum(a) / a.size), n_resamples=500, seed=5)
    assert generic == pytest.approx(vectorised, abs=1e-12)
    med = bootstrap_ci(x, np.median, n_resamples=500, seed=5)
    assert bootstrap_ci(x, lambda a: float(np.median(a)), n_resamples=500, seed=5) == pytest.approx(med, abs=1e-12)


def test_bootstrap_ci_contains_the_estimate_and_narrows_with_n():
    rng = np.random.default_rng(3)
    small, large = rng.normal(size=10), rng.normal(size=1000)
    lo_s, hi_s = bootstrap_ci(small, n_resamples=2000)
    lo_l, hi_l = bootstrap_ci(large, n_resamples=2000)
    assert lo_s <= small.mean() <= hi_s and lo_l <= large.mean() <= hi_l
    assert hi_l - lo_l < (hi_s - lo_s) / 3  # width ~ 1/sqrt(n): 10x fewer -> ~3.2x wider


@pytest.mark.statistical
def test_bootstrap_ci_coverage_of_the_mean_is_near_nominal():
    """300 normal samples of n = 30: the 95 % percentile interval covers the true mean
    about 95 % of the time (percentile bootstrap undercovers slightly for small n)."""
    rng = np.random.default_rng(2024)
    hits = 0
    for i in range(300):
        lo, hi = bootstrap_ci(rng.normal(1.0, 2.0, size=30), n_resamples=1000, seed=i)
        hits += lo <= 1.0 <= hi
    assert 0.88 <= hits / 300 <= 0.99


def test_best_so_far_and_area_exact():
    curve = [0.2, 0.1, 0.5, 0.4, 0.6]
    assert best_so_far(curve).tolist() == [0.2, 0.2, 0.5, 0.5, 0.6]
    assert area_under_best_so_far(curve) == pytest.approx((0.2 + 0.2 + 0.5 + 0.5 + 0.6) / 5)
    assert area_under_best_so_far([0.3]) == pytest.approx(0.3)
    # an arm that is good early has the larger area, though both end at 1.0
    assert area_under_best_so_far([1.0, 1.0, 1.0]) > area_under_best_so_far([0.0, 0.0, 1.0])


@pytest.mark.parametrize("a, b", [
    ([1, 2, 3, 4, 5], [6, 7, 8, 9, 10]),          # exact, complete separation
    ([0.3, 0.1, 0.9, 0.4], [0.2, 0.8, 0.7]),      # exact, interleaved
    ([1, 1, 2, 2, 3], [2, 3, 3, 4, 4]),           # ties: normal approximation
    (list(np.random.default_rng(0).normal(size=25)), list(np.random.default_rng(1).normal(0.5, size=30))),
])
def test_mann_whitney_equals_scipy(a, b):
    expected = scipy_stats.mannwhitneyu(a, b, alternative="two-sided")
    u, p = mann_whitney(a, b)
    assert u == pytest.approx(expected.statistic) and p == pytest.approx(expected.pvalue)


def test_mann_whitney_exact_small_values_and_empty():
    assert mann_whitney([1, 2, 3, 4, 5], [6, 7, 8, 9, 10]) == pytest.approx((0.0, 2 / 252))
    assert mann_whitney([6, 7, 8, 9, 10], [1, 2, 3, 4, 5]) == pytest.approx((25.0, 2 / 252))
    assert all(np.isnan(mann_whitney([], [1.0])))


def test_holm_adjust_exact():
    p = [0.01, 0.04, float("nan"), 0.03, 0.5]
    # sorted 0.01, 0.03, 0.04, 0.5 (m = 4): 4*0.01, 3*0.03, max(0.09, 2*0.04), max(0.09, 1*0.5)
    np.testing.assert_allclose(holm_adjust(p), [0.04, 0.09, np.nan, 0.09, 0.5])
    assert holm_adjust([0.6, 0.7]).tolist() == [1.0, 1.0]
    assert np.isnan(holm_adjust([float("nan")])).all()


def test_compare_arms_columns_reference_row_and_values():
    values = {"ref": [1.0, 2.0, 3.0, 4.0, 5.0], "better": [6.0, 7.0, 8.0, 9.0, 10.0], "same": [1.0, 2.0, 3.0, 4.0, 5.0]}
    table = compare_arms(values, reference="ref")
    assert list(table.columns) == ["arm", "n", "mean", "mean_ci_low", "mean_ci_high", "median", "median_ci_low",
                                   "median_ci_high", "U", "p_value", "p_holm"]
    assert table["arm"].tolist() == ["ref", "better", "same"]
    ref = table.set_index("arm").loc["ref"]
    assert np.isnan(ref["U"]) and np.isnan(ref["p_value"]) and np.isnan(ref["p_holm"])
    row = table.set_index("arm").loc["better"]
    assert row["n"] == 5 and row["mean"] == 8.0 and row["median"] == 8.0
    assert (row["U"], row["p_value"]) == pytest.approx(mann_whitney(values["better"], values["ref"]))
    assert (row["mean_ci_low"], row["mean_ci_high"]) == bootstrap_ci(values["better"], np.mean)
    assert (row["median_ci_low"], row["median_ci_high"]) == bootstrap_ci(values["better"], np.median)
    assert row["p_holm"] == pytest.approx(2 * row["p_value"])  # two comparisons, the smallest one
    assert table.set_index("arm").loc["same", "p_value"] == pytest.approx(1.0)


def test_compare_arms_without_reference_has_no_tests():
    table = compare_arms({"a": [1.0, 2.0], "b": [3.0, 4.0]})
    assert table["p_value"].isna().all() and table["U"].isna().all()
