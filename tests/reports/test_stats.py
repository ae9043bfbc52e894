"""Statistics helpers of studies: exact values, scipy agreement, bootstrap coverage, Holm."""
from __future__ import annotations

import numpy as np
import pytest
from scipy import stats as scipy_stats

from evodeap.reports.stats import (
    area_under_best_so_far,
    best_so_far,
    bootstrap_ci,
    compare_arms,
    comparison_warnings,
    holm_adjust,
    mann_whitney,
    median_difference_ci,
    min_p_mann_whitney,
    min_p_wilcoxon,
    vargha_delaney_a12,
    wilcoxon_signed_rank,
)


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
                                   "median_ci_high", "U", "p_value", "p_holm", "n_pairs", "W", "p_wilcoxon",
                                   "p_wilcoxon_holm", "A12", "median_diff", "median_diff_ci_low",
                                   "median_diff_ci_high", "min_p_mann_whitney", "min_p_wilcoxon"]
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


def test_wilcoxon_signed_rank_exact_and_paired():
    a, b = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0], [0.5, 1.0, 1.5, 2.0, 2.5, 3.0]  # every difference positive
    w, p = wilcoxon_signed_rank(a, b)
    assert w == 0.0 and p == pytest.approx(2 / 2**6) == min_p_wilcoxon(6)
    assert wilcoxon_signed_rank(a, a) == (0.0, 1.0)
    with pytest.raises(ValueError, match="differ in length"):
        wilcoxon_signed_rank(a, b[:3])
    # pairing matters: a shift shared by each seed is found paired, not unpaired
    base = np.linspace(0.0, 1.0, 8)
    shifted = base + 0.01
    assert wilcoxon_signed_rank(shifted, base)[1] == pytest.approx(2 / 2**8)
    assert mann_whitney(shifted, base)[1] > 0.5


def test_vargha_delaney_a12_and_median_difference():
    assert vargha_delaney_a12([2.0, 3.0], [1.0, 1.5]) == 1.0
    assert vargha_delaney_a12([1.0, 2.0], [1.0, 2.0]) == 0.5
    assert vargha_delaney_a12([1.0, 3.0], [2.0]) == 0.5
    assert vargha_delaney_a12([0.0], [1.0]) == 0.0 and np.isnan(vargha_delaney_a12([], [1.0]))
    median, low, high = median_difference_ci([3.0, 5.0, 9.0], [1.0, 1.0, 1.0])
    assert median == 4.0 and (low, high) == bootstrap_ci([2.0, 4.0, 8.0], np.median)


def test_smallest_attainable_p_values():
    assert min_p_mann_whitney(5, 5) == pytest.approx(2 / 252)
    assert min_p_mann_whitney(3, 3) == pytest.approx(0.1)
    assert min_p_wilcoxon(3) == 0.25 and min_p_wilcoxon(5) == 0.0625 and min_p_wilcoxon(0) == 1.0
    # what scipy's exact tests reach with complete separation
    assert mann_whitney([4.0, 5.0, 6.0], [1.0, 2.0, 3.0])[1] == pytest.approx(min_p_mann_whitney(3, 3))


def test_compare_arms_pairs_by_seed_and_warns_when_alpha_is_out_of_reach():
    ref = {0: 1.0, 1: 2.0, 2: 3.0, 3: 4.0}
    arm = {3: 4.5, 1: 2.5, 0: 1.5, 2: 3.5, 9: 0.0}  # seed 9 has no partner
    table = compare_arms({"ref": ref, "arm": arm}, reference="ref").set_index("arm")
    row = table.loc["arm"]
    assert row["n"] == 5 and row["n_pairs"] == 4 and row["median_diff"] == pytest.approx(0.5)
    assert (row["W"], row["p_wilcoxon"]) == pytest.approx(wilcoxon_signed_rank([1.5, 2.5, 3.5, 4.5], [1, 2, 3, 4]))
    assert row["A12"] == pytest.approx(vargha_delaney_a12(list(arm.values()), list(ref.values())))
    assert row["min_p_wilcoxon"] == 0.125 and row["min_p_mann_whitney"] == pytest.approx(min_p_mann_whitney(5, 4))
    notes = comparison_warnings(table.reset_index(), measure="final best")
    assert any("smallest Wilcoxon signed-rank p is 0.125 >= alpha = 0.05" in n for n in notes)
    assert any("bootstrap intervals of 4 values" in n for n in notes)
    many = {f"a{i}": [float(i + s) for s in range(6)] for i in range(4)}
    holm_notes = comparison_warnings(compare_arms(many, reference="a0"))
    assert any("after Holm over 3 comparisons the smallest adjusted Wilcoxon signed-rank p is 0.0938" in n
               for n in holm_notes)
    enough = {f"a{i}": [float(i + s) for s in range(12)] for i in range(2)}
    assert comparison_warnings(compare_arms(enough, reference="a0")) == []


def test_p_values_never_print_as_zero_and_one_formatter_prints_them():
    from evodeap.reports.run_report import markdown_table
    from evodeap.reports.stats import format_p, is_p_column
    import pandas as pd

    assert [format_p(p) for p in (0.0, 1e-12, 9.99e-5, 1e-4, 0.000123, 0.0312456, 0.5, 1.0, float("nan"))] == \
        ["< 1e-4", "< 1e-4", "< 1e-4", "0.0001", "0.000123", "0.0312", "0.5", "1", "nan"]
    assert all(is_p_column(c) for c in ("p", "p_value", "p_holm", "p (W)", "p_holm (W, AUC)", "min_p_wilcoxon"))
    assert not any(is_p_column(c) for c in ("params", "parents", "population", "A12", "mean"))
    table = markdown_table(pd.DataFrame({"arm": ["a"], "mean": [0.00001], "p (W)": [3e-7], "p_value": [0.04567]}))
    assert "0.0000 | < 1e-4 | 0.0457 |" in table and "0.0000 | 0.0000" not in table


def test_the_selection_pressure_docstring_names_the_test_the_report_leads_with():
    import ast
    from pathlib import Path

    from evodeap.studies.report import ranking_table

    arms = {"beta5": [0.5, 0.6, 0.7, 0.8, 0.9, 0.55], "beta20": [0.9, 0.95, 0.97, 0.99, 0.96, 0.93]}
    comparisons = {"final_best": compare_arms(arms, reference="beta5"),
                   "auc_best_so_far": compare_arms(arms, reference="beta5")}
    first_p = next(c for c in ranking_table(comparisons, "beta5").columns if str(c).startswith("p"))
    assert first_p == "p (W)"  # the paired Wilcoxon signed-rank test leads
    root = Path(__file__).resolve().parents[2]
    doc = ast.get_docstring(ast.parse((root / "experiments" / "selection_pressure.py").read_text()))
    assert "lead with the two-sided Wilcoxon signed-rank test" in " ".join(doc.split())


def test_displayable_never_shows_a_p_value_of_zero():
    import pandas as pd

    from evodeap.reports.stats import displayable

    frame = pd.DataFrame({"arm": ["a", "b"], "mean": [0.123456, 0.5], "p_wilcoxon": [1e-9, 0.04567],
                          "p_value": [float("nan"), 1.0]})
    shown = displayable(frame)
    assert list(shown["p_wilcoxon"]) == ["< 1e-4", "0.0457"] and list(shown["p_value"]) == ["nan", "1"]
    assert list(shown["mean"]) == [0.1235, 0.5] and frame["p_wilcoxon"][0] == 1e-9
