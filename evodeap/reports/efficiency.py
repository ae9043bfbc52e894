"""Search efficiency: what a search has found after spending a given amount of compute.

A search is its evaluations in the order they finished, each with the training compute
it spent ``c_i`` (FLOPs), its selection score ``v_i`` (validation metric) and its report
score ``t_i`` (test metric). After ``i`` evaluations the *incumbent* is the evaluation
with the best selection score so far (the first one on ties) and the search has spent
``C_i = Σ_{j ≤ i} c_j``. The incumbent's test score as a function of compute,

    I(x) = t_{inc(i)}  for the largest i with C_i ≤ x   (NaN before the first evaluation),

is a step function; :func:`incumbent_curve` returns its steps, :func:`value_at` reads it at
a compute ``x`` and :func:`compute_to_reach` finds the least compute at which it reaches a
target. Choosing the incumbent by validation and reporting its test score keeps the test
split out of the search, for every method alike.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Mapping, Sequence

import numpy as np


@dataclass(frozen=True)
class IncumbentCurve:
    """Steps of ``I(x)``: after ``compute[i]`` FLOPs the incumbent's test score is ``test[i]``."""

    compute: np.ndarray
    selection: np.ndarray
    test: np.ndarray


def incumbent_curve(compute: Sequence[float], selection: Sequence[float], test: Sequence[float]) -> IncumbentCurve:
    """The incumbent after each evaluation (see the module docstring).

    Args:
        compute: training FLOPs of each evaluation, in finishing order.
        selection: its selection score (higher is better; NaN never becomes incumbent).
        test: its test score.
    """
    spent = np.cumsum(np.asarray(compute, dtype=float))
    best_selection, best_test = -math.inf, math.nan
    sel, tst = [], []
    for v, t in zip(selection, test):
        if np.isfinite(v) and v > best_selection:
            best_selection, best_test = float(v), float(t)
        sel.append(best_selection if np.isfinite(best_selection) else math.nan)
        tst.append(best_test)
    return IncumbentCurve(spent, np.asarray(sel), np.asarray(tst))


def value_at(curve: IncumbentCurve, x: float) -> float:
    """``I(x)``: the incumbent's test score once at most ``x`` FLOPs were spent (NaN before)."""
    i = int(np.searchsorted(curve.compute, x, side="right")) - 1
    return float(curve.test[i]) if i >= 0 else math.nan


def compute_to_reach(curve: IncumbentCurve, target: float, limit: float = math.inf) -> float:
    """The least compute ``C_i ≤ limit`` with ``I(C_i) ≥ target`` (``inf`` if never)."""
    for spent, value in zip(curve.compute, curve.test):
        if spent > limit:
            break
        if np.isfinite(value) and value >= target:
            return float(spent)
    return math.inf


def reach_ratios(curves: Mapping[Any, IncumbentCurve], targets: Mapping[Any, IncumbentCurve], budget: float) -> dict:
    """Per seed, the compute a search needs to reach the target search's final value, as a
    fraction of the budget ``C``:

        ρ_s = compute_to_reach(I_s, T_s(C), limit=C) / C      (``inf`` if never within C)

    for the seeds both have (``T_s`` the target's curve on seed ``s``, e.g. random search's).
    """
    return {seed: compute_to_reach(curve, value_at(targets[seed], budget), limit=budget) / budget
            for seed, curve in curves.items() if seed in targets}


def search_summary(curves: Mapping[str, Mapping[Any, IncumbentCurve]], budget: float, *,
                   reference: str = "random", compared_to: str | None = None):
    """One row per method over matched seeds: the incumbent's test score at ``C`` and how fast
    the reference's final value is reached.

    Columns: ``method, seeds``; the final values ``I_s(C)`` — ``median, median_ci_low,
    median_ci_high, mean`` (bootstrap CIs over seeds); ``reach_median`` — the median over *all*
    seeds of :func:`reach_ratios` against ``reference`` (a seed that never reaches it counts as
    ``inf``, so the median is ``inf`` when half the seeds never do) and ``reached`` (how many
    do); against ``compared_to`` (paired by seed, :func:`evodeap.reports.stats.compare_arms`):
    ``median_diff`` (method − compared_to) with its CI, ``A12``, ``wins``/``losses`` (seeds
    strictly better/worse), ``p_wilcoxon`` (two-sided signed-rank) and ``p_wilcoxon_holm``
    (Holm over all the methods).
    """
    import pandas as pd

    from evodeap.reports.stats import compare_arms

    finals = {m: {s: value_at(c, budget) for s, c in by_seed.items()} for m, by_seed in curves.items()}
    table = compare_arms(finals, reference=compared_to).set_index("arm")
    targets = curves.get(reference, {})
    rows = []
    for method, by_seed in curves.items():
        reach = list(reach_ratios(by_seed, targets, budget).values())
        base = finals.get(compared_to, {})
        diffs = [finals[method][s] - base[s] for s in finals[method] if s in base and method != compared_to]
        t = table.loc[method]
        rows.append({
            "method": method, "seeds": int(t["n"]), "median": t["median"], "median_ci_low": t["median_ci_low"],
            "median_ci_high": t["median_ci_high"], "mean": t["mean"],
            "reach_median": float(np.median(reach)) if reach else math.nan,
            "reached": sum(math.isfinite(r) for r in reach), "reach_seeds": len(reach),
            "median_diff": t["median_diff"], "median_diff_ci_low": t["median_diff_ci_low"],
            "median_diff_ci_high": t["median_diff_ci_high"], "A12": t["A12"],
            "wins": sum(d > 0 for d in diffs), "losses": sum(d < 0 for d in diffs),
            "p_wilcoxon": t["p_wilcoxon"], "p_wilcoxon_holm": t["p_wilcoxon_holm"],
        })
    return pd.DataFrame(rows)
