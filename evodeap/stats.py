"""Statistics for comparing arms of a study (variants × the same seeds).

* :func:`bootstrap_ci` — percentile bootstrap confidence interval of a statistic:
  resample the values with replacement ``n_resamples`` times, compute the statistic on
  each resample, and take the ``(1 − c)/2`` and ``(1 + c)/2`` quantiles;
* :func:`best_so_far` — ``b_t = max(f_0, …, f_t)``;
* :func:`area_under_best_so_far` — the mean of ``b_t`` over generations, i.e. the
  trapezoid-free area ``Σ_t b_t / (G + 1)``: high when an arm gets good early *and* ends good;
* :func:`mann_whitney` — two-sided Mann–Whitney U test (scipy);
* :func:`compare_arms` — one row per arm: n, mean [CI], median [CI] of a measure, and U and
  p against a reference arm.
"""
from __future__ import annotations

from typing import Callable, Sequence

import numpy as np
from scipy import stats as scipy_stats


def bootstrap_ci(values: Sequence[float], statistic: Callable[[np.ndarray], float] = np.mean,
                 confidence: float = 0.95, n_resamples: int = 10_000, seed: int = 0) -> tuple[float, float]:
    """Percentile bootstrap CI of ``statistic`` (a single value gives a zero-width interval)."""
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
    """``b_t = max(f_0, …, f_t)``."""
    return np.maximum.accumulate(np.asarray(curve, dtype=float))


def area_under_best_so_far(curve: Sequence[float]) -> float:
    """Mean of the best-so-far curve over generations (its area divided by its length)."""
    return float(best_so_far(curve).mean())


def mann_whitney(a: Sequence[float], b: Sequence[float]) -> tuple[float, float]:
    """Two-sided Mann–Whitney U statistic and p-value (``nan`` when either side is empty)."""
    if len(a) == 0 or len(b) == 0:
        return float("nan"), float("nan")
    result = scipy_stats.mannwhitneyu(a, b, alternative="two-sided")
    return float(result.statistic), float(result.pvalue)


def compare_arms(values: dict[str, Sequence[float]], reference: str | None = None,
                 confidence: float = 0.95, seed: int = 0):
    """A DataFrame with one row per arm: n, mean, its CI, median, its CI, and U, p vs ``reference``."""
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
    return pd.DataFrame(rows)
