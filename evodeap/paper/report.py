"""The paper's tables and figures from a ``paper_replication`` study directory.

Every number is read from the sub-runs' ``results.sqlite`` (first seed of the study for
the per-generation tables). Written under ``DIR/tables`` and ``DIR/figures``:

* ``table2_before`` / ``table3_after`` — per family and generation: best fitness, best
  hyperparameters, best structure (before = the hand-picked arm, after = evolution);
* ``table4_metrics`` — per family and generation, the best individual's *test* accuracy,
  precision, AUC and F1 (evolution arms);
* ``table5_cnn_vs_rnn`` — test accuracy, precision, recall, F1 and macro AUC of the best
  individual of every arm over the whole run (a ``random`` arm's at the compute of the
  ``after`` arm of its family, :func:`evodeap.paper.evidence.final_best`), with the training
  FLOPs each arm spent (``compute``);
* ``figure2_best_fitness`` — best fitness per generation, before vs after (bars), per family;
* ``figure3_metrics`` — test metrics of the best individual across generations (after arms);
* ``figure4_cnn_vs_rnn`` — Table 5 as bars;
* ``table6_before_vs_after`` (and ``table6_per_seed``, ``figure5_before_vs_after_by_seed``)
  — with two or more seeds: per family, whether after beats before on the test metrics,
  paired over the matched seeds (:mod:`evodeap.paper.evidence`);
* ``table7_after_vs_random`` — the same against the random-search arm at equal compute, and
  ``table8_preregistered`` — the pre-registered tests (after vs before and vs random, test
  AUC and F1, Holm-adjusted; docs/paper.md);
* ``table2_vs_paper`` … ``table5_vs_paper`` — the paper's own reported values (its
  Tables 2–5 as printed, :mod:`evodeap.paper.values`) beside ours; Figures 2–4 draw the
  paper's values too (black markers and dashed lines, or ``paper`` bars).

The best individual of a generation is the population's best (``best_key`` in the logbook);
its metrics are those of the evaluation that produced its fitness.

:func:`write_study_reports` writes every report of a study directory — the comparison
(:mod:`evodeap.studies.report`), the factorial one and the extra reports in :data:`REPORTS`
its ``study.json`` names (``evodeap report`` and the rebuild after an extension use it).
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

from evodeap.paper.evidence import (
    arm_vs_reference, before_vs_after, best_evaluations, evaluation_costs, family_of, final_best, final_test_metrics,
    phase_of, preregistered,
)
from evodeap.paper.values import beside_ours, paper_reported
from evodeap.reports.run_report import best_per_generation_table, output_folder, save_figure, write_table
from evodeap.results.queries import snapshots
from evodeap.studies.study import arms, read_study
from evodeap.registry import Registry

METRICS = ("accuracy", "precision", "recall", "auc", "f1")
#: Table 4's columns (the paper's, plus label-wise accuracy where the task is multi-label:
#: ``accuracy`` is then exact-set accuracy, see docs/paper.md).
TABLE4_METRICS = ("accuracy", "label_accuracy", "precision", "auc", "f1")
#: Table 5's columns, likewise.
TABLE5_METRICS = ("accuracy", "label_accuracy", "precision", "recall", "f1", "auc")


def _first_seed_arms(directory: Path) -> dict[str, Path]:
    info = read_study(directory)
    first = info["seeds"][0]
    return {arm.variant: arm.path for arm in arms(directory)
            if arm.seed == first and (arm.path / "results.sqlite").exists()}


def paper_tables(directory: str | Path) -> dict:
    """The paper's tables as DataFrames: table2_before, table3_after, table4_metrics, table5_cnn_vs_rnn."""
    import pandas as pd

    directory = Path(directory)
    runs = _first_seed_arms(directory)
    per_phase: dict[str, list] = {"before": [], "after": []}
    metric_rows, final_rows = [], []
    for variant, path in runs.items():
        family, phase = family_of(variant), phase_of(variant)
        table = best_per_generation_table(path)
        table.insert(0, "family", family)
        per_phase.setdefault(phase, []).append(table)
        best = best_evaluations(path)
        if best.empty:  # started, no generation recorded yet: nothing to compare
            continue
        for _, row in best.iterrows():
            if phase == "after":
                metric_rows.append({"family": family, "generation": int(row["generation"]),
                                    **{m: row.get(f"metric_test_{m}") for m in TABLE4_METRICS if f"metric_test_{m}" in row}})
        top = best.loc[best["fitness"].idxmax()]  # the best individual over the whole run
        spent = float(evaluation_costs(path)["train_flops"].sum())
        if phase == "random" and f"{family}-after" in runs:  # at the evolutionary arm's compute
            top = final_best(path, float(evaluation_costs(runs[f"{family}-after"])["train_flops"].sum()))
            spent = float(top["compute"]) if top is not None else spent
        if top is None:
            continue
        final_rows.append({"family": family, "arm": phase, "fitness": float(top["fitness"]), "compute": spent,
                           **{m: top.get(f"metric_test_{m}") for m in TABLE5_METRICS if f"metric_test_{m}" in top}})
    concat = lambda frames: pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()  # noqa: E731
    return {
        "table2_before": concat(per_phase.get("before", [])),
        "table3_after": concat(per_phase.get("after", [])),
        "table4_metrics": pd.DataFrame(metric_rows),
        "table5_cnn_vs_rnn": pd.DataFrame(final_rows),
    }


def write_paper_report(directory: str | Path, out: str | Path | None = None) -> list[Path]:
    """Write Tables 2–5 (CSV + Markdown) and Figures 2–4 (PNG + SVG) into ``out`` (default:
    the study directory); returns the paths."""
    directory = Path(directory)
    with output_folder(directory, out) as target, snapshots():
        return _write_paper_report(directory, target)


def _write_paper_report(directory: Path, out: Path) -> list[Path]:
    """Write the paper's tables (ours beside the published values, and the before/after
    evidence over matched seeds) and Figures 2–5 into ``out``; returns the files written."""
    import matplotlib

    matplotlib.use("Agg")
    import seaborn as sns

    tables = paper_tables(directory)
    per_run = final_test_metrics(directory)
    evidence = {}
    if not per_run.empty and per_run["seed"].nunique() > 1:  # evidence over matched seeds
        evidence = {"table6_before_vs_after": before_vs_after(per_run), "table6_per_seed": per_run,
                    "table7_after_vs_random": arm_vs_reference(per_run, "after", "random"),
                    "table8_preregistered": preregistered(per_run)}
    written: list[Path] = []
    for name, frame in {**tables, **beside_ours(tables), **evidence}.items():
        if not frame.empty:
            written += write_table(frame, out / "tables", name)
    paper = paper_reported()
    sns.set_theme(style="whitegrid")
    figures = {
        "figure2_best_fitness": _figure2_best_fitness(tables, paper),
        "figure3_metrics": _figure3_metrics(tables, paper),
        "figure4_cnn_vs_rnn": _figure4_cnn_vs_rnn(tables, paper),
        "figure5_before_vs_after_by_seed": _figure5_before_vs_after(per_run) if evidence else None,
    }
    for name, fig in figures.items():
        if fig is not None:
            written.extend(save_figure(fig, out / "figures", name))
    return written


def _figure2_best_fitness(tables: dict[str, Any], paper: dict[str, Any]) -> Any:
    """Figure 2: the best fitness per generation of each family, before and after tuning, with
    the paper's Tables 2 and 3 beside the CNN's (``None`` without rows)."""
    import matplotlib.pyplot as plt
    import pandas as pd
    import seaborn as sns

    best = pd.concat([tables["table2_before"].assign(arm="before"), tables["table3_after"].assign(arm="after")],
                     ignore_index=True)
    if best.empty:
        return None
    families = list(dict.fromkeys(best["family"]))
    fig, axes = plt.subplots(1, len(families), figsize=(6 * len(families), 4), squeeze=False)
    for ax, family in zip(axes[0], families):
        sns.barplot(data=best[best["family"] == family], x="generation", y="best_fitness", hue="arm",
                    hue_order=["before", "after"], ax=ax)
        if family == "cnn":  # the paper's Tables 2 and 3, k-th generation beside our k-th
            for arm, key, marker in (("before", "table2_before_tuning", "o"), ("after", "table3_after_tuning", "s")):
                values = [row["best_fitness"] for row in paper[key]]
                ax.plot(range(len(values)), values, color="black", marker=marker, linestyle=":",
                        label=f"paper, {arm}")
        ax.set(title=f"Figure 2 — best fitness per generation ({family})", xlabel="generation",
               ylabel="best fitness F")
        ax.legend(loc="lower right", frameon=True, fontsize=8)
    return fig


def _figure3_metrics(tables: dict[str, Any], paper: dict[str, Any]) -> Any:
    """Figure 3: the test metrics of the best individual per generation (after tuning), with
    the paper's Table 4 (percent / 100) dashed beside the CNN's (``None`` without rows)."""
    import matplotlib.pyplot as plt
    import seaborn as sns
    from matplotlib.ticker import MaxNLocator

    metrics = tables["table4_metrics"]
    if metrics.empty:
        return None
    long = metrics.melt(id_vars=["family", "generation"], var_name="metric", value_name="value")
    fig, axes = plt.subplots(1, metrics["family"].nunique(), figsize=(12, 4), squeeze=False)
    for ax, (family, group) in zip(axes[0], long.groupby("family", sort=False)):
        sns.lineplot(data=group, x="generation", y="value", hue="metric", marker="o", ax=ax)
        if family == "cnn":  # the paper's Table 4 (percent / 100), dashed
            rows = paper["table4_metrics_per_generation_percent"]
            first = int(group["generation"].min())
            for metric in ("accuracy", "precision", "auc", "f1"):
                ax.plot([first + k for k in range(len(rows))], [r[metric] / 100 for r in rows],
                        linestyle="--", color="gray", alpha=0.8, linewidth=1)
            ax.plot([], [], linestyle="--", color="gray", label="paper (Table 4)")
            ax.legend(fontsize=8)
        ax.set(title=f"Figure 3 — test metrics of the best individual ({family}, after)", ylim=(0, 1),
               xlabel="generation", ylabel="test metric")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    return fig


def _figure4_cnn_vs_rnn(tables: dict[str, Any], paper: dict[str, Any]) -> Any:
    """Figure 4: the final best CNN and RNN (test split) beside the paper's Table 5 (``None`` without rows)."""
    import matplotlib.pyplot as plt
    import pandas as pd
    import seaborn as sns

    final = tables["table5_cnn_vs_rnn"]
    if final.empty:
        return None
    long = final.drop(columns=["compute"], errors="ignore").melt(id_vars=["family", "arm", "fitness"],
                                                                 var_name="metric", value_name="value")
    ours = long[long["arm"] == "after"].assign(source=lambda d: "evodeap " + d["family"].str.upper())
    theirs = pd.DataFrame([{"metric": m, "value": row[m] / 100, "source": f"paper {row['model']}"}
                           for row in paper["table5_cnn_vs_rnn_percent"]
                           for m in ("accuracy", "precision", "recall", "f1")])
    fig, ax = plt.subplots(figsize=(10, 4))
    sns.barplot(data=pd.concat([ours, theirs], ignore_index=True), x="metric", y="value", hue="source",
                order=[m for m in TABLE5_METRICS if m in set(ours["metric"]) | set(theirs["metric"])], ax=ax)
    ax.set(title="Figure 4 — CNN vs RNN (final best individual, test split) beside the paper's Table 5",
           ylim=(0, 1.05), xlabel="metric", ylabel="value")
    sns.move_legend(ax, "upper left", bbox_to_anchor=(1, 1), title=None, frameon=True)
    return fig


def _figure5_before_vs_after(per_run: Any) -> Any:
    """Figure 5: the test macro AUC of each seed before and after tuning, one line per seed."""
    import matplotlib.pyplot as plt

    families = list(dict.fromkeys(per_run["family"]))
    fig, axes = plt.subplots(1, len(families), figsize=(5 * len(families), 4), squeeze=False)
    for ax, family in zip(axes[0], families):
        group = per_run[per_run["family"] == family]
        for seed, pair in group.groupby("seed"):
            pair = pair.set_index("arm").reindex(["before", "after"])
            ax.plot([0, 1], pair["auc"], marker="o", color="tab:blue", alpha=0.7)
            ax.annotate(f"seed {seed}", (1.02, pair["auc"].iloc[1]), fontsize=7)
        ax.set(title=f"Figure 5 — test macro AUC per seed ({family})", xticks=[0, 1],
               xticklabels=["before", "after"], xlim=(-0.2, 1.35), ylabel="test macro AUC")
    return fig


#: name -> ``report(study_dir, out) -> [paths]``, the extra reports a study may name in ``REPORTS``
REPORTS: Registry[Callable[..., list]] = Registry("report")
REPORTS.register("paper")(write_paper_report)


def write_study_reports(directory: str | Path, out: str | Path | None = None) -> list[Path]:
    """Every report of the study in ``directory`` into ``out`` (default: the study directory,
    under its lock): the comparison, the factorial report and the extra ``REPORTS`` it names
    (an unknown name is refused before anything is written); returns the paths written."""
    from evodeap.studies.factorial import write_factorial_report
    from evodeap.studies.report import write_study_report

    from evodeap.studies.study import check_sub_run_databases

    directory = Path(directory)
    check_sub_run_databases(directory)  # every sub-run, before any file of the report is written
    with output_folder(directory, out) as target:
        reports = [REPORTS.get(name) for name in read_study(directory).get("reports", [])]
        paths = write_study_report(directory, target) + write_factorial_report(directory, target)
        for report in reports:
            paths += report(directory, target)
    return paths


def refresh_after_resume(directory: str | Path, arms: list | None = None) -> list[str]:
    """:func:`evodeap.reports.stale.refresh_after_resume` of a study, whose own tables and figures
    are rebuilt by :func:`write_study_reports`."""
    from evodeap.reports import stale

    return stale.refresh_after_resume(directory, arms, write_study_reports)

