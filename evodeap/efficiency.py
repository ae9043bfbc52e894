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
from typing import Sequence

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
