"""Ranking search methods over many problems, as the benchmark literature does.

The protocol of YAHPO Gym (Pfisterer et al., AutoML-Conf 2022) and of Demšar (JMLR 2006):

* **Normalised regret** of an incumbent value ``y`` on a problem whose best and worst
  reference values are ``y*`` and ``y⁻`` (for a maximised metric)::

      r(y) = (y* − y) / (y* − y⁻)        clipped to [0, 1]

  so 0 is the best known value and 1 the worst reference.
* **Ranks per problem**: at a budget fraction, each method's score on a problem is the mean
  (over seeds) of its normalised regret; methods are ranked per problem (1 = best, ties get
  the mean of the ranks they span), and a method's **mean rank** is the mean over problems.
* **Friedman test** over the ``N`` problems (blocks) and ``k`` methods::

      χ²_F = 12N / (k(k+1)) · [Σ_j R_j² − k(k+1)²/4]

  with ``R_j`` the mean rank of method ``j`` (tie-corrected as :func:`scipy.stats.friedmanchisquare`
  does, so the two agree exactly).
* **Nemenyi critical difference**: two methods differ when their mean ranks differ by more than::

      CD = q_α · √(k(k+1) / (6N))

  where ``q_α`` is the studentised range quantile ``q(1−α; k, ∞) / √2`` (Demšar 2006, Table 5:
  q_0.05 = 1.960, 2.343, 2.569, 2.728, 2.850, 2.949, 3.031, 3.102, 3.164 for k = 2 … 10).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Mapping, Sequence

import numpy as np
from scipy import stats as scipy_stats

from evodeap.errors import ConfigError
from evodeap.reports.stats import format_p


def normalised_regret(value: float | np.ndarray, best: float, worst: float) -> np.ndarray:
    """``(best − value) / (best − worst)`` clipped to ``[0, 1]`` (a maximised metric).

    Raises:
        ConfigError: ``best <= worst`` (no range to normalise by).
    """
    if not best > worst:
        raise ConfigError(f"normalised regret needs best > worst, got best={best}, worst={worst}")
    return np.clip((best - np.asarray(value, dtype=float)) / (best - worst), 0.0, 1.0)


def rank_rows(scores: np.ndarray) -> np.ndarray:
    """Ranks within each row of ``scores`` (problems × methods), 1 = the lowest score
    (the least regret); ties share the mean of the ranks they span."""
    scores = np.asarray(scores, dtype=float)
    if scores.ndim != 2 or scores.shape[1] < 2:
        raise ConfigError(f"ranking needs a problems × methods table with >= 2 methods, got shape {scores.shape}")
    return np.vstack([scipy_stats.rankdata(row, method="average") for row in scores])


@dataclass(frozen=True)
class Ranking:
    """Mean ranks of methods over problems, the Friedman test and the Nemenyi CD.

    Attributes:
        methods: the method names, in the order of ``mean_ranks``.
        mean_ranks: each method's mean rank over the problems (1 = best).
        problems: ``N``, the number of problems (blocks).
        friedman_statistic, friedman_p: the Friedman χ² and its p-value (``nan`` if every
            problem ties every method).
        critical_difference: the Nemenyi CD at ``alpha``.
        alpha: the level of the CD.
    """

    methods: tuple[str, ...]
    mean_ranks: tuple[float, ...]
    problems: int
    friedman_statistic: float
    friedman_p: float
    critical_difference: float
    alpha: float

    def best(self) -> str:
        """The method with the lowest mean rank (the first listed on a tie)."""
        return self.methods[int(np.argmin(self.mean_ranks))]

    def differs(self, a: str, b: str) -> bool:
        """Whether the mean ranks of ``a`` and ``b`` differ by more than the CD."""
        ra, rb = (self.mean_ranks[self.methods.index(m)] for m in (a, b))
        return abs(ra - rb) > self.critical_difference


def nemenyi_q(k: int, alpha: float = 0.05) -> float:
    """``q_α`` of the Nemenyi test for ``k`` methods: ``q(1−α; k, ∞) / √2`` (Demšar 2006)."""
    if k < 2:
        raise ConfigError(f"the Nemenyi test needs >= 2 methods, got {k}")
    return float(scipy_stats.studentized_range.ppf(1 - alpha, k, np.inf) / math.sqrt(2))


def critical_difference(k: int, n: int, alpha: float = 0.05) -> float:
    """Nemenyi's ``CD = q_α · √(k(k+1) / (6N))`` for ``k`` methods over ``n`` problems."""
    if n < 1:
        raise ConfigError(f"the critical difference needs >= 1 problem, got {n}")
    return nemenyi_q(k, alpha) * math.sqrt(k * (k + 1) / (6.0 * n))


def friedman_test(ranks: np.ndarray) -> tuple[float, float]:
    """The Friedman χ² of a problems × methods table of within-problem ranks and its p-value
    (χ² with k − 1 degrees of freedom), tie-corrected as :func:`scipy.stats.friedmanchisquare`
    (which it equals for k ≥ 3; scipy refuses k = 2, where the test is still defined)::

        χ²_F = (12 / (N k (k+1)) · Σ_j S_j² − 3N(k+1)) / (1 − Σ (t³ − t) / (N k (k² − 1)))

    with ``S_j`` the rank sum of method ``j`` and ``t`` the size of each group of tied ranks.
    """
    n, k = ranks.shape
    ties = sum(float(t ** 3 - t) for row in ranks for t in np.unique(row, return_counts=True)[1])
    correction = 1.0 - ties / (n * k * (k * k - 1))
    statistic = (12.0 / (n * k * (k + 1)) * float(np.sum(ranks.sum(axis=0) ** 2)) - 3.0 * n * (k + 1)) / correction
    return statistic, float(scipy_stats.chi2.sf(statistic, k - 1))


def rank_methods(scores: Mapping[str, Sequence[float]], alpha: float = 0.05) -> Ranking:
    """Mean ranks, Friedman test and CD of ``{method: per-problem score}`` (lower is better).

    Every method must have a score for the same problems, in the same order.
    """
    methods = tuple(scores)
    table = np.column_stack([np.asarray(scores[m], dtype=float) for m in methods])
    if not np.all(np.isfinite(table)):
        raise ConfigError("ranking needs a finite score for every method on every problem")
    ranks = rank_rows(table)
    n, k = table.shape
    if n >= 2 and np.ptp(ranks, axis=1).any():
        statistic, p = friedman_test(ranks)
    else:
        statistic, p = math.nan, math.nan
    return Ranking(methods, tuple(float(r) for r in ranks.mean(axis=0)), n, float(statistic), float(p),
                   critical_difference(k, n, alpha), alpha)


def cd_diagram(ranking: Ranking, ax=None, title: str | None = None):
    """A critical-difference diagram (Demšar 2006, Fig. 1): methods on a rank axis, with a bar
    joining each group of methods whose mean ranks lie within one CD of each other.

    Returns the matplotlib figure.
    """
    import matplotlib.pyplot as plt

    order = np.argsort(ranking.mean_ranks)
    names = [ranking.methods[i] for i in order]
    ranks = [ranking.mean_ranks[i] for i in order]
    k = len(names)
    fig = ax.figure if ax is not None else plt.figure(figsize=(7, 1.2 + 0.3 * k))
    ax = ax if ax is not None else fig.add_subplot(111)
    ax.set_xlim(1, max(k, 2))
    ax.set_ylim(-(k + 2), 1.5)
    ax.hlines(0, 1, max(k, 2), color="black")
    for tick in range(1, max(k, 2) + 1):
        ax.vlines(tick, 0, 0.2, color="black")
        ax.text(tick, 0.35, str(tick), ha="center", fontsize=8)
    for row, (name, rank) in enumerate(zip(names, ranks)):
        y = -(row + 1)
        ax.plot([rank, rank], [0, y], color="grey", lw=0.8)
        ax.text(rank + 0.05, y, f"{name} ({rank:.2f})", va="center", fontsize=8)
    for start in range(k):  # maximal groups joined by a bar
        end = max(j for j in range(start, k) if ranks[j] - ranks[start] <= ranking.critical_difference)
        if end > start and (start == 0 or ranks[end] - ranks[start - 1] > ranking.critical_difference):
            ax.hlines(-0.5 - 0.25 * start, ranks[start] - 0.03, ranks[end] + 0.03, color="black", lw=3)
    ax.hlines(1.1, 1, 1 + ranking.critical_difference, color="red", lw=2)
    ax.text(1, 1.3, f"CD = {ranking.critical_difference:.2f} (α = {ranking.alpha})", fontsize=8)
    ax.axis("off")
    ax.set_title(title or f"mean ranks over {ranking.problems} problems, Friedman p = {format_p(ranking.friedman_p)}",
                 fontsize=9)
    return fig


__all__ = ["Ranking", "cd_diagram", "critical_difference", "friedman_test", "nemenyi_q", "normalised_regret",
           "rank_methods", "rank_rows"]
