"""Main effects and two-way interactions of a factorial study, with bootstrap CIs.

A study is factorial when its experiment file declares, beside ``VARIANTS``, which level of
each factor every variant is (recorded in ``study.json`` as ``factors``)::

    FACTORS = {"cx-none+mut-split+refine+adaptive": {"crossover": "none", "mutation": "split",
                                                     "refinement": "refine", "mutation_rate": "adaptive"}, ...}

With ``y_s,c`` the measure (e.g. final best fitness) of seed ``s`` in cell (variant) ``c``,
over the seeds ``S`` that every cell completed (a balanced design), effect coding gives

* grand mean ``μ = mean_{s,c} y_s,c``;
* main effect of level ``i`` of factor A: ``α_i = ȳ_(A=i) − μ``;
* interaction of levels ``i`` of A and ``j`` of B: ``(αβ)_ij = ȳ_(A=i,B=j) − ȳ_(A=i) − ȳ_(B=j) + μ``;
* the share of the total sum of squares a term explains, ``η² = SS_term / SS_total`` with
  ``SS_A = Σ_i n_i α_i²``, ``SS_AB = Σ_ij n_ij (αβ)_ij²``, ``SS_total = Σ (y − μ)²``.

Confidence intervals are percentile bootstrap intervals over seeds: each resample draws
``|S|`` seeds with replacement and recomputes every effect from those seeds in every cell
(arms share seeds, so a seed is the unit of replication, and pairing is kept).
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

import numpy as np

from evodeap.errors import ConfigError, RunDirectoryError
from evodeap.reports.run_report import output_folder, save_figure, write_table
from evodeap.results.queries import snapshots
from evodeap.config.experiment import check_factors
from evodeap.studies.study import read_study
from evodeap.studies.report import study_summary, write_notes


@dataclass
class FactorialAnalysis:
    """What :func:`analyse` computed.

    Attributes:
        effects: one row per main-effect level and interaction cell: ``term``, ``kind``
            (``main``/``interaction``), ``level``, ``n`` (runs), ``mean`` (of the measure in
            that level or cell), ``effect``, ``ci_low``, ``ci_high``.
        terms: one row per term: ``term``, ``kind``, ``df``, ``sum_sq``, ``eta_sq`` and its
            CI, sorted by ``eta_sq`` (largest first).
        seeds: the seeds used (complete in every cell).
        grand_mean: ``μ``.
        warnings: sentences about what was left out.
    """

    effects: Any
    terms: Any
    seeds: list
    grand_mean: float
    measure: str
    factors: dict[str, list[str]]
    warnings: list[str] = field(default_factory=list)


def study_factors(directory: str | Path) -> dict[str, dict[str, str]] | None:
    """The ``factors`` a study recorded in ``study.json`` (``None`` when it is not factorial)."""
    info = read_study(Path(directory))
    if not info.get("factors"):
        return None
    try:
        return check_factors(info["factors"], info["variants"])
    except ConfigError as exc:
        raise RunDirectoryError(f"{directory}/study.json: {exc}") from None


def _effects_from(values: np.ndarray, codes: np.ndarray, factor_names: list[str], levels: dict[str, list[str]]):
    """Effects of one data set: ``values`` (runs) with ``codes`` (runs × factors) level indices.
    Returns ({(term, level): (n, mean, effect)}, {term: (df, sum_sq)}, total sum of squares)."""
    mu = float(values.mean())
    total = float(((values - mu) ** 2).sum())
    out, sums = {}, {}
    level_means = {}
    for f, name in enumerate(factor_names):
        ss = 0.0
        for i, level in enumerate(levels[name]):
            mask = codes[:, f] == i
            mean = float(values[mask].mean())
            level_means[(f, i)] = mean
            out[(name, level)] = (int(mask.sum()), mean, mean - mu)
            ss += mask.sum() * (mean - mu) ** 2
        sums[name] = (len(levels[name]) - 1, float(ss))
    for (f, a), (g, b) in itertools.combinations(enumerate(factor_names), 2):
        term = f"{a}×{b}"
        ss = 0.0
        for i, j in itertools.product(range(len(levels[a])), range(len(levels[b]))):
            mask = (codes[:, f] == i) & (codes[:, g] == j)
            mean = float(values[mask].mean())
            effect = mean - level_means[(f, i)] - level_means[(g, j)] + mu
            out[(term, f"{levels[a][i]}×{levels[b][j]}")] = (int(mask.sum()), mean, effect)
            ss += mask.sum() * effect**2
        sums[term] = ((len(levels[a]) - 1) * (len(levels[b]) - 1), float(ss))
    return out, sums, total


def analyse(directory: str | Path, measure: str = "final_best", factors: Mapping | None = None,
            confidence: float = 0.95, n_resamples: int = 2000, seed: int = 0) -> FactorialAnalysis:
    """Main effects, two-way interactions and η² of ``measure`` (a column of
    :func:`evodeap.studies.report.study_summary`) over the complete, balanced part of a study.

    Args:
        directory: the study directory.
        measure: ``final_best`` or ``auc_best_so_far``.
        factors: variant -> {factor: level}; default: the study's recorded ``factors``.
        confidence, n_resamples, seed: the bootstrap over seeds.

    Raises:
        RunDirectoryError: the study is not factorial, or no seed is complete in every cell.
    """
    import pandas as pd

    cells, seeds, levels, table, warnings = _balanced_design(Path(directory), factors, measure)
    names = list(levels)
    y = np.array([[table.loc[(v, s)] for s in seeds] for v in cells], dtype=float)  # cells × seeds
    cell_codes = np.array([[levels[n].index(cells[v][n]) for n in names] for v in cells])

    def compute(columns: np.ndarray):
        values = y[:, columns].reshape(-1)
        codes = np.repeat(cell_codes, len(columns), axis=0)
        return _effects_from(values, codes, names, levels)

    point, sums, total = compute(np.arange(len(seeds)))
    rng = np.random.default_rng(seed)
    draws = {key: [] for key in point}
    shares = {term: [] for term in sums}
    for _ in range(n_resamples if len(seeds) > 1 else 0):
        effects, ss, tot = compute(rng.integers(0, len(seeds), size=len(seeds)))
        for key, (_, _, effect) in effects.items():
            draws[key].append(effect)
        for term, (_, value) in ss.items():
            shares[term].append(value / tot if tot > 0 else 0.0)
    rows, term_rows = _effect_rows(point, sums, total, draws, shares, confidence)
    if len(seeds) < 10:
        warnings.append(f"bootstrap over {len(seeds)} seeds: the intervals are rough (they cannot be wider than "
                        f"what {len(seeds)} seeds show)")
    terms = pd.DataFrame(term_rows).sort_values("eta_sq", ascending=False, kind="stable").reset_index(drop=True)
    return FactorialAnalysis(pd.DataFrame(rows), terms, seeds, float(y.mean()), measure, levels, warnings)


def _balanced_design(directory: Path, factors: Mapping | None, measure: str) -> tuple[dict, list, dict, Any, list]:
    """The complete, balanced part of a factorial study: (cells: variant -> {factor: level},
    the seeds complete in every cell, factor -> its levels in order of first appearance,
    ``measure`` indexed by (variant, seed), warnings).

    Raises:
        RunDirectoryError: the study is not factorial, no seed is complete in every cell, or
            the variants are not a full factorial.
    """
    info = read_study(directory)
    factors = check_factors(factors, info["variants"]) if factors is not None else study_factors(directory)
    if factors is None:
        raise RunDirectoryError(f"{directory} is not a factorial study: its experiment declares no FACTORS")
    summary = study_summary(directory)
    complete = summary[summary["complete"]]
    cells = list(factors)
    per_cell = {v: set(complete.loc[complete["variant"] == v, "seed"]) for v in cells}
    seeds = sorted(set.intersection(*per_cell.values())) if per_cell else []
    warnings = []
    left_out = sorted(set(complete["seed"]) - set(seeds))
    if left_out:
        warnings.append(f"seeds {left_out} are not complete in every cell and are left out (balanced design)")
    if not seeds:
        raise RunDirectoryError(f"{directory}: no seed is complete in every cell of the factorial design")
    names = list(next(iter(factors.values())))
    levels = {n: sorted({factors[v][n] for v in cells}, key=lambda lv: [factors[c][n] for c in cells].index(lv))
              for n in names}
    expected = int(np.prod([len(levels[n]) for n in names]))
    if expected != len(cells):
        raise RunDirectoryError(f"{directory}: {len(cells)} variants for a full factorial of {expected} cells")
    table = complete.set_index(["variant", "seed"])[measure]
    return {v: factors[v] for v in cells}, seeds, levels, table, warnings


def _effect_rows(point: dict, sums: dict, total: float, draws: dict, shares: dict,
                 confidence: float) -> tuple[list[dict], list[dict]]:
    """The rows of the effects table (term, level, n, mean, effect and its percentile
    interval) and of the terms table (df, sum of squares, η² = SS_term / SS_total and its
    interval); an interval without bootstrap samples is the point value."""
    alpha = (1 - confidence) / 2

    def interval(samples: list, fallback: float) -> tuple[float, float]:
        if not samples:
            return fallback, fallback
        low, high = np.quantile(samples, [alpha, 1 - alpha])
        return float(low), float(high)

    rows = []
    for (term, level), (n, mean, effect) in point.items():
        low, high = interval(draws[(term, level)], effect)
        rows.append({"term": term, "kind": "interaction" if "×" in term else "main", "level": level, "n": n,
                     "mean": mean, "effect": effect, "ci_low": low, "ci_high": high})
    term_rows = []
    for term, (df, ss) in sums.items():
        eta = ss / total if total > 0 else 0.0
        low, high = interval(shares[term], eta)
        term_rows.append({"term": term, "kind": "interaction" if "×" in term else "main", "df": df, "sum_sq": ss,
                          "eta_sq": eta, "eta_sq_ci_low": low, "eta_sq_ci_high": high})
    return rows, term_rows


def effects(directory: str | Path, measure: str = "final_best", **kwargs: Any):
    """The effects table of :func:`analyse` (main effects, then two-way interactions)."""
    return analyse(directory, measure, **kwargs).effects


def effects_figures(analysis: FactorialAnalysis) -> dict[str, Any]:
    """``factorial_main_effects`` (each factor's level means with CIs, the grand mean dashed)
    and ``factorial_interactions`` (each pair of factors: cell means, one line per level of
    the second factor; every panel on one y-scale) as matplotlib Figures, laid out so that no
    title, label or legend overlaps another (constrained layout)."""
    import matplotlib.pyplot as plt

    frame = analysis.effects
    names = list(analysis.factors)
    label = analysis.measure.replace("_", " ")
    mu = analysis.grand_mean
    fig, axes = plt.subplots(1, len(names), figsize=(3.6 * len(names), 3.8), sharey=True, squeeze=False,
                             layout="constrained")
    for ax, name in zip(axes[0], names):
        rows = frame[(frame["term"] == name)]
        x = np.arange(len(rows))
        ax.errorbar(x, rows["mean"], yerr=[rows["effect"] - rows["ci_low"], rows["ci_high"] - rows["effect"]],
                    marker="o", capsize=4, label="level mean, 95 % CI of its effect")
        ax.axhline(mu, color="0.4", linestyle="--", linewidth=1, label="grand mean")
        ax.set_xticks(x, rows["level"], rotation=20)
        ax.set(xlabel=name, title=f"main effect of {name}")
    axes[0][0].set_ylabel(f"mean {label}")
    axes[0][0].legend(fontsize="x-small")
    fig.suptitle(f"Main effects on {label} ({len(analysis.seeds)} seeds per cell)")
    pairs = list(itertools.combinations(names, 2))
    columns = min(3, len(pairs)) or 1
    rows_n = max(1, int(np.ceil(len(pairs) / columns)))
    # one y-scale for every panel (sharey), and a layout that keeps titles, labels and legends apart
    inter, grid = plt.subplots(rows_n, columns, figsize=(4.6 * columns, 3.8 * rows_n), squeeze=False, sharey=True,
                               layout="constrained")
    for i, (ax, (a, b)) in enumerate(zip(grid.reshape(-1), pairs)):
        cells = frame[frame["term"] == f"{a}×{b}"]
        for level_b in analysis.factors[b]:
            chosen = cells[cells["level"].str.endswith(f"×{level_b}")]
            ax.plot([lv.split("×")[0] for lv in chosen["level"]], chosen["mean"], marker="o", label=f"{b}={level_b}")
        ax.set(xlabel=a, title=f"{a} × {b}")
        if i % columns == 0:
            ax.set_ylabel(f"mean {label}")
        ax.tick_params(axis="y", labelleft=True)
        ax.legend(fontsize="x-small")
    for ax in grid.reshape(-1)[len(pairs):]:
        ax.set_visible(False)
    inter.suptitle(f"Two-way interactions on {label} (parallel lines = no interaction)")
    return {"factorial_main_effects": fig, "factorial_interactions": inter}


WARNINGS_FILE = "factorial_warnings.md"


def write_factorial_report(directory: str | Path, out: str | Path | None = None) -> list[Path]:
    """For a factorial study: ``tables/factorial_effects``, ``tables/factorial_terms``,
    ``tables/factorial_warnings.md`` (when :func:`analyse` has any) and the figures
    ``factorial_main_effects`` and ``factorial_interactions``, into ``out`` (default: the
    study directory, under its lock); returns the written paths (none for a study that
    declares no factors). ``evodeap report`` calls it after the study report."""
    import matplotlib

    matplotlib.use("Agg")
    directory = Path(directory)
    if study_factors(directory) is None:
        return []
    with output_folder(directory, out) as target, snapshots():
        analysis = analyse(directory)
        written = write_table(analysis.effects, target / "tables", "factorial_effects")
        written += write_table(analysis.terms, target / "tables", "factorial_terms")
        written += write_notes(target, WARNINGS_FILE, [f"factorial: {note}" for note in analysis.warnings])
        for name, fig in effects_figures(analysis).items():
            written += save_figure(fig, target / "figures", name)
    return written


__all__ = ["FactorialAnalysis", "analyse", "effects", "effects_figures", "study_factors", "write_factorial_report"]
