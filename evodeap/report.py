"""``evodeap report DIR``: tables (CSV + Markdown) and figures (PNG + SVG) from a run's database.

Tables: ``generations``, ``best_per_generation``, ``status_counts``, ``refinements`` (when
the space was refined), ``evaluations`` (the flattened table of :mod:`evodeap.trials`) and
``genealogy_best`` (:func:`evodeap.history.genealogy`). Figures: ``evolution`` (refinement
generations marked) and ``genealogy_best``.

Every number is read from ``results.sqlite``; nothing is typed in. Outputs go to
``DIR/tables`` and ``DIR/figures`` and are regenerated from scratch on each call.
"""
from __future__ import annotations

import json
from pathlib import Path

from evodeap.errors import RunDirectoryError
from evodeap.genome import Genome
from evodeap.storage import evaluations, generations


def markdown_table(frame, float_format: str = "{:.4f}") -> str:
    """A GitHub Markdown table of a DataFrame (no extra dependency)."""
    def cell(value) -> str:
        if isinstance(value, float):
            return float_format.format(value)
        return str(value).replace("|", "\\|")

    header = "| " + " | ".join(str(c) for c in frame.columns) + " |"
    rule = "|" + "|".join("---" for _ in frame.columns) + "|"
    rows = ["| " + " | ".join(cell(v) for v in row) + " |" for row in frame.itertuples(index=False)]
    return "\n".join([header, rule, *rows]) + "\n"


def write_table(frame, directory: Path, name: str) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    csv_path, md_path = directory / f"{name}.csv", directory / f"{name}.md"
    frame.to_csv(csv_path, index=False)
    md_path.write_text(markdown_table(frame))
    return [csv_path, md_path]


def best_per_generation_table(run_dir: Path):
    """Generation, best fitness, best hyperparameters and structure of the population's best."""
    import pandas as pd

    gens, evals = generations(run_dir), evaluations(run_dir)
    first_by_key = evals.drop_duplicates("key").set_index("key")
    rows = []
    for _, row in gens.iterrows():
        genome = Genome.from_json(first_by_key.loc[row["best_key"], "genome"])
        rows.append({
            "generation": int(row["generation"]), "best_fitness": float(row["best"]),
            **{k: v for k, v in genome.hyperparameters.items()},
            "layers": len(genome), "structure": genome.describe(),
        })
    return pd.DataFrame(rows)


def save_figure(fig, directory: Path, name: str) -> list[Path]:
    """Save ``fig`` as ``name.png`` and ``name.svg`` in ``directory``, close it, return the paths."""
    import matplotlib.pyplot as plt

    directory.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    paths = []
    for ext in ("png", "svg"):
        path = directory / f"{name}.{ext}"
        fig.savefig(path, dpi=120)
        paths.append(path)
    plt.close(fig)
    return paths


def refinement_generations(run_dir: str | Path) -> list[int]:
    """The generations in which the run refined its search space: every ``t ≥ 1`` with
    ``t mod refine_every = 0`` among the generations the run completed (none without refinement)."""
    try:
        every = int(json.loads((Path(run_dir) / "config.json").read_text()).get("refine_every") or 0)
    except (OSError, ValueError, TypeError, AttributeError):
        return []
    done = generations(run_dir)
    if not every or done.empty:
        return []
    return [int(g) for g in done["generation"] if g >= 1 and g % every == 0]


def mark_refinements(ax, refinements: list[int], label: str = "refinement") -> None:
    """Dotted vertical lines at the refinement generations (one legend entry)."""
    for i, generation in enumerate(refinements):
        ax.axvline(generation, color="0.4", linestyle=":", linewidth=1.2, label=label if i == 0 else None)


def evolution_figure(run_dir: str | Path):
    """Fitness (best, mean ± std), genotypic diversity and the schedules μ(t), β(t) per
    generation, refinement generations marked; returns the matplotlib Figure."""
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    gens = generations(run_dir)
    refinements = refinement_generations(run_dir)
    x = gens["generation"]
    fig, axes = plt.subplots(1, 3, figsize=(15, 4.2))
    axes[0].plot(x, gens["best"], label="best", marker="o")
    axes[0].plot(x, gens["mean"], label="mean")
    axes[0].fill_between(x, gens["mean"] - gens["std"], gens["mean"] + gens["std"], alpha=0.2, label="mean ± std")
    axes[0].set(xlabel="generation", ylabel="fitness", title="Fitness per generation")
    axes[1].plot(x, gens["diversity"], color="tab:green", marker=".", label="diversity")
    axes[1].set(xlabel="generation", ylabel="genotypic diversity", title="Genotypic diversity")
    axes[2].plot(x, gens["mu"], label="μ(t)", color="tab:red")
    axes[2].set(xlabel="generation", ylabel="mutation rate μ", title="Schedules")
    handles, labels = [], []
    if gens["beta"].notna().any():
        twin = axes[2].twinx()
        twin.plot(x, gens["beta"], label="β(t)", color="tab:purple", linestyle="--")
        twin.set_ylabel("selection pressure β")
        handles, labels = twin.get_legend_handles_labels()
    for axis in axes:
        mark_refinements(axis, refinements)
        axis.xaxis.set_major_locator(MaxNLocator(integer=True))
    axes[0].legend()
    axes[1].legend()
    own_handles, own_labels = axes[2].get_legend_handles_labels()
    axes[2].legend(own_handles + handles, own_labels + labels)
    return fig


def write_figures(run_dir: Path) -> list[Path]:
    """``figures/evolution`` and, when the run recorded its population history,
    ``figures/genealogy_best`` (:func:`evodeap.history.plot_genealogy`)."""
    import matplotlib

    matplotlib.use("Agg")
    import seaborn as sns

    from evodeap import history

    figures = run_dir / "figures"
    sns.set_theme(style="whitegrid")
    written = save_figure(evolution_figure(run_dir), figures, "evolution")
    if not history.population_history(run_dir).empty:
        written += save_figure(history.plot_genealogy(run_dir), figures, "genealogy_best")
    return written


def write_report(run_dir: str | Path) -> list[Path]:
    """Regenerate every table and figure of a run directory; returns the written paths."""
    run_dir = Path(run_dir)
    if not (run_dir / "results.sqlite").is_file():
        raise RunDirectoryError(f"no results database in {run_dir}: is it a run directory?")
    gens = generations(run_dir)
    if gens.empty:
        raise RunDirectoryError(f"{run_dir} has no completed generation yet")
    tables = run_dir / "tables"
    written = write_table(
        gens[["generation", "nevals", "cache_hits", "failures", "best", "mean", "std", "diversity", "unique", "mu", "beta",
              "layers_mean"]], tables, "generations")
    written += write_table(best_per_generation_table(run_dir), tables, "best_per_generation")
    evals = evaluations(run_dir)
    status = evals.groupby("status").size().reset_index(name="evaluations")
    written += write_table(status, tables, "status_counts")
    refinements = []
    previous = None
    for _, row in gens.iterrows():
        space = json.loads(row["space"])
        if previous is not None and space != previous:
            refinements.append({"generation": int(row["generation"]), "space": json.dumps(space["hyperparameters"])})
        previous = space
    if refinements:
        import pandas as pd

        written += write_table(pd.DataFrame(refinements), tables, "refinements")
    from evodeap import history
    from evodeap.trials import trials_dataframe

    written += write_table(trials_dataframe(run_dir), tables, "evaluations")
    if not history.population_history(run_dir).empty:
        tree = history.genealogy(run_dir)
        for column in ("parents", "mutated"):
            tree[column] = [",".join(v) for v in tree[column]]
        written += write_table(tree, tables, "genealogy_best")
    written += write_figures(run_dir)
    return written
