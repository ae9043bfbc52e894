"""What a benchmark suite's jobs say: regret curves, mean ranks, tests, reach.

The analysis is fixed before a suite runs (docs/benchmarks.md states it):

* **Normalised regret** of a job at a budget fraction ``f``: its incumbent's noise-free
  validation score (the incumbent chosen by what search saw) after spending ``f·B`` (``B`` the problem's budget), as
  :func:`evodeap.reports.ranking.normalised_regret` with ``best`` = the problem's best known
  validation score or the best any job found, whichever is higher, and ``worst`` = the worst
  first evaluation of any job on the problem; a job with no incumbent yet has regret 1.
* **Mean ranks** at ``f`` = 0.25 and 1.0: per problem, each method's mean regret over the
  seeds; ranked per problem; averaged over problems; Friedman test and Nemenyi CD. The
  Friedman test needs every method on every problem, so a method that did not run on some
  problems (no job there: a multi-fidelity peer on a problem without a fidelity) is left out
  of the ranking over all problems; :func:`rank_groups` names the problems on which more
  methods ran, and each such group is ranked again with all of them (:func:`ranks_at` with
  ``problems``).
* **Per problem**: a reference method against each other method on the final regret of
  matched seeds, two-sided exact Wilcoxon signed-rank test, Holm-adjusted over the methods.
* **Reach**: per problem and seed, the least cost at which the reference's incumbent regret
  is at or below random search's final regret on the same seed, as a fraction of ``B``
  (``inf`` when never); its median over seeds, then over problems.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Iterable, Mapping, Sequence

import numpy as np

from evodeap.benchmarks.jobs import JobResult
from evodeap.benchmarks.problem import SuiteProblem
from evodeap.errors import ConfigError
from evodeap.reports.ranking import Ranking, normalised_regret, rank_methods
from evodeap.reports.stats import holm_adjust, wilcoxon_signed_rank

#: Budget fractions of the anytime curves (log-spaced, 1 % to 100 %).
CURVE_FRACTIONS = tuple(float(f) for f in np.geomspace(0.01, 1.0, 25))
#: Budget fractions the mean ranks are reported at.
RANK_FRACTIONS = (0.25, 1.0)


@dataclass(frozen=True)
class Grid:
    """The jobs of a suite indexed by problem, method and seed (complete seeds only)."""

    problems: tuple[str, ...]
    methods: tuple[str, ...]
    seeds: tuple[int, ...]
    jobs: Mapping[tuple[str, str, int], JobResult]
    references: Mapping[str, tuple[float, float]]  # problem -> (best, worst)
    absent: frozenset[tuple[str, str]] = frozenset()  # (problem, method) pairs without a job

    def ran(self, problem: str, method: str) -> bool:
        """Whether ``method`` ran on ``problem`` (has jobs there)."""
        return (problem, method) not in self.absent

    def methods_on(self, problems: Sequence[str] | None = None) -> tuple[str, ...]:
        """The methods that ran on every one of ``problems`` (default: every problem)."""
        problems = self.problems if problems is None else problems
        return tuple(m for m in self.methods if all(self.ran(p, m) for p in problems))

    def regret(self, problem: str, method: str, seed: int, fraction: float) -> float:
        job = self.jobs[(problem, method, seed)]
        value, _ = job.incumbent_at(fraction * job.budget)
        best, worst = self.references[problem]
        return 1.0 if value == -math.inf else float(normalised_regret(value, best, worst))

    def regrets(self, problem: str, method: str, fraction: float) -> np.ndarray:
        return np.array([self.regret(problem, method, s, fraction) for s in self.seeds])


def build_grid(results: Iterable[JobResult], problems: Sequence[SuiteProblem] | None = None) -> Grid:
    """Index ``results``; keep the seeds every (problem, method) pair with a job has (a pair
    without any job is a method that did not run on that problem: ``Grid.absent``).

    Raises:
        ConfigError: no seed is complete, or a problem has no range to normalise by.
    """
    jobs = {(r.problem, r.method, r.seed): r for r in results}
    names = sorted({p for p, _, _ in jobs})
    methods = sorted({m for _, m, _ in jobs})
    seeds = sorted({s for _, _, s in jobs})
    ran = {(p, m) for p, m, _ in jobs}
    complete = tuple(s for s in seeds if all((p, m, s) in jobs for p, m in ran))
    if not complete:
        raise ConfigError("no seed has a job for every problem and method that ran on it")
    known = {p.name: p.best_known for p in problems or ()}
    references = {}
    for name in names:
        traces = [jobs[(name, m, s)].trace for m in methods if (name, m) in ran for s in complete]
        best_seen = max((max(point[2] for point in t) for t in traces if t), default=-math.inf)
        known_best = known.get(name)
        best = max(best_seen, -math.inf if known_best is None else known_best)
        worst = min((t[0][2] for t in traces if t), default=math.inf)
        if not best > worst:
            raise ConfigError(f"problem {name}: every job found the same value; nothing to rank")
        references[name] = (best, worst)
    absent = frozenset((p, m) for p in names for m in methods if (p, m) not in ran)
    return Grid(tuple(names), tuple(methods), complete, jobs, references, absent)


def mean_regret_table(grid: Grid, fraction: float, problems: Sequence[str] | None = None) -> dict[str, list[float]]:
    """``{method: [mean regret over seeds, per problem]}`` at ``fraction`` of the budget, over
    ``problems`` (default: all) and the methods that ran on every one of them."""
    problems = grid.problems if problems is None else tuple(problems)
    return {m: [float(grid.regrets(p, m, fraction).mean()) for p in problems] for m in grid.methods_on(problems)}


def ranks_at(grid: Grid, fractions: Sequence[float] = RANK_FRACTIONS, alpha: float = 0.05,
             problems: Sequence[str] | None = None) -> dict[float, Ranking]:
    """Mean ranks, Friedman test and CD at each budget fraction, over ``problems`` (default:
    all) and the methods that ran on every one of them (:func:`mean_regret_table`)."""
    return {f: rank_methods(mean_regret_table(grid, f, problems), alpha) for f in fractions}


def rank_groups(grid: Grid) -> list[tuple[str, ...]]:
    """The groups of problems (in problem order) on which the same methods ran, more of them
    than on every problem: each is ranked again with all its methods (the multi-fidelity
    peers join the other methods on the problems with a fidelity)."""
    everywhere = set(grid.methods_on())
    groups: dict[tuple[str, ...], list[str]] = {}
    for problem in grid.problems:
        present = grid.methods_on((problem,))
        if set(present) != everywhere:
            groups.setdefault(present, []).append(problem)
    return [tuple(problems) for problems in groups.values()]


def ranks_rows(grid: Grid, rankings: Mapping[float, Ranking]) -> list[dict[str, object]]:
    """Rows of ``ranks.csv``: method, budget_fraction, mean_rank, problems, seeds."""
    return [{"method": m, "budget_fraction": f, "mean_rank": round(r, 4), "problems": ranking.problems,
             "seeds": len(grid.seeds)}
            for f, ranking in rankings.items() for m, r in zip(ranking.methods, ranking.mean_ranks)]


def paired_tests(grid: Grid, reference: str) -> list[dict[str, object]]:
    """Per problem: ``reference`` against each other method that ran there on the final regret
    of matched seeds (problems where ``reference`` did not run are left out)."""
    rows = []
    for problem in grid.problems:
        if not grid.ran(problem, reference):
            continue
        ours = grid.regrets(problem, reference, 1.0)
        others = [m for m in grid.methods_on((problem,)) if m != reference]
        tests = []
        for method in others:
            theirs = grid.regrets(problem, method, 1.0)
            _, p = wilcoxon_signed_rank(ours, theirs) if np.any(ours != theirs) else (0.0, 1.0)
            tests.append((method, theirs, p))
        adjusted = holm_adjust([p for _, _, p in tests]) if tests else []
        for (method, theirs, p), p_holm in zip(tests, adjusted):
            rows.append({"problem": problem, "method": method, "reference_median": float(np.median(ours)),
                         "method_median": float(np.median(theirs)), "wins": int(np.sum(ours < theirs)),
                         "losses": int(np.sum(ours > theirs)), "p": float(p), "p_holm": float(p_holm)})
    return rows


def reach_fraction(job: JobResult, target_value: float) -> float:
    """The least budget fraction at which ``job``'s incumbent is at or above ``target_value``."""
    for cost, _, value, _ in job.trace:
        if value >= target_value and cost <= job.budget:
            return cost / job.budget
    return math.inf


def reach(grid: Grid, reference: str, baseline: str = "random") -> dict[str, float]:
    """Per problem, the median over seeds of :func:`reach_fraction` of ``reference`` to
    ``baseline``'s final incumbent (same problem, same seed); ``"median"``: over problems."""
    per_problem = {}
    for problem in grid.problems:
        if not (grid.ran(problem, reference) and grid.ran(problem, baseline)):
            continue
        fractions = []
        for seed in grid.seeds:
            target, _ = grid.jobs[(problem, baseline, seed)].incumbent_at(grid.jobs[(problem, baseline, seed)].budget)
            fractions.append(reach_fraction(grid.jobs[(problem, reference, seed)], target))
        per_problem[problem] = float(np.median(fractions))
    per_problem["median"] = float(np.median(list(per_problem.values()))) if per_problem else math.inf
    return per_problem


def anytime_curves(grid: Grid, fractions: Sequence[float] = CURVE_FRACTIONS) -> dict[tuple[str, str], np.ndarray]:
    """``{(problem, method): array (seeds × fractions)}`` of normalised regret (the pairs that ran)."""
    return {(p, m): np.array([[grid.regret(p, m, s, f) for f in fractions] for s in grid.seeds])
            for p in grid.problems for m in grid.methods_on((p,))}


def final_test(grid: Grid) -> dict[tuple[str, str], float]:
    """Median over seeds of the incumbent's *test* value at the full budget (``nan`` for a
    benchmark without a test split); the pairs that ran."""
    def median(values: list[float]) -> float:
        finite = [v for v in values if not math.isnan(v)]
        return float(np.median(finite)) if finite else math.nan

    return {(p, m): median([grid.jobs[(p, m, s)].incumbent_at(grid.jobs[(p, m, s)].budget)[1] for s in grid.seeds])
            for p in grid.problems for m in grid.methods_on((p,))}


__all__ = ["CURVE_FRACTIONS", "Grid", "RANK_FRACTIONS", "anytime_curves", "build_grid", "final_test",
           "mean_regret_table", "paired_tests", "rank_groups", "ranks_at", "ranks_rows", "reach", "reach_fraction"]
