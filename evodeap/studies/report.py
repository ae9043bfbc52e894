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
* figures: best-so-far fitness against generations (refinement generations marked),
  against evaluations and against training compute, diversity — mean over seeds with a
  bootstrap 95 % band — and ``final_best``, the forest plot of the arms;
* for a factorial study (``FACTORS``), main effects and two-way interactions with CIs
  (:mod:`evodeap.studies.factorial`).

Only complete sub-runs (all generations of their config done) enter the comparisons: a
run stopped at generation 3 is not comparable with one that ran 15. ``study_runs`` still
lists incomplete ones; finish them with ``evodeap resume DIR``.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from evodeap.reports.run_report import output_folder, save_figure, write_table
from evodeap.reports.stats import area_under_best_so_far, best_so_far, bootstrap_ci, compare_arms, comparison_warnings
from evodeap.results.queries import evaluations, generations, snapshots
from evodeap.studies.study import arms, read_study


def study_curves(directory: str | Path):
    """One row per (variant, seed, generation): best, best_so_far, mean, diversity, nevals,
    failures, and the compute spent so far: ``evaluations`` (cumulative), ``epochs_total``
    and ``train_flops_total`` (from the logbook; ``nan`` for runs that did not record them)."""
    import pandas as pd

    frames = []
    for arm in arms(directory):
        if not (arm.path / "results.sqlite").exists():
            continue
        gens = generations(arm.path)
        if gens.empty:
            continue
        frames.append(pd.DataFrame({
            "variant": arm.variant, "seed": arm.seed, "generation": gens["generation"].astype(int),
            "best": gens["best"], "best_so_far": best_so_far(gens["best"]), "mean": gens["mean"],
            "diversity": gens["diversity"], "nevals": gens["nevals"], "failures": gens["failures"],
            "evaluations": gens["nevals"].cumsum(),
            **{name: gens[name] if name in gens else float("nan") for name in ("epochs_total", "train_flops_total")},
        }))
    if not frames:
        return pd.DataFrame(columns=["variant", "seed", "generation", "best", "best_so_far", "mean", "diversity",
                                     "nevals", "failures", "evaluations", "epochs_total", "train_flops_total"])
    return pd.concat(frames, ignore_index=True)


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


def compute_axis(curves) -> tuple[str, str]:
    """The column and label of training compute: FLOPs when the runs counted them, else epochs."""
    if "train_flops_total" in curves and (curves["train_flops_total"].fillna(0) > 0).any():
        return "train_flops_total", "training compute (estimated FLOPs)"
    return "epochs_total", "training compute (epochs trained)"


def study_figures(directory: str | Path, comparisons: dict | None = None) -> dict:
    """The study's figures as matplotlib Figures, by name: ``best_so_far`` (against
    generations, refinement generations marked), ``best_so_far_vs_evaluations``,
    ``best_so_far_vs_compute``, ``diversity`` and ``final_best`` (the forest plot)."""
    import matplotlib.pyplot as plt
    import seaborn as sns

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
        bands = curve_bands(curves, column) if x == "generation" else curve_bands_against(curves, x, column)
        for variant in info["variants"]:
            band = bands[bands["variant"] == variant]
            if band.empty:
                continue
            ax.plot(band[x], band["mean"], color=palette[variant], label=variant)
            ax.fill_between(band[x], band["ci_low"], band["ci_high"], color=palette[variant], alpha=0.2, linewidth=0)
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

    final = comparisons["final_best"].sort_values(["mean", "arm"], ascending=[False, True], kind="stable")
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
    figures["final_best"] = fig
    return figures


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
    written += write_notes(out, WARNINGS_FILE, study_warnings(comparisons))
    sns.set_theme(style="whitegrid")
    for name, fig in study_figures(directory, comparisons).items():
        written += save_figure(fig, figures, name)
    return written


def curve_bands(curves, column: str, confidence: float = 0.95, n_resamples: int = 2000, seed: int = 0):
    """Per (variant, generation): the mean of ``column`` over seeds and its bootstrap CI.

    The band is :func:`evodeap.reports.stats.bootstrap_ci` of the per-seed values (percentile
    bootstrap, ``n_resamples`` resamples, fixed ``seed``), the same interval as the tables use.
    """
    import numpy as np
    import pandas as pd

    rows = []
    for (variant, generation), group in curves.groupby(["variant", "generation"], sort=False):
        values = group[column].to_numpy(dtype=float)
        low, high = bootstrap_ci(values, np.mean, confidence, n_resamples=n_resamples, seed=seed)
        rows.append({"variant": variant, "generation": int(generation), "mean": float(values.mean()),
                     "ci_low": low, "ci_high": high})
    frame = pd.DataFrame(rows, columns=["variant", "generation", "mean", "ci_low", "ci_high"])
    return frame.sort_values(["variant", "generation"], kind="stable").reset_index(drop=True)


def curve_bands_against(curves, x: str, column: str, points: int = 40, confidence: float = 0.95,
                        n_resamples: int = 2000, seed: int = 0):
    """Per (variant, point of ``x``): the mean over seeds of ``column`` and its bootstrap CI.

    Each seed's curve is a step function of ``x`` (e.g. cumulative evaluations): at grid
    value ``g`` it holds its last value with ``x ≤ g``. The grid has ``points`` values from
    the largest first ``x`` to the smallest last ``x`` over the variant's seeds, so every seed
    has a value at every point.
    """
    import numpy as np
    import pandas as pd

    rows = []
    for variant, group in curves.dropna(subset=[x]).groupby("variant", sort=False):
        per_seed = [g.sort_values(x) for _, g in group.groupby("seed")]
        start = max(float(g[x].iloc[0]) for g in per_seed)
        stop = min(float(g[x].iloc[-1]) for g in per_seed)
        if stop < start:
            continue
        grid = np.unique(np.linspace(start, stop, points))
        stepped = np.array([g[column].to_numpy(dtype=float)[np.searchsorted(g[x].to_numpy(dtype=float), grid,
                                                                              side="right") - 1]
                            for g in per_seed])
        for i, value in enumerate(grid):
            low, high = bootstrap_ci(stepped[:, i], np.mean, confidence, n_resamples=n_resamples, seed=seed)
            rows.append({"variant": variant, x: float(value), "mean": float(stepped[:, i].mean()),
                         "ci_low": low, "ci_high": high})
    return pd.DataFrame(rows, columns=["variant", x, "mean", "ci_low", "ci_high"])


def evaluations_of(directory: str | Path):
    """All evaluations of a study, with ``variant`` and ``seed`` columns."""
    import pandas as pd

    frames = []
    for arm in arms(directory):
        if (arm.path / "results.sqlite").exists():
            frame = evaluations(arm.path)
            frame.insert(0, "seed", arm.seed)
            frame.insert(0, "variant", arm.variant)
            frames.append(frame)
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


__all__ = ["compare_study", "compute_axis", "curve_bands", "curve_bands_against", "evaluations_of", "ranking_table",
           "refinement_generations_of", "study_curves", "study_figures", "study_summary", "study_warnings",
           "write_study_report"]
