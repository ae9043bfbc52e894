"""The suite's report: Markdown tables, ``ranks.csv``, anytime-regret and critical-difference figures."""
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
    ranks_at,
    ranks_rows,
    reach,
)
from evodeap.files import write_bytes, write_text
from evodeap.reports.ranking import cd_diagram
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
    for ax, problem in zip(axes.flat, grid.problems):
        for method in grid.methods:
            values = curves[(problem, method)]
            median = np.median(values, axis=0)
            low, high = np.percentile(values, [25, 75], axis=0)
            (line,) = ax.step(fractions, median, where="post", label=method)
            ax.fill_between(fractions, low, high, step="post", alpha=0.15, color=line.get_color())
        ax.set_xscale("log")
        ax.set_title(problem, fontsize=9)
        ax.set_ylabel("normalised regret")
    for ax in list(axes.flat)[len(grid.problems):]:
        ax.axis("off")
    axes.flat[0].legend(fontsize=7)
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
    rankings = ranks_at(grid)
    lines = [f"{len(grid.problems)} problems × {len(grid.methods)} methods × {len(grid.seeds)} seeds "
             f"(seeds {grid.seeds[0]}–{grid.seeds[-1]}).", "", "## Mean ranks (normalised validation regret)", "",
             "| method | " + " | ".join(f"rank at {f:.0%}" for f in rankings) + " |",
             "|---|" + "---|" * len(rankings)]
    for method in sorted(grid.methods, key=lambda m: rankings[1.0].mean_ranks[rankings[1.0].methods.index(m)]
                         if 1.0 in rankings else 0):
        lines.append(f"| {method} | " + " | ".join(
            f"{r.mean_ranks[r.methods.index(method)]:.2f}" for r in rankings.values()) + " |")
    for f, r in rankings.items():
        lines.append(f"\nAt {f:.0%}: Friedman χ² = {r.friedman_statistic:.2f}, p = {format_p(r.friedman_p)}; "
                     f"Nemenyi CD (α = {r.alpha}) = {r.critical_difference:.2f}; best: {r.best()}.")
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
        lines.append(f"| {problem} | " + " | ".join(f"{tests[(problem, m)]:.4g}" for m in grid.methods) + " |")
    return "\n".join(lines) + "\n"


def write_report(out: str | Path, grid: Grid, reference: str, name: str = "suite") -> list[Path]:
    """Write ``NAME.md``, ``ranks.csv``, ``NAME_curves.png`` and ``NAME_cd_<f>.png`` into ``out``."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    rankings = ranks_at(grid)
    written = [write_text(out, f"{name}.md", markdown(grid, reference)),
               write_text(out, "ranks.csv", ranks_csv(ranks_rows(grid, rankings))),
               write_bytes(out, f"{name}_curves.png", _png(curves_figure(grid)))]
    for fraction, ranking in rankings.items():
        figure = cd_diagram(ranking, title=f"mean ranks at {fraction:.0%} of the budget, "
                                           f"{ranking.problems} problems, Friedman p = {format_p(ranking.friedman_p)}")
        written.append(write_bytes(out, f"{name}_cd_{int(fraction * 100)}.png", _png(figure)))
    return written


__all__ = ["RANKS_COLUMNS", "curves_figure", "markdown", "ranks_csv", "write_report"]
