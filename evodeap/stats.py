"""Statistics for comparing arms of a study (variants × the same seeds).

* :func:`bootstrap_ci` — percentile bootstrap confidence interval of a statistic:
  resample the values with replacement ``n_resamples`` times, compute the statistic on
  each resample, and take the ``(1 − c)/2`` and ``(1 + c)/2`` quantiles;
* :func:`best_so_far` — ``b_t = max(f_0, …, f_t)``;
* :func:`area_under_best_so_far` — the mean of ``b_t`` over generations, i.e. the
  trapezoid-free area ``Σ_t b_t / (G + 1)``: high when an arm gets good early *and* ends good;
* :func:`mann_whitney` — two-sided Mann–Whitney U test (scipy);
* :func:`holm_adjust` — Holm's step-down adjustment of m p-values for multiple comparisons;
* :func:`compare_arms` — one row per arm: n, mean [CI], median [CI] of a measure, and U, p
  and Holm-adjusted p against a reference arm.
"""
from __future__ import annotations

from typing import Callable, Sequence

import numpy as np
from scipy import stats as scipy_stats


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


def compare_arms(values: dict[str, Sequence[float]], reference: str | None = None,
                 confidence: float = 0.95, seed: int = 0):
    """Compare arms on one measure (e.g. final best fitness per seed).

    Args:
        values: arm name -> its values (one per seed).
        reference: the arm the others are tested against (Mann–Whitney U, two-sided).
        confidence: coverage of the bootstrap intervals.
        seed: the bootstrap seed (each interval uses it, so the table is reproducible).

    Returns:
        A DataFrame with one row per arm, in the order of ``values``: ``arm, n, mean,
        mean_ci_low, mean_ci_high, median, median_ci_low, median_ci_high, U, p_value,
        p_holm`` — ``U``/``p_value`` of the arm against the reference (``nan`` on the
        reference row and without a reference), ``p_holm`` the Holm adjustment over all
        the arms' p-values.
    """
    import pandas as pd

    rows = []
    ref = values.get(reference) if reference is not None else None
    for arm, vals in values.items():
        vals = [float(v) for v in vals]
        mean_lo, mean_hi = bootstrap_ci(vals, np.mean, confidence, seed=seed)
        med_lo, med_hi = bootstrap_ci(vals, np.median, confidence, seed=seed)
        u, p = (float("nan"), float("nan")) if ref is None or arm == reference else mann_whitney(vals, ref)
        rows.append({
            "arm": arm, "n": len(vals), "mean": float(np.mean(vals)) if vals else float("nan"),
            "mean_ci_low": mean_lo, "mean_ci_high": mean_hi,
            "median": float(np.median(vals)) if vals else float("nan"),
            "median_ci_low": med_lo, "median_ci_high": med_hi, "U": u, "p_value": p,
        })
    frame = pd.DataFrame(rows, columns=["arm", "n", "mean", "mean_ci_low", "mean_ci_high", "median",
                                        "median_ci_low", "median_ci_high", "U", "p_value"])
    frame["p_holm"] = holm_adjust(frame["p_value"].to_numpy())
    return frame
