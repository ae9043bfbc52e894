"""The comparison report of a study (``evodeap report DIR`` on a study directory).

For every arm (variant) over the shared seeds it reads each sub-run's database and
writes, under ``DIR/tables`` and ``DIR/figures``:

* ``study_runs`` — per variant and seed: final best fitness, area under the best-so-far
  curve, evaluations, failures, and whether the sub-run is ``complete``;
* ``study_final_best`` and ``study_auc`` — per variant: mean and median with bootstrap
  95 % confidence intervals, and the Mann–Whitney U test against the reference arm (raw and
  Holm-adjusted p);
* ``study_ranking`` — a compact table sorted by mean final best fitness (best first):
  ``mean [CI]`` and p against the reference for both measures — the ablation table;
* ``best_so_far`` and ``diversity`` figures — mean over seeds per generation with a
  bootstrap 95 % band; ``final_best`` — mean final best fitness per arm with its CI, sorted.

Only complete sub-runs (all generations of their config done) enter the comparisons: a
run stopped at generation 3 is not comparable with one that ran 15. ``study_runs`` still
lists incomplete ones; finish them with ``evodeap resume DIR``.
"""
from __future__ import annotations

import json
from pathlib import Path

from evodeap.report import output_folder, save_figure, write_table
from evodeap.stats import area_under_best_so_far, best_so_far, bootstrap_ci, compare_arms
from evodeap.storage import evaluations, generations, snapshots
from evodeap.study import arms, read_study


def study_curves(directory: str | Path):
    """One row per (variant, seed, generation): best, best_so_far, mean, diversity."""
    import pandas as pd

    frames = []
    for arm in arms(directory):
        if not (arm.path / "results.sqlite").exists():
            continue
        gens = generations(arm.path)
        if gens.empty:
            continue
        frames.append(pd.DataFrame({
            "variant": arm.variant, "seed": arm.seed, "generation": gens["gen"].astype(int),
            "best": gens["best"], "best_so_far": best_so_far(gens["best"]), "mean": gens["mean"],
            "diversity": gens["diversity"], "nevals": gens["nevals"], "failures": gens["failures"],
        }))
    if not frames:
        return pd.DataFrame(columns=["variant", "seed", "generation", "best", "best_so_far", "mean", "diversity"])
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
    from evodeap.files import read_bytes

    try:
        return int(json.loads(read_bytes(path, "config.json"))["generations"])
    except (OSError, ValueError, KeyError, TypeError, RunDirectoryError):
        return float("inf")


def compare_study(directory: str | Path, summary=None) -> dict:
    """``{"final_best": table, "auc_best_so_far": table}`` of :func:`evodeap.stats.compare_arms`
    over the complete sub-runs, each arm against the study's reference."""
    info = read_study(Path(directory))
    summary = study_summary(directory) if summary is None else summary
    complete = summary[summary["complete"]]
    reference = info.get("reference", info["variants"][0])
    tables = {}
    for measure in ("final_best", "auc_best_so_far"):
        values = {v: complete.loc[complete["variant"] == v, measure].tolist() for v in info["variants"]
                  if (complete["variant"] == v).any()}
        tables[measure] = compare_arms(values, reference=reference)
    return tables


def ranking_table(comparisons: dict, reference: str):
    """The compact ablation table: one row per arm, sorted by mean final best (best first).

    Columns: ``arm`` (the reference marked), ``n``, ``final best mean [95 % CI]``, its
    Mann–Whitney ``p`` and Holm ``p_holm`` against the reference, and the same for the area
    under the best-so-far curve.
    """
    import pandas as pd

    final, auc = comparisons["final_best"], comparisons["auc_best_so_far"].set_index("arm")

    def interval(row) -> str:
        return f"{row['mean']:.4f} [{row['mean_ci_low']:.4f}, {row['mean_ci_high']:.4f}]"

    rows = []
    for _, row in final.sort_values(["mean", "arm"], ascending=[False, True], kind="stable").iterrows():
        other = auc.loc[row["arm"]]
        rows.append({
            "arm": f"{row['arm']} (reference)" if row["arm"] == reference else row["arm"], "n": int(row["n"]),
            "final best mean [CI]": interval(row), "p": row["p_value"], "p_holm": row["p_holm"],
            "AUC mean [CI]": interval(other), "p (AUC)": other["p_value"], "p_holm (AUC)": other["p_holm"],
        })
    return pd.DataFrame(rows)


def write_study_report(directory: str | Path, out: str | Path | None = None) -> list[Path]:
    """Write the study's tables and figures into ``out`` (default: the study directory);
    returns the written paths. Reads private copies of the databases (see :mod:`evodeap.report`)."""
    directory = Path(directory)
    with output_folder(directory, out) as target, snapshots():
        return _write_study_report(directory, target)


def _write_study_report(directory: Path, out: Path) -> list[Path]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import seaborn as sns

    info = read_study(directory)
    summary = study_summary(directory)
    if summary.empty:
        from evodeap.errors import RunDirectoryError

        raise RunDirectoryError(f"{directory} has no completed generation in any sub-run yet")
    tables, figures = out / "tables", out / "figures"
    if not summary["complete"].any():
        from evodeap.errors import RunDirectoryError

        raise RunDirectoryError(f"{directory} has no complete sub-run yet; finish it with 'evodeap resume {directory}'")
    written = write_table(summary, tables, "study_runs")
    reference = info.get("reference", info["variants"][0])
    comparisons = compare_study(directory, summary)
    written += write_table(comparisons["final_best"], tables, "study_final_best")
    written += write_table(comparisons["auc_best_so_far"], tables, "study_auc")
    written += write_table(ranking_table(comparisons, reference), tables, "study_ranking")

    curves = study_curves(directory)
    sns.set_theme(style="whitegrid")
    many = len(info["variants"]) > 8
    for column, label in (("best_so_far", "best-so-far fitness"), ("diversity", "genotypic diversity")):
        fig, ax = plt.subplots(figsize=(12, 7) if many else (8, 5))
        bands = curve_bands(curves, column)
        palette = sns.color_palette("husl" if many else "deep", len(info["variants"]))
        for color, variant in zip(palette, info["variants"]):
            band = bands[bands["variant"] == variant]
            if band.empty:
                continue
            ax.plot(band["generation"], band["mean"], color=color, label=variant)
            ax.fill_between(band["generation"], band["ci_low"], band["ci_high"], color=color, alpha=0.2, linewidth=0)
        ax.legend(title="variant")
        ax.set(title=f"{label} (mean over {len(info['seeds'])} seeds, 95 % bootstrap band)", ylabel=label)
        if many:  # dozens of arms: the legend goes beside the axes
            ax.legend(fontsize="xx-small", ncol=2, loc="upper left", bbox_to_anchor=(1.01, 1.0))
        written += save_figure(fig, figures, column)

    final = comparisons["final_best"].sort_values(["mean", "arm"], ascending=[False, True], kind="stable")
    fig, ax = plt.subplots(figsize=(8, max(3.0, 0.28 * len(final) + 1.5)))
    colors = ["tab:red" if arm == reference else "tab:blue" for arm in final["arm"]]
    ax.hlines(range(len(final)), final["mean_ci_low"], final["mean_ci_high"], colors=colors)
    ax.scatter(final["mean"], range(len(final)), c=colors, zorder=3)
    ax.set_yticks(range(len(final)), final["arm"], fontsize="x-small" if many else "medium")
    ax.invert_yaxis()
    ax.set(xlabel="final best fitness (mean, 95 % bootstrap CI)",
           title=f"final best fitness per arm ({len(info['seeds'])} seeds; reference in red)")
    written += save_figure(fig, figures, "final_best")
    return written


def curve_bands(curves, column: str, confidence: float = 0.95, n_resamples: int = 2000, seed: int = 0):
    """Per (variant, generation): the mean of ``column`` over seeds and its bootstrap CI.

    The band is :func:`evodeap.stats.bootstrap_ci` of the per-seed values (percentile
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


__all__ = ["compare_study", "curve_bands", "evaluations_of", "ranking_table", "study_curves", "study_summary", "write_study_report"]
