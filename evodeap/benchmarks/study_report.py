"""The report of a suite study (:mod:`evodeap.benchmarks.suite_study`): ``evodeap report DIR``.

It reads ``DIR/suite_study.json`` and the finished job files (nothing else, no code runs) and
writes into ``OUT/report/`` (``OUT`` = ``DIR`` or ``--out``):

* ``study.md`` — the effect sizes of every variant against the reference
  (:func:`evodeap.benchmarks.effects.effects_markdown`), then the suite's tables
  (:func:`evodeap.benchmarks.report.markdown`: mean ranks at 25 % and 100 % of the budget with
  the Friedman test and Nemenyi CD, per-problem Wilcoxon tests with Holm, test values);
* ``effects.csv``, ``effects_per_problem.csv`` — the same numbers, one row per variant and per
  (variant, problem); ``ranks.csv``;
* ``study_cd_25.png``, ``study_cd_100.png`` — critical-difference diagrams across problems;
  ``study_curves.png`` — median normalised regret against the budget fraction per problem.

Only seeds every (problem, variant) job has finished enter (:func:`evodeap.benchmarks.analysis.build_grid`).
"""
from __future__ import annotations

import csv
import io
from pathlib import Path

from evodeap.benchmarks.analysis import Grid, build_grid, ranks_at, ranks_rows
from evodeap.benchmarks.effects import PROBLEM_COLUMNS, SUMMARY_COLUMNS, effects_markdown, problem_effects, \
    variant_effects
from evodeap.benchmarks.jobs import job_path, read_job
from evodeap.benchmarks.problem import suite_problem
from evodeap.benchmarks.report import _png, curves_figure, markdown, ranks_csv
from evodeap.benchmarks.suite_study import read_suite_study
from evodeap.errors import ConfigError
from evodeap.files import write_bytes, write_text
from evodeap.reports.ranking import cd_diagram
from evodeap.reports.stats import format_p

FOLDER = "report"


def suite_study_grid(directory: str | Path) -> tuple[Grid, dict]:
    """The grid of a suite study's finished jobs and its record.

    Raises:
        ConfigError: no seed has every job finished.
    """
    info = read_suite_study(directory)
    results = [read_job(path) for p in info["problems"] for v in info["variants"] for s in info["seeds"]
               if (path := job_path(Path(directory), p, v, s)).exists()]
    if not results:
        raise ConfigError(f"{directory}: no job has finished yet; run or resume the study first")
    problems = [suite_problem(name, info["budgets"][name]) for name in info["problems"]]
    return build_grid(results, problems), info


def _csv(rows: list[dict], columns: tuple[str, ...]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def write_suite_study_report(directory: str | Path, target: str | Path | None = None) -> list[Path]:
    """Write the report of the suite study in ``directory`` into ``target/report`` (default:
    ``directory/report``); returns the files written."""
    grid, info = suite_study_grid(directory)
    reference = info["reference"]
    if reference not in grid.methods or len(grid.methods) < 2:
        raise ConfigError(f"{directory}: the report needs the reference {reference!r} and another variant")
    out = Path(target if target is not None else directory) / FOLDER
    out.mkdir(parents=True, exist_ok=True)
    rankings = ranks_at(grid)
    head = (f"# {info['name']}: {len(grid.methods)} variants × {len(grid.problems)} problems × "
            f"{len(grid.seeds)} seeds\n\nProblems: {', '.join(grid.problems)}.\n\n")
    written = [
        write_text(out, "study.md", head + effects_markdown(grid, reference) + "\n# The suite's tables\n\n"
                   + markdown(grid, reference)),
        write_text(out, "effects.csv", _csv(variant_effects(grid, reference), SUMMARY_COLUMNS)),
        write_text(out, "effects_per_problem.csv", _csv(problem_effects(grid, reference), PROBLEM_COLUMNS)),
        write_text(out, "ranks.csv", ranks_csv(ranks_rows(grid, rankings))),
        write_bytes(out, "study_curves.png", _png(curves_figure(grid))),
    ]
    for fraction, ranking in rankings.items():
        figure = cd_diagram(ranking, title=f"{info['name']}: mean ranks at {fraction:.0%} of the budget, "
                                           f"{ranking.problems} problems, Friedman p = {format_p(ranking.friedman_p)}")
        written.append(write_bytes(out, f"study_cd_{int(fraction * 100)}.png", _png(figure)))
    return written


__all__ = ["FOLDER", "suite_study_grid", "write_suite_study_report"]
