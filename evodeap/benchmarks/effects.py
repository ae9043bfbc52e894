"""Effect sizes of a suite study's variants against its reference, across problems.

On a suite grid (:class:`evodeap.benchmarks.analysis.Grid`), with ``r(v, p, s)`` the normalised
regret of variant ``v`` on problem ``p`` with seed ``s`` at a budget fraction (lower is better):

* **per problem**: the paired differences ``d_s = r(v, p, s) − r(ref, p, s)`` over the matched
  seeds and their median ``Δ(v, p) = median_s d_s`` (negative: the variant ends closer to the
  best known value); Vargha–Delaney ``A12(v, p) = P(r_v < r_ref) + ½ P(r_v = r_ref)`` over all
  seed pairs (:func:`evodeap.reports.stats.vargha_delaney_a12` of the negated regrets; > 0.5:
  the variant tends to win); the two-sided Wilcoxon signed-rank test of the ``d_s``, Holm-adjusted
  over the variants of the problem (:func:`evodeap.benchmarks.analysis.paired_tests`); the verdict
  is ``better`` or ``worse`` when the adjusted p < α, in the direction of the larger signed-rank
  sum (``W− > W+``: better);
* **across problems**: the effect ``E(v) = median_p Δ(v, p)`` with the percentile bootstrap 95 %
  CI over problems (:func:`evodeap.reports.stats.bootstrap_ci` of the median, problems resampled
  with replacement, 10 000 resamples, seed 0), the median of the ``A12(v, p)``, and the count of
  problems where the variant is better and worse. With few problems the CI is coarse: with three
  problems it is ``[min Δ, max Δ]`` (each extreme is the median of a resample with probability
  7/27 > 2.5 %).
"""
from __future__ import annotations

import math
from typing import Sequence

import numpy as np
from scipy import stats as scipy_stats

from evodeap.benchmarks.analysis import Grid, paired_tests, ranks_at
from evodeap.reports.stats import bootstrap_ci, format_p, is_p_column, vargha_delaney_a12

#: the columns of :func:`variant_effects` and :func:`problem_effects`
SUMMARY_COLUMNS = ("variant", "rank_25", "rank_100", "effect", "ci_low", "ci_high", "median_a12", "better",
                   "worse", "problems")
PROBLEM_COLUMNS = ("variant", "problem", "median_regret", "reference_median_regret", "delta", "a12", "p",
                   "p_holm", "verdict")


def direction(differences: Sequence[float]) -> int:
    """``-1`` when the signed-rank sum of the negative differences is the larger (``W− > W+``),
    ``+1`` when the positive one is, ``0`` on a tie (ranks of ``|d|`` over the non-zero ``d``)."""
    d = np.asarray(differences, dtype=float)
    d = d[d != 0]
    if d.size == 0:
        return 0
    ranks = scipy_stats.rankdata(np.abs(d))
    return int(np.sign(ranks[d > 0].sum() - ranks[d < 0].sum()))


def problem_effects(grid: Grid, reference: str, fraction: float = 1.0, alpha: float = 0.05) -> list[dict]:
    """One row per (variant ≠ reference, problem): the module docstring's per-problem measures."""
    tests = {(row["problem"], row["method"]): row for row in paired_tests(grid, reference)} if fraction == 1.0 \
        else {}
    rows = []
    for variant in (m for m in grid.methods if m != reference):
        for problem in grid.problems:
            ours, theirs = grid.regrets(problem, variant, fraction), grid.regrets(problem, reference, fraction)
            d = ours - theirs
            test = tests.get((problem, variant), {"p": math.nan, "p_holm": math.nan})
            verdict = "—"
            if test["p_holm"] < alpha:
                verdict = {-1: "better", 1: "worse"}.get(direction(d), "—")
            rows.append({"variant": variant, "problem": problem, "median_regret": float(np.median(ours)),
                         "reference_median_regret": float(np.median(theirs)), "delta": float(np.median(d)),
                         "a12": vargha_delaney_a12(-ours, -theirs), "p": float(test["p"]),
                         "p_holm": float(test["p_holm"]), "verdict": verdict})
    return rows


def variant_effects(grid: Grid, reference: str, alpha: float = 0.05, confidence: float = 0.95,
                    n_resamples: int = 10_000, seed: int = 0) -> list[dict]:
    """One row per variant ≠ reference (the module docstring's across-problem measures), sorted by
    effect (most negative — the best — first); the mean ranks at 25 % and 100 % of the budget."""
    per_problem = problem_effects(grid, reference, 1.0, alpha)
    rankings = ranks_at(grid, (0.25, 1.0), alpha)
    rows = []
    for variant in (m for m in grid.methods if m != reference):
        mine = [row for row in per_problem if row["variant"] == variant]
        deltas = [row["delta"] for row in mine]
        low, high = bootstrap_ci(deltas, np.median, confidence, n_resamples, seed)
        rank = {f: r.mean_ranks[r.methods.index(variant)] for f, r in rankings.items()}
        rows.append({"variant": variant, "rank_25": rank[0.25], "rank_100": rank[1.0],
                     "effect": float(np.median(deltas)), "ci_low": low, "ci_high": high,
                     "median_a12": float(np.median([row["a12"] for row in mine])),
                     "better": sum(row["verdict"] == "better" for row in mine),
                     "worse": sum(row["verdict"] == "worse" for row in mine), "problems": len(mine)})
    return sorted(rows, key=lambda row: (row["effect"], row["variant"]))


def _cell(value: object) -> str:
    return f"{value:.3g}" if isinstance(value, float) else str(value)


def effects_markdown(grid: Grid, reference: str, alpha: float = 0.05) -> str:
    """The report's effect-size tables (Markdown)."""
    rankings = ranks_at(grid, (0.25, 1.0), alpha)
    reference_rank = {f: r.mean_ranks[r.methods.index(reference)] for f, r in rankings.items()}
    lines = [f"## Each variant against {reference} ({len(grid.problems)} problems × {len(grid.seeds)} seeds)", "",
             "Effect = median over problems of the per-problem median paired difference of the final normalised "
             "regret (variant − reference; negative: the variant is better), with its bootstrap 95 % CI over "
             f"problems; A12 = P(variant's regret < reference's); better/worse: problems where the two-sided "
             f"Wilcoxon signed-rank test, Holm-adjusted over the variants, gives p < {alpha}.", "",
             f"Reference mean rank: {reference_rank[0.25]:.2f} at 25 %, {reference_rank[1.0]:.2f} at 100 % of the "
             "budget.", "",
             "| variant | rank at 25% | rank at 100% | effect | 95% CI | median A12 | better on | worse on |",
             "|---|---|---|---|---|---|---|---|"]
    for row in variant_effects(grid, reference, alpha):
        lines.append(f"| {row['variant']} | {row['rank_25']:.2f} | {row['rank_100']:.2f} | {row['effect']:+.4f} | "
                     f"[{row['ci_low']:+.4f}, {row['ci_high']:+.4f}] | {row['median_a12']:.3f} | "
                     f"{row['better']}/{row['problems']} | {row['worse']}/{row['problems']} |")
    lines += ["", "## Per problem", "", "| " + " | ".join(PROBLEM_COLUMNS) + " |",
              "|" + "---|" * len(PROBLEM_COLUMNS)]
    for row in problem_effects(grid, reference, 1.0, alpha):
        lines.append("| " + " | ".join(format_p(row[c]) if is_p_column(c) else _cell(row[c]) for c in PROBLEM_COLUMNS)
                     + " |")
    return "\n".join(lines) + "\n"


__all__ = ["PROBLEM_COLUMNS", "SUMMARY_COLUMNS", "direction", "effects_markdown", "problem_effects",
           "variant_effects"]
