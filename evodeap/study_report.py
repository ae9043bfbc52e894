"""The comparison report of a study (``evodeap report DIR`` on a study directory).

For every arm (variant) over the shared seeds it reads each sub-run's database and
writes, under ``DIR/tables`` and ``DIR/figures``:

* ``study_runs`` — per variant and seed: final best fitness, area under the best-so-far
  curve, evaluations, failures;
* ``study_final_best`` and ``study_auc`` — per variant: mean and median with bootstrap
  95 % confidence intervals, and the Mann–Whitney U test against the reference arm;
* ``best_so_far`` and ``diversity`` figures — mean over seeds per generation with a
  bootstrap 95 % band.
"""
from __future__ import annotations

from pathlib import Path


from evodeap.report import write_table
from evodeap.stats import area_under_best_so_far, best_so_far, compare_arms
from evodeap.storage import evaluations, generations
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
    rows = []
    for (variant, seed), group in curves.groupby(["variant", "seed"], sort=False):
        group = group.sort_values("generation")
        rows.append({
            "variant": variant, "seed": int(seed), "generations": int(group["generation"].max()),
            "final_best": float(group["best_so_far"].iloc[-1]),
            "auc_best_so_far": area_under_best_so_far(group["best"]),
            "evaluations": int(group["nevals"].sum()), "failures": int(group["failures"].sum()),
        })
    import pandas as pd

    return pd.DataFrame(rows)


def write_study_report(directory: str | Path) -> list[Path]:
    """Write the study's tables and figures; returns the written paths."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import seaborn as sns

    directory = Path(directory)
    info = read_study(directory)
    summary = study_summary(directory)
    if summary.empty:
        from evodeap.errors import RunDirectoryError

        raise RunDirectoryError(f"{directory} has no completed generation in any sub-run yet")
    tables, figures = directory / "tables", directory / "figures"
    written = write_table(summary, tables, "study_runs")
    reference = info.get("reference", info["variants"][0])
    for measure, name in (("final_best", "study_final_best"), ("auc_best_so_far", "study_auc")):
        values = {v: summary.loc[summary["variant"] == v, measure].tolist() for v in info["variants"]
                  if (summary["variant"] == v).any()}
        written += write_table(compare_arms(values, reference=reference), tables, name)

    curves = study_curves(directory)
    figures.mkdir(parents=True, exist_ok=True)
    sns.set_theme(style="whitegrid")
    for column, label in (("best_so_far", "best-so-far fitness"), ("diversity", "genotypic diversity")):
        fig, ax = plt.subplots(figsize=(8, 5))
        sns.lineplot(data=curves, x="generation", y=column, hue="variant", errorbar=("ci", 95),
                     n_boot=2000, seed=0, ax=ax)
        ax.set(title=f"{label} (mean over {len(info['seeds'])} seeds, 95 % bootstrap band)", ylabel=label)
        fig.tight_layout()
        for ext in ("png", "svg"):
            path = figures / f"{column}.{ext}"
            fig.savefig(path, dpi=120)
            written.append(path)
        plt.close(fig)
    return written


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


__all__ = ["evaluations_of", "study_curves", "study_summary", "write_study_report"]
