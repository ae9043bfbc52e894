"""``evodeap report DIR``: tables (CSV + Markdown) and figures (PNG + SVG) from a run's database.

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
        # a report executes no code: kinds of the run's experiment file may be unregistered here
        genome = Genome.from_json(first_by_key.loc[row["best_key"], "genome"], allow_unregistered=True)
        rows.append({
            "generation": int(row["gen"]), "best_fitness": float(row["best"]),
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


def write_figures(run_dir: Path) -> list[Path]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import seaborn as sns

    gens = generations(run_dir)
    figures = run_dir / "figures"
    figures.mkdir(parents=True, exist_ok=True)
    sns.set_theme(style="whitegrid")
    written = []

    fig, axes = plt.subplots(1, 3, figsize=(15, 4))
    axes[0].plot(gens["gen"], gens["best"], label="best", marker="o")
    axes[0].plot(gens["gen"], gens["mean"], label="mean")
    axes[0].fill_between(gens["gen"], gens["mean"] - gens["std"], gens["mean"] + gens["std"], alpha=0.2, label="mean ± std")
    axes[0].set(xlabel="generation", ylabel="fitness", title="Fitness per generation")
    axes[0].legend()
    axes[1].plot(gens["gen"], gens["diversity"], color="tab:green", marker=".")
    axes[1].set(xlabel="generation", ylabel="diversity", title="Genotypic diversity")
    axes[2].plot(gens["gen"], gens["mu"], label="μ(t)", color="tab:red")
    axes[2].set(xlabel="generation", ylabel="mutation rate μ", title="Schedules")
    if gens["beta"].notna().any():
        twin = axes[2].twinx()
        twin.plot(gens["gen"], gens["beta"], label="β(t)", color="tab:purple", linestyle="--")
        twin.set_ylabel("selection pressure β")
    from matplotlib.ticker import MaxNLocator

    for axis in axes:
        axis.xaxis.set_major_locator(MaxNLocator(integer=True))
    written += save_figure(fig, figures, "evolution")
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
        gens[["gen", "nevals", "cache_hits", "failures", "best", "mean", "std", "diversity", "unique", "mu", "beta",
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
            refinements.append({"generation": int(row["gen"]), "space": json.dumps(space["hyperparameters"])})
        previous = space
    if refinements:
        import pandas as pd

        written += write_table(pd.DataFrame(refinements), tables, "refinements")
    written += write_figures(run_dir)
    return written
