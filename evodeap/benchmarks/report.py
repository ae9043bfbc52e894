"""The suite's report: Markdown tables, ``ranks.csv``, anytime-regret and critical-difference figures.

The mean ranks are over every problem and the methods that ran on all of them; where more
methods ran on some problems (the multi-fidelity peers on the problems with a fidelity),
those problems are ranked again with all their methods (:func:`evodeap.benchmarks.analysis.rank_groups`):
a section of the Markdown, rows of ``ranks.csv`` whose ``problems`` column is that group's
size, and ``NAME_cd_<f>_group<i>.png``.
"""
from __future__ import annotations

import csv
import io
import math
from pathlib import Path
from typing import Sequence

import numpy as np

from evodeap.benchmarks.analysis import (
    CURVE_FRACTIONS,
    Grid,
    anytime_curves,
    final_test,
    paired_tests,
    rank_groups,
    ranks_at,
    ranks_rows,
    reach,
)
from evodeap.files import write_bytes, write_text
from evodeap.reports.ranking import Ranking, cd_diagram
from evodeap.reports.stats import format_p

RANKS_COLUMNS = ("method", "budget_fraction", "mean_rank", "problems", "seeds")


def _fmt(value: float) -> str:
    if isinstance(value, float) and math.isinf(value):
        return "never"
    return f"{value:.3g}" if isinstance(value, float) else str(value)


def _png(fig) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    import matplotlib.pyplot as plt

    plt.close(fig)
    return buffer.getvalue()


def curves_figure(grid: Grid, fractions: Sequence[float] = CURVE_FRACTIONS):
    """One panel per problem: median normalised regret against the budget fraction (log x),
    with the inter-quartile band over seeds, every method."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    curves = anytime_curves(grid, fractions)
    columns = min(4, len(grid.problems))
    rows = math.ceil(len(grid.problems) / columns)
    fig, axes = plt.subplots(rows, columns, figsize=(4 * columns, 3 * rows), squeeze=False, sharex=True)
    palette = plt.get_cmap("tab10" if len(grid.methods) <= 10 else "tab20")
    handles = {}
    for ax, problem in zip(axes.flat, grid.problems):
        for method in grid.methods_on((problem,)):  # one colour per method in every panel
            values = curves[(problem, method)]
            median = np.median(values, axis=0)
            low, high = np.percentile(values, [25, 75], axis=0)
            color = palette(grid.methods.index(method) % palette.N)
            (handles[method],) = ax.step(fractions, median, where="post", label=method, color=color)
            ax.fill_between(fractions, low, high, step="post", alpha=0.15, color=color)
        ax.set_xscale("log")
        ax.set_title(problem, fontsize=9)
        ax.set_ylabel("normalised regret")
    for ax in list(axes.flat)[len(grid.problems):]:
        ax.axis("off")
    axes.flat[0].legend(list(handles.values()), list(handles), fontsize=7)
    fig.supxlabel("fraction of the budget")
    fig.tight_layout()
    return fig


def ranks_csv(rows: Sequence[dict]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=RANKS_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def markdown(grid: Grid, reference: str) -> str:
    """The report's Markdown: ranks with Friedman and CD, per-problem tests, reach, test values."""
    lines = [f"{len(grid.problems)} problems × {len(grid.methods)} methods × {len(grid.seeds)} seeds "
             f"(seeds {grid.seeds[0]}–{grid.seeds[-1]}).", ""]
    for problems, rankings in all_rankings(grid):
        if problems is None:
            lines += ["## Mean ranks (normalised validation regret)", ""]
            missing = [m for m in grid.methods if m not in grid.methods_on()]
            if missing:
                lines += [f"Over every problem; {', '.join(missing)} did not run on every problem and are ranked "
                          f"below on the problems where they ran.", ""]
        else:
            lines += [f"## Mean ranks on {', '.join(problems)}: every method that ran there", ""]
        lines += _rank_table(rankings)
    lines += ["", f"## {reference} against each method, per problem (final regret, two-sided Wilcoxon, Holm)", "",
              "| problem | method | median regret (" + reference + ") | median regret (method) | wins | losses | p | p (Holm) |",
              "|---|---|---|---|---|---|---|---|"]
    for row in paired_tests(grid, reference):
        lines.append("| " + " | ".join(format_p(row[k]) if k in ("p", "p_holm") else _fmt(row[k])
                                       for k in ("problem", "method", "reference_median", "method_median",
                                                 "wins", "losses", "p", "p_holm")) + " |")
    if "random" in grid.methods and reference != "random":
        reached = reach(grid, reference)
        lines += ["", f"## Budget fraction at which {reference} reaches random search's final value (median over seeds)",
                  "", "| problem | fraction |", "|---|---|"]
        lines += [f"| {p} | {_fmt(v)} |" for p, v in reached.items()]
    tests = final_test(grid)
    lines += ["", "## Test value of the final incumbent (median over seeds)", "",
              "| problem | " + " | ".join(grid.methods) + " |", "|---|" + "---|" * len(grid.methods)]
    for problem in grid.problems:
        lines.append(f"| {problem} | " + " | ".join(f"{tests[(problem, m)]:.4g}" if (problem, m) in tests else "–"
                                                    for m in grid.methods) + " |")
    return "\n".join(lines) + "\n"


def all_rankings(grid: Grid) -> list[tuple[tuple[str, ...] | None, dict[float, Ranking]]]:
    """``(problems, rankings)``: over every problem (``None``; the methods that ran on all of
    them, when there are at least two), then each group of :func:`rank_groups` with all its methods."""
    out: list[tuple[tuple[str, ...] | None, dict[float, Ranking]]] = []
    if len(grid.methods_on()) >= 2:
        out.append((None, ranks_at(grid)))
    out += [(problems, ranks_at(grid, problems=problems)) for problems in rank_groups(grid)]
    return out


def _rank_table(rankings: dict[float, Ranking]) -> list[str]:
    """The Markdown table of ``rankings`` (sorted by the rank at 100 %) and the Friedman lines."""
    last = rankings[max(rankings)]
    lines = ["| method | " + " | ".join(f"rank at {f:.0%}" for f in rankings) + " |", "|---|" + "---|" * len(rankings)]
    for method in sorted(last.methods, key=lambda m: last.mean_ranks[last.methods.index(m)]):
        lines.append(f"| {method} | " + " | ".join(
            f"{r.mean_ranks[r.methods.index(method)]:.2f}" for r in rankings.values()) + " |")
    for f, r in rankings.items():
        lines.append(f"\nAt {f:.0%}: Friedman χ² = {r.friedman_statistic:.2f}, p = {format_p(r.friedman_p)}; "
                     f"Nemenyi CD (α = {r.alpha}) = {r.critical_difference:.2f}; best: {r.best()}.")
    return lines + [""]


def write_report(out: str | Path, grid: Grid, reference: str, name: str = "suite") -> list[Path]:
    """Write ``NAME.md``, ``ranks.csv``, ``NAME_curves.png`` and ``NAME_cd_<f>.png`` into ``out``."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    rankings = all_rankings(grid)
    rows = [row for _, ranked in rankings for row in ranks_rows(grid, ranked)]
    written = [write_text(out, f"{name}.md", markdown(grid, reference)),
               write_text(out, "ranks.csv", ranks_csv(rows)),
               write_bytes(out, f"{name}_curves.png", _png(curves_figure(grid)))]
    groups = 0
    for problems, ranked in rankings:
        suffix = "" if problems is None else f"_group{(groups := groups + 1)}"
        for fraction, ranking in ranked.items():
            figure = cd_diagram(ranking, title=f"mean ranks at {fraction:.0%} of the budget, "
                                               f"{ranking.problems} problems, Friedman p = {format_p(ranking.friedman_p)}")
            written.append(write_bytes(out, f"{name}_cd_{int(fraction * 100)}{suffix}.png", _png(figure)))
    return written


__all__ = ["RANKS_COLUMNS", "all_rankings", "curves_figure", "markdown", "ranks_csv", "write_report"]
