"""Statistics for comparing arms of a study (variants × the same seeds).

* :func:`bootstrap_ci` — percentile bootstrap confidence interval of a statistic:
  resample the values with replacement ``n_resamples`` times, compute the statistic on
  each resample, and take the ``(1 − c)/2`` and ``(1 + c)/2`` quantiles;
* :func:`best_so_far` — ``b_t = max(f_0, …, f_t)``;
* :func:`area_under_best_so_far` — the mean of ``b_t`` over generations, i.e. the
  trapezoid-free area ``Σ_t b_t / (G + 1)``: high when an arm gets good early *and* ends good;
* :func:`mann_whitney` — two-sided Mann–Whitney U test (scipy), unpaired;
* :func:`wilcoxon_signed_rank` — two-sided Wilcoxon signed-rank test over matched seeds;
* :func:`vargha_delaney_a12` — the effect size ``A12 = P(A > B) + ½ P(A = B)``;
* :func:`median_difference_ci` — the median of the paired differences with its bootstrap CI;
* :func:`min_p_mann_whitney`, :func:`min_p_wilcoxon` — the smallest p-value each test can
  reach with this many seeds (so a study can tell when it cannot reach α at all);
* :func:`holm_adjust` — Holm's step-down adjustment of m p-values for multiple comparisons;
* :func:`compare_arms` — one row per arm: n, mean [CI], median [CI] of a measure, the
  paired and unpaired tests against a reference arm (raw and Holm-adjusted p), A12, the
  median paired difference [CI] and the smallest attainable p; :func:`comparison_warnings`
  says in words what the table cannot show;
* :func:`format_p` — the one way reports and the console print a p-value (never ``0.0000``).
"""
from __future__ import annotations

import math
from typing import Any, Callable, Mapping, Sequence

import numpy as np
from scipy import stats as scipy_stats


#: p-values below this print as ``< 1e-4``: a smaller one says no more, and 0.0000 would say p = 0
P_FLOOR = 1e-4
P_BELOW_FLOOR = "< 1e-4"


def format_p(p: Any) -> str:
    """A p-value as every report and table prints it: ``< 1e-4`` below :data:`P_FLOOR`, else
    three significant digits (``0.0312``, ``0.000123``, ``1``); ``nan`` when there was no test."""
    if p is None or (isinstance(p, float) and math.isnan(p)):
        return "nan"
    p = float(p)
    return P_BELOW_FLOOR if p < P_FLOOR else f"{p:.3g}"


def is_p_column(name: Any) -> bool:
    """True for a table column that holds p-values (``p``, ``p_value``, ``p_holm``,
    ``p (W)``, ``min_p_wilcoxon`` …)."""
    name = str(name)
    return name == "p" or name.startswith(("p_", "p ", "p(", "min_p_"))


def displayable(frame: Any, digits: int = 4) -> Any:
    """A copy of a DataFrame for display: p-value columns (:func:`is_p_column`) as :func:`format_p`
    text, every other float column rounded to ``digits`` — so a notebook never shows p = 0.0000."""
    shown = frame.copy()
    for column in shown.columns:
        if is_p_column(column):
            shown[column] = [format_p(p) for p in shown[column]]
        elif shown[column].dtype.kind == "f":
            shown[column] = shown[column].round(digits)
    return shown


def bootstrap_ci(values: Sequence[float], statistic: Callable[[np.ndarray], float] = np.mean,
                 confidence: float = 0.95, n_resamples: int = 10_000, seed: int = 0) -> tuple[float, float]:
    """Percentile bootstrap confidence interval of ``statistic``.

    Draws ``B = n_resamples`` resamples ``x*_b`` of size n with replacement (from a
    ``numpy.random.Generator`` seeded with ``seed``), computes ``θ*_b = statistic(x*_b)`` and
    returns the empirical quantiles ``(q_{α/2}, q_{1−α/2})`` of the ``θ*_b`` with
    ``α = 1 − confidence`` (numpy's default linear quantile interpolation).

    Args:
        values: the sample (e.g. one arm's final best fitness per seed).
        statistic: ``np.mean``, ``np.median`` (vectorised) or any function of a 1-D array.
        confidence: the coverage ``1 − α``.
        n_resamples: ``B``.
        seed: the resampling seed; the same inputs give the same interval.

    Returns:
        ``(low, high)``; ``(x0, x0)`` for a single value, ``(nan, nan)`` for none.
    """
    x = np.asarray(values, dtype=float)
    if x.size == 0:
        return (float("nan"), float("nan"))
    if x.size == 1:
        return (float(x[0]), float(x[0]))
    rng = np.random.default_rng(seed)
    samples = x[rng.integers(0, x.size, size=(n_resamples, x.size))]
    estimates = np.apply_along_axis(statistic, 1, samples) if statistic not in (np.mean, np.median) \
        else (samples.mean(axis=1) if statistic is np.mean else np.median(samples, axis=1))
    alpha = (1 - confidence) / 2
    low, high = np.quantile(estimates, [alpha, 1 - alpha])
    return float(low), float(high)


def best_so_far(curve: Sequence[float]) -> np.ndarray:
    """The best-so-far curve ``b_t = max(f_0, …, f_t)`` of per-generation best fitness ``f_t``."""
    return np.maximum.accumulate(np.asarray(curve, dtype=float))


def area_under_best_so_far(curve: Sequence[float]) -> float:
    """Area under the best-so-far curve, normalised by its length.

    ``AUC = (1 / (G + 1)) · Σ_{t=0..G} b_t`` with ``b_t = max(f_0, …, f_t)``: the
    left-Riemann area of the step curve over ``G + 1`` generations divided by ``G + 1``, so it
    is on the fitness scale and is high when an arm gets good early *and* ends good.
    """
    return float(best_so_far(curve).mean())


def mann_whitney(a: Sequence[float], b: Sequence[float]) -> tuple[float, float]:
    """Two-sided Mann–Whitney U test of ``a`` against ``b`` (``scipy.stats.mannwhitneyu``).

    ``U = Σ_i Σ_j [a_i > b_j] + ½ [a_i = b_j]`` (the statistic of ``a``), and the p-value of
    ``H0: P(A > B) = P(B > A)`` — exact for small samples without ties, otherwise the normal
    approximation with tie correction (scipy's ``method="auto"``).

    Returns:
        ``(U, p)``; ``(nan, nan)`` when either side is empty.
    """
    if len(a) == 0 or len(b) == 0:
        return float("nan"), float("nan")
    result = scipy_stats.mannwhitneyu(a, b, alternative="two-sided")
    return float(result.statistic), float(result.pvalue)


def holm_adjust(pvalues: Sequence[float]) -> np.ndarray:
    """Holm's step-down adjusted p-values (``nan`` entries are left out and stay ``nan``).

    With the m finite p-values sorted ascending, ``p_(1) ≤ … ≤ p_(m)``:
    ``p̃_(i) = min(1, max_{j ≤ i} (m − j + 1) · p_(j))``. Rejecting ``p̃ < α`` controls the
    family-wise error rate at α.
    """
    p = np.asarray(pvalues, dtype=float)
    adjusted = np.full(p.shape, np.nan)
    finite = np.flatnonzero(~np.isnan(p))
    m = finite.size
    if m == 0:
        return adjusted
    order = finite[np.argsort(p[finite], kind="stable")]
    scaled = (m - np.arange(m)) * p[order]
    adjusted[order] = np.minimum(1.0, np.maximum.accumulate(scaled))
    return adjusted


def wilcoxon_signed_rank(a: Sequence[float], b: Sequence[float], alternative: str = "two-sided") -> tuple[float, float]:
    """Wilcoxon signed-rank test of the paired differences ``d_i = a_i − b_i`` (two-sided, or
    ``alternative="greater"``: ``H1`` the differences lean above 0, i.e. ``a`` beats ``b``).

    ``W = min(W+, W−)`` with ``W± = Σ_{d_i ≷ 0} rank(|d_i|)`` over the non-zero differences
    (zeros dropped, ``zero_method="wilcox"``); the p-value of ``H0``: the differences are
    symmetric about 0 — exact for small samples without ties, else the normal approximation
    (scipy's ``method="auto"``). ``a`` and ``b`` are matched by position (the same seed).

    Two-sided, ``W = min(W+, W−)``; one-sided, ``W = W+``; the smallest exact one-sided p
    with ``n`` non-zero differences is ``1 / 2^n`` (0.031 for 5 seeds, where the two-sided
    test cannot go below 0.0625).

    Returns:
        ``(W, p)``; ``(0, 1)`` when every difference is 0; ``(nan, nan)`` without pairs.
    """
    if alternative not in ("two-sided", "greater"):
        raise ValueError(f"alternative must be 'two-sided' or 'greater', got {alternative!r}")
    x, y = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if x.size != y.size:
        raise ValueError(f"paired samples differ in length: {x.size} and {y.size}")
    if x.size == 0:
        return float("nan"), float("nan")
    if np.all(x == y):
        return 0.0, 1.0
    result = scipy_stats.wilcoxon(x, y, zero_method="wilcox", alternative=alternative)
    return float(result.statistic), float(result.pvalue)


def vargha_delaney_a12(a: Sequence[float], b: Sequence[float]) -> float:
    """Vargha–Delaney ``A12 = (#{a_i > b_j} + ½ #{a_i = b_j}) / (m·n)``: the probability that a
    run of ``a`` beats a run of ``b`` (0.5 = no effect; 0.56, 0.64, 0.71 are the conventional
    small, medium and large thresholds). ``nan`` when either side is empty."""
    x, y = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if x.size == 0 or y.size == 0:
        return float("nan")
    greater = (x[:, None] > y[None, :]).sum()
    equal = (x[:, None] == y[None, :]).sum()
    return float((greater + 0.5 * equal) / (x.size * y.size))


def median_difference_ci(a: Sequence[float], b: Sequence[float], confidence: float = 0.95,
                         n_resamples: int = 10_000, seed: int = 0) -> tuple[float, float, float]:
    """Median of the paired differences ``d_i = a_i − b_i`` and its percentile bootstrap CI
    (:func:`bootstrap_ci` of ``np.median`` over the ``d_i``: seeds are resampled, pairs kept).

    Returns:
        ``(median, low, high)``; ``nan`` values without pairs.
    """
    d = np.asarray(a, dtype=float) - np.asarray(b, dtype=float)
    if d.size == 0:
        return float("nan"), float("nan"), float("nan")
    low, high = bootstrap_ci(d, np.median, confidence, n_resamples, seed)
    return float(np.median(d)), low, high


def min_p_mann_whitney(n1: int, n2: int) -> float:
    """The smallest two-sided exact Mann–Whitney p-value with ``n1`` and ``n2`` runs:
    ``2 / C(n1 + n2, n1)`` (complete separation, no ties); 1 when a side is empty."""
    if n1 < 1 or n2 < 1:
        return 1.0
    return min(1.0, 2.0 / math.comb(n1 + n2, n1))


def min_p_wilcoxon(n_pairs: int) -> float:
    """The smallest two-sided exact Wilcoxon signed-rank p-value with ``n`` non-zero paired
    differences: ``2 / 2^n`` (all differences of one sign); 1 without pairs."""
    if n_pairs < 1:
        return 1.0
    return min(1.0, 2.0 ** (1 - n_pairs))


def _by_seed(values: Mapping[Any, float] | Sequence[float]) -> dict[Any, float]:
    if isinstance(values, Mapping):
        return {k: float(v) for k, v in values.items()}
    return {i: float(v) for i, v in enumerate(values)}


def compare_arms(values: Mapping[str, Mapping[Any, float] | Sequence[float]], reference: str | None = None,
                 confidence: float = 0.95, seed: int = 0):
    """Compare arms on one measure (e.g. final best fitness per seed).

    Args:
        values: arm name -> its values, ``{seed: value}`` (or a sequence: position = seed).
            Paired statistics use the seeds an arm shares with the reference.
        reference: the arm the others are tested against.
        confidence: coverage of the bootstrap intervals.
        seed: the bootstrap seed (each interval uses it, so the table is reproducible).

    Returns:
        A DataFrame with one row per arm, in the order of ``values``: ``arm, n, mean,
        mean_ci_low, mean_ci_high, median, median_ci_low, median_ci_high``; against the
        reference (``nan`` on the reference row and without a reference): ``U, p_value``
        (Mann–Whitney, unpaired) and ``p_holm``; ``n_pairs, W, p_wilcoxon`` (signed-rank over
        the matched seeds) and ``p_wilcoxon_holm``; ``A12`` (:func:`vargha_delaney_a12`);
        ``median_diff, median_diff_ci_low, median_diff_ci_high`` (arm − reference, paired);
        ``min_p_mann_whitney, min_p_wilcoxon`` — the smallest p each test can reach here.
        Holm adjustments run over all the arms' p-values of that test.
    """
    import pandas as pd

    rows = []
    ref = _by_seed(values[reference]) if reference is not None and reference in values else None
    for arm, raw in values.items():
        by_seed = _by_seed(raw)
        vals = list(by_seed.values())
        mean_lo, mean_hi = bootstrap_ci(vals, np.mean, confidence, seed=seed)
        med_lo, med_hi = bootstrap_ci(vals, np.median, confidence, seed=seed)
        row = {"arm": arm, "n": len(vals), "mean": float(np.mean(vals)) if vals else float("nan"),
               "mean_ci_low": mean_lo, "mean_ci_high": mean_hi,
               "median": float(np.median(vals)) if vals else float("nan"),
               "median_ci_low": med_lo, "median_ci_high": med_hi}
        nan = float("nan")
        row.update(U=nan, p_value=nan, n_pairs=0, W=nan, p_wilcoxon=nan, A12=nan, median_diff=nan,
                   median_diff_ci_low=nan, median_diff_ci_high=nan, min_p_mann_whitney=nan, min_p_wilcoxon=nan)
        if ref is not None and arm != reference:
            shared = [s for s in by_seed if s in ref]
            a, b = [by_seed[s] for s in shared], [ref[s] for s in shared]
            row["U"], row["p_value"] = mann_whitney(vals, list(ref.values()))
            row["W"], row["p_wilcoxon"] = wilcoxon_signed_rank(a, b)
            row["median_diff"], row["median_diff_ci_low"], row["median_diff_ci_high"] = \
                median_difference_ci(a, b, confidence, seed=seed)
            row.update(n_pairs=len(shared), A12=vargha_delaney_a12(vals, list(ref.values())),
                       min_p_mann_whitney=min_p_mann_whitney(len(vals), len(ref)),
                       min_p_wilcoxon=min_p_wilcoxon(len(shared)))
        rows.append(row)
    columns = ["arm", "n", "mean", "mean_ci_low", "mean_ci_high", "median", "median_ci_low", "median_ci_high",
               "U", "p_value", "p_holm", "n_pairs", "W", "p_wilcoxon", "p_wilcoxon_holm", "A12", "median_diff",
               "median_diff_ci_low", "median_diff_ci_high", "min_p_mann_whitney", "min_p_wilcoxon"]
    frame = pd.DataFrame(rows)
    frame["p_holm"] = holm_adjust(frame["p_value"].to_numpy()) if rows else []
    frame["p_wilcoxon_holm"] = holm_adjust(frame["p_wilcoxon"].to_numpy()) if rows else []
    return frame.reindex(columns=columns)


def comparison_warnings(table, alpha: float = 0.05, measure: str = "the measure") -> list[str]:
    """What a :func:`compare_arms` table cannot show, in sentences.

    * a test whose smallest attainable p is ≥ α cannot find any difference at all;
    * with Holm over m comparisons the smallest adjusted p is at least ``m · p_min``;
    * a percentile bootstrap interval of fewer than 10 values lies within the data's range
      and undercovers: read it as descriptive.
    """
    notes = []
    tested = table[table["p_value"].notna()]
    m = len(tested)
    if m:
        for test, column in (("Mann–Whitney", "min_p_mann_whitney"), ("Wilcoxon signed-rank", "min_p_wilcoxon")):
            smallest = float(tested[column].min())
            if smallest >= alpha:
                notes.append(f"{measure}: with these seeds the smallest {test} p is {format_p(smallest)} >= alpha = "
                             f"{alpha:g}; no comparison can be significant — add seeds")
            elif m > 1 and m * smallest >= alpha:
                notes.append(f"{measure}: after Holm over {m} comparisons the smallest adjusted {test} p is "
                             f"{format_p(m * smallest)} >= alpha = {alpha:g}; no comparison can be significant — add seeds "
                             f"or compare fewer arms")
    few = int(table["n"].min()) if len(table) else 0
    if 0 < few < 10:
        notes.append(f"{measure}: bootstrap intervals of {few} values stay within the data's range and undercover; "
                     f"read them as descriptive")
    return notes
