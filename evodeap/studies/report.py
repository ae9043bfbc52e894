"""The comparison report of a study (``evodeap report DIR`` on a study directory).

For every arm (variant) over the shared seeds it reads each sub-run's database and
writes, under ``DIR/tables`` and ``DIR/figures``:

* ``study_runs`` — per variant and seed: final best fitness, area under the best-so-far
  curve, evaluations, failures, and whether the sub-run is ``complete``;
* ``study_final_best`` and ``study_auc`` — per variant: mean and median with bootstrap
  95 % confidence intervals; against the reference arm, paired by seed: the Wilcoxon
  signed-rank test, the median difference with its bootstrap CI, and unpaired: the
  Mann–Whitney U test and Vargha–Delaney A12 (raw and Holm-adjusted p), and the smallest
  p each test can reach with this many seeds;
* ``study_ranking`` — a compact table sorted by mean final best fitness (best first) — the
  ablation table; ``study_warnings`` — when the seeds cannot reach the significance level;
* ``study_best`` — per variant and seed: the best model's genome, fitness, components and
  validation and test metrics (:func:`evodeap.studies.best.study_best`); ``study_warnings``
  also names every sub-run whose best is within noise of chance
  (:func:`evodeap.reports.learning.learning_warnings`);
* figures: best-so-far fitness against generations (refinement generations marked),
  against evaluations and against training compute, diversity — step curves of the mean
  over seeds with a bootstrap 95 % band, integer ticks for generations and evaluations; a
  seed that stopped early holds its last best-so-far value to the end of its arm (the arm's
  curve ends at its longest seed, at the mean of the seeds' final values) — and
  ``final_best``, the forest plot of the arms;
* ``importance`` (table and figure) — each gene's, and the variant's, first-order share of the
  fitness variance over every sub-run's evaluations (:mod:`evodeap.reports.importance`);
* for a factorial study (``FACTORS``), main effects and two-way interactions with CIs
  (:mod:`evodeap.studies.factorial`).

Only complete sub-runs (all generations of their config done) enter the comparisons: a
run stopped at generation 3 is not comparable with one that ran 15. ``study_runs`` still
lists incomplete ones; finish them with ``evodeap resume DIR``.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from evodeap.reports.run_report import output_folder, save_figure, write_importance, write_table
from evodeap.reports.stats import area_under_best_so_far, compare_arms, comparison_warnings
from evodeap.results.queries import snapshots
from evodeap.studies.curves import compute_axis, curve_bands, curve_bands_against, study_curves
from evodeap.studies.study import arms, read_study


def study_summary(directory: str | Path):
    """One row per (variant, seed): final best-so-far, its area, evaluations, failures, generations."""
    curves = study_curves(directory)
    planned = {arm.path: _planned_generations(arm.path) for arm in arms(directory)}
    paths = {(arm.variant, arm.seed): arm.path for arm in arms(directory)}
    rows = []
    for (variant, seed), group in curves.groupby(["variant", "seed"], sort=False):
        group = group.sort_values("generation")
        rows.append({
            "variant": variant, "seed": int(seed), "generations": int(group["generation"].max()),
            "final_best": float(group["best_so_far"].iloc[-1]),
            "auc_best_so_far": area_under_best_so_far(group["best"]),
            "evaluations": int(group["nevals"].sum()), "failures": int(group["failures"].sum()),
            "complete": bool(group["generation"].max() >= planned[paths[(variant, int(seed))]]),
        })
    import pandas as pd

    return pd.DataFrame(rows, columns=["variant", "seed", "generations", "final_best", "auc_best_so_far",
                                       "evaluations", "failures", "complete"])


def _planned_generations(path: Path) -> float:
    """The generations a sub-run's ``config.json`` asks for (``inf`` when it is unreadable).

    Read without following a link (a planted ``config.json -> /dev/zero`` is refused).
    """
    from evodeap.errors import RunDirectoryError
    from evodeap.files import read_json

    try:
        return int(read_json(path, "config.json")["generations"])
    except (OSError, ValueError, KeyError, TypeError, RunDirectoryError):
        return float("inf")


def compare_study(directory: str | Path, summary=None) -> dict:
    """``{"final_best": table, "auc_best_so_far": table}`` of :func:`evodeap.reports.stats.compare_arms`
    over the complete sub-runs, each arm against the study's reference, paired by seed."""
    info = read_study(Path(directory))
    summary = study_summary(directory) if summary is None else summary
    complete = summary[summary["complete"]]
    reference = info.get("reference", info["variants"][0])
    tables = {}
    for measure in MEASURES:
        values = {v: dict(zip(complete.loc[complete["variant"] == v, "seed"].astype(int),
                              complete.loc[complete["variant"] == v, measure]))
                  for v in info["variants"] if (complete["variant"] == v).any()}
        tables[measure] = compare_arms(values, reference=reference)
    return tables


MEASURES = {"final_best": "final best fitness", "auc_best_so_far": "area under the best-so-far curve"}


def study_warnings(comparisons: dict, alpha: float = 0.05) -> list[str]:
    """:func:`evodeap.reports.stats.comparison_warnings` of every measure's comparison table."""
    notes = []
    for measure, table in comparisons.items():
        notes += comparison_warnings(table, alpha, MEASURES.get(measure, measure))
    return notes


def ranking_table(comparisons: dict, reference: str):
    """The compact ablation table: one row per arm, sorted by mean final best (best first).

    Columns: ``arm`` (the reference marked), ``n``, ``final best mean [95 % CI]``, the
    paired Wilcoxon ``p (W)`` and its Holm adjustment, the unpaired Mann–Whitney ``p (MW)``
    and its Holm adjustment, ``A12`` against the reference, the median paired difference
    ``Δ median [CI]``, and ``AUC mean [CI]`` with its Wilcoxon Holm p.
    """
    import pandas as pd

    final, auc = comparisons["final_best"], comparisons["auc_best_so_far"].set_index("arm")

    def interval(row) -> str:
        return f"{row['mean']:.4f} [{row['mean_ci_low']:.4f}, {row['mean_ci_high']:.4f}]"

    def difference(row) -> str:
        if row["median_diff"] != row["median_diff"]:
            return ""
        return f"{row['median_diff']:+.4f} [{row['median_diff_ci_low']:+.4f}, {row['median_diff_ci_high']:+.4f}]"

    rows = []
    for _, row in final.sort_values(["mean", "arm"], ascending=[False, True], kind="stable").iterrows():
        other = auc.loc[row["arm"]]
        rows.append({
            "arm": f"{row['arm']} (reference)" if row["arm"] == reference else row["arm"], "n": int(row["n"]),
            "final best mean [CI]": interval(row), "p (W)": row["p_wilcoxon"], "p_holm (W)": row["p_wilcoxon_holm"],
            "p (MW)": row["p_value"], "p_holm (MW)": row["p_holm"], "A12": row["A12"],
            "Δ median [CI]": difference(row), "AUC mean [CI]": interval(other),
            "p_holm (W, AUC)": other["p_wilcoxon_holm"],
        })
    return pd.DataFrame(rows)


def refinement_generations_of(directory: str | Path) -> dict[int, list[str]]:
    """``{generation: [variants that refined then]}`` over the study's arms (first seed each)."""
    from evodeap.reports.run_report import refinement_generations

    marks: dict[int, list[str]] = {}
    seen = set()
    for arm in arms(directory):
        if arm.variant in seen or not (arm.path / "results.sqlite").exists():
            continue
        seen.add(arm.variant)
        for generation in refinement_generations(arm.path):
            marks.setdefault(generation, []).append(arm.variant)
    return dict(sorted(marks.items()))


def study_figures(directory: str | Path, comparisons: dict | None = None) -> dict:
    """The study's figures as matplotlib Figures, by name: ``best_so_far`` (against
    generations, refinement generations marked), ``best_so_far_vs_evaluations``,
    ``best_so_far_vs_compute``, ``diversity`` and ``final_best`` (the forest plot)."""
    import matplotlib.pyplot as plt
    import seaborn as sns
    from matplotlib.ticker import MaxNLocator

    info = read_study(directory)
    reference = info.get("reference", info["variants"][0])
    comparisons = compare_study(directory) if comparisons is None else comparisons
    curves = study_curves(directory)
    many = len(info["variants"]) > 8
    palette = dict(zip(info["variants"], sns.color_palette("husl" if many else "deep", len(info["variants"]))))
    seeds = len(info["seeds"])
    compute_column, compute_label = compute_axis(curves)
    refinements = refinement_generations_of(directory)
    panels = (
        ("best_so_far", "generation", "generation", "best_so_far", "best-so-far fitness"),
        ("best_so_far_vs_evaluations", "evaluations", "evaluations (models trained)", "best_so_far",
         "best-so-far fitness"),
        ("best_so_far_vs_compute", compute_column, compute_label, "best_so_far", "best-so-far fitness"),
        ("diversity", "generation", "generation", "diversity", "genotypic diversity"),
    )
    figures = {}
    for name, x, xlabel, column, label in panels:
        fig, ax = plt.subplots(figsize=(12, 7) if many else (8, 5))
        carry = column == "best_so_far"  # a stopped seed keeps its best; its diversity is not carried
        bands = curve_bands(curves, column, carry=carry) if x == "generation" else \
            curve_bands_against(curves, x, column)
        for variant in info["variants"]:
            band = bands[bands["variant"] == variant]
            if band.empty:
                continue
            ax.step(band[x], band["mean"], where="post", color=palette[variant], label=variant)
            ax.fill_between(band[x], band["ci_low"], band["ci_high"], step="post", color=palette[variant],
                            alpha=0.2, linewidth=0)
        if x in ("generation", "evaluations"):
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        if x == "generation":
            for i, (generation, refined) in enumerate(refinements.items()):
                ax.axvline(generation, color="0.4", linestyle=":", linewidth=1.2,
                           label=f"refinement ({len(refined)} of {len(info['variants'])} arms)" if i == 0 else None)
        ax.set(title=f"{label} (mean over {seeds} seeds, 95 % bootstrap band)", xlabel=xlabel, ylabel=label)
        if many:  # dozens of arms: the legend goes beside the axes
            ax.legend(title="variant", fontsize="xx-small", ncol=2, loc="upper left", bbox_to_anchor=(1.01, 1.0))
        else:
            ax.legend(title="variant")
        figures[name] = fig

    figures["final_best"] = forest_plot(comparisons["final_best"], reference, seeds, many)
    return figures


def forest_plot(final, reference: str, seeds: int, many: bool = False):
    """The arms' mean final best fitness with its 95 % bootstrap CI, best first, the reference in red."""
    import matplotlib.pyplot as plt

    final = final.sort_values(["mean", "arm"], ascending=[False, True], kind="stable")
    fig, ax = plt.subplots(figsize=(8, max(3.0, 0.28 * len(final) + 1.5)))
    is_reference = (final["arm"] == reference).to_numpy()
    positions = np.arange(len(final))
    for mask, color, text in ((is_reference, "tab:red", "reference arm"), (~is_reference, "tab:blue", "other arms")):
        if mask.any():
            ax.hlines(positions[mask], final["mean_ci_low"][mask], final["mean_ci_high"][mask], colors=color)
            ax.scatter(final["mean"][mask], positions[mask], c=color, zorder=3, label=f"{text}: mean, 95 % CI")
    ax.set_yticks(positions, final["arm"], fontsize="x-small" if many else "medium")
    ax.invert_yaxis()
    ax.set(xlabel="final best fitness (mean, 95 % bootstrap CI)", ylabel="arm",
           title=f"final best fitness per arm ({seeds} seeds)")
    ax.legend(fontsize="small")
    return fig


def write_study_report(directory: str | Path, out: str | Path | None = None) -> list[Path]:
    """Write the study's tables and figures into ``out`` (default: the study directory);
    returns the written paths. Reads private copies of the databases (see :mod:`evodeap.reports.run_report`).

    Tables: ``study_runs``, ``study_final_best``, ``study_auc``, ``study_ranking`` and
    ``study_warnings`` (when the seeds cannot support the tests; see
    :func:`evodeap.reports.stats.comparison_warnings`). Figures: those of :func:`study_figures`. For a
    factorial study ``evodeap report`` adds :func:`evodeap.studies.factorial.write_factorial_report`.
    """
    directory = Path(directory)
    with output_folder(directory, out) as target, snapshots():
        return _write_study_report(directory, target)


WARNINGS_FILE = "study_warnings.md"


def write_notes(out: Path, name: str, notes: list[str]) -> list[Path]:
    """``out/tables/<name>``: one ``- note`` line each (an earlier file is removed when there is none)."""
    from evodeap.files import write_text

    if notes:
        return [write_text(out, f"tables/{name}", "".join(f"- {note}\n" for note in notes))]
    (out / "tables" / name).unlink(missing_ok=True)
    return []


def _write_study_report(directory: Path, out: Path) -> list[Path]:
    import matplotlib

    matplotlib.use("Agg")
    import seaborn as sns

    from evodeap.errors import RunDirectoryError

    info = read_study(directory)
    summary = study_summary(directory)
    if summary.empty:
        raise RunDirectoryError(f"{directory} has no completed generation in any sub-run yet")
    tables, figures = out / "tables", out / "figures"
    if not summary["complete"].any():
        raise RunDirectoryError(f"{directory} has no complete sub-run yet; finish it with 'evodeap resume {directory}'")
    written = write_table(summary, tables, "study_runs")
    reference = info.get("reference", info["variants"][0])
    comparisons = compare_study(directory, summary)
    written += write_table(comparisons["final_best"], tables, "study_final_best")
    written += write_table(comparisons["auc_best_so_far"], tables, "study_auc")
    written += write_table(ranking_table(comparisons, reference), tables, "study_ranking")
    from evodeap.reports.learning import learning_warnings
    from evodeap.studies.best import study_best

    best = study_best(directory)
    written += write_table(best, tables, "study_best")
    notes = study_warnings(comparisons)
    for row in best[best["status"] == "ok"].to_dict("records"):
        notes += learning_warnings(row, f"{row['variant']}/seed-{row['seed']}: ")
    written += write_notes(out, WARNINGS_FILE, notes)
    written += write_importance(directory, out)
    sns.set_theme(style="whitegrid")
    for name, fig in study_figures(directory, comparisons).items():
        written += save_figure(fig, figures, name)
    return written


__all__ = ["compare_study", "compute_axis", "curve_bands", "curve_bands_against", "ranking_table",
           "refinement_generations_of", "study_curves", "study_figures", "study_summary", "study_warnings",
           "write_study_report"]
