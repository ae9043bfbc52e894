"""``evodeap report DIR``: tables (CSV + Markdown) and figures (PNG + SVG) from a run's database.

Tables: ``generations``, ``best_per_generation``, ``status_counts``, ``refinements`` (when
the space was refined), ``evaluations`` (the flattened table of :mod:`evodeap.results.trials`),
``hall_of_fame`` (validation beside test, the fitness's components, the chance level:
:mod:`evodeap.reports.learning`), ``run_warnings.md`` (when the best model is within noise of
chance, or the validation split too small to rank models), ``importance`` (each gene's
first-order share of the fitness variance, with the selection-bias caveat:
:mod:`evodeap.reports.importance`) and ``genealogy_best`` (:func:`evodeap.results.history.genealogy`). Figures: ``evolution`` (refinement
generations marked), ``importance`` and ``genealogy_best``.

Every number is read from ``results.sqlite``; nothing is typed in. Outputs go to
``DIR/tables`` and ``DIR/figures`` (or ``OUT/tables`` and ``OUT/figures`` with
``--out OUT``) and are regenerated from scratch on each call.

A report on a directory someone sent executes no code and writes nothing outside its
output folder: the databases are read as private copies (:func:`evodeap.results.queries.snapshots`),
every file is written by :mod:`evodeap.files` (atomic, never through a link, never outside
the output folder), and writing into the run directory itself takes its lock
(:func:`output_folder`).
"""
from __future__ import annotations

import io
import json
from contextlib import contextmanager
from pathlib import Path, PurePosixPath
from typing import Iterator

from evodeap.errors import ReadOnlyError, RunDirectoryError, RunLockedError
from evodeap.files import write_bytes
from evodeap.genome.genome import Genome
from evodeap.results.queries import evaluations, generations, snapshots
from evodeap.results.schema import database_path, decode_column


def markdown_table(frame, float_format: str = "{:.4f}") -> str:
    """A GitHub Markdown table of a DataFrame (no extra dependency); p-value columns are
    printed by :func:`evodeap.reports.stats.format_p` (never ``0.0000``)."""
    from evodeap.reports.stats import format_p, is_p_column

    def cell(value, column) -> str:
        if isinstance(value, float) and is_p_column(column):
            return format_p(value)
        if isinstance(value, float):
            return float_format.format(value)
        return str(value).replace("|", "\\|")

    header = "| " + " | ".join(str(c) for c in frame.columns) + " |"
    rule = "|" + "|".join("---" for _ in frame.columns) + "|"
    rows = ["| " + " | ".join(cell(v, c) for v, c in zip(row, frame.columns)) + " |"
            for row in frame.itertuples(index=False)]
    return "\n".join([header, rule, *rows]) + "\n"


@contextmanager
def output_folder(run_dir: str | Path, out: str | Path | None = None) -> Iterator[Path]:
    """The folder a report of ``run_dir`` writes into: ``out``, or ``run_dir`` itself — then
    under the run directory's lock (a live run or another writer is refused, naming it).

    Raises:
        ReadOnlyError: the run directory is read-only (the message suggests ``--out``).
        RunLockedError: another command writes the run directory.
    """
    from evodeap.runs.lock import RunLock

    run_dir = Path(run_dir)
    if out is not None and Path(out).resolve() != run_dir.resolve():
        out = Path(out)
        try:
            out.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            from evodeap.files import os_error

            raise os_error(exc, out, "create") from None
        yield out
        return
    lock = RunLock(run_dir, "report")
    try:
        lock.acquire()
    except ReadOnlyError as exc:
        raise ReadOnlyError(f"{run_dir} is read-only ({str(exc).rsplit(': ', 1)[-1]}): write the report elsewhere "
                            f"with: evodeap report {run_dir} --out OUT") from None
    except RunLockedError as exc:
        raise RunLockedError(f"{exc}; or write the report elsewhere with: evodeap report {run_dir} --out OUT") from None
    try:
        yield run_dir
    finally:
        lock.release()


def _write_output(directory: Path, name: str, data: bytes) -> Path:
    """Write ``directory/name``, ``directory`` being a folder (``tables``, ``figures``) of the output folder."""
    return write_bytes(directory.parent, PurePosixPath(directory.name, name), data)


def write_table(frame, directory: Path, name: str) -> list[Path]:
    """``name.csv`` and ``name.md`` in ``directory`` (a folder directly inside the output folder)."""
    directory = Path(directory)
    return [_write_output(directory, f"{name}.csv", frame.to_csv(index=False).encode()),
            _write_output(directory, f"{name}.md", markdown_table(frame).encode())]


def best_per_generation_table(run_dir: Path):
    """Generation, best fitness, best hyperparameters and structure of the population's best."""
    import pandas as pd

    gens, evals = generations(run_dir), evaluations(run_dir)
    first_by_key = evals.drop_duplicates("key").set_index("key")
    rows = []
    for _, row in gens.iterrows():
        try:  # a report executes no code: kinds of the run's experiment file may be unregistered here
            genome = Genome.from_json(first_by_key.loc[row["best_key"], "genome"], allow_unregistered=True)
        except Exception as exc:  # the database's content, not the code, is wrong
            raise _corrupt(run_dir, f"the best genome of generation {row.get('generation')} does not decode", exc) from None
        rows.append({
            "generation": int(row["generation"]), "best_fitness": float(row["best"]),
            **{k: v for k, v in genome.hyperparameters.items()},
            "layers": len(genome), "structure": genome.describe(),
        })
    return pd.DataFrame(rows)


def _corrupt(run_dir: Path, what: str, exc: Exception | None = None) -> RunDirectoryError:
    """The refusal of a database whose content (not its structure) is not what a run writes."""
    from evodeap.errors import DamagedFileError
    from evodeap.results.schema import database_path

    detail = f" ({type(exc).__name__}: {exc})" if exc is not None else ""
    return DamagedFileError(f"{database_path(run_dir)} is corrupt: {what}{detail}")


def save_figure(fig, directory: Path, name: str) -> list[Path]:
    """Save ``fig`` as ``name.png`` and ``name.svg`` in ``directory``, close it, return the paths."""
    import matplotlib.pyplot as plt

    if fig.get_layout_engine() is None:  # a figure laid out by its maker (constrained) keeps its layout
        fig.tight_layout()
    paths = []
    for ext in ("png", "svg"):
        buffer = io.BytesIO()
        fig.savefig(buffer, format=ext, dpi=120)
        paths.append(_write_output(Path(directory), f"{name}.{ext}", buffer.getvalue()))
    plt.close(fig)
    return paths


def refinement_generations(run_dir: str | Path) -> list[int]:
    """The generations in which the run refined its search space: every ``t ≥ 1`` with
    ``t mod refine_every = 0`` among the generations the run completed (none without refinement)."""
    from evodeap.files import read_json

    try:
        every = int(read_json(run_dir, "config.json").get("refine_every") or 0)
    except (OSError, ValueError, TypeError, AttributeError, RunDirectoryError):
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


def write_figures(run_dir: Path, out: Path | None = None) -> list[Path]:
    """The run's figures into ``out/figures`` (default: the run directory's): ``evolution``
    and, when the run recorded its population history, ``genealogy_best``
    (:func:`evodeap.results.history.plot_genealogy`)."""
    import matplotlib

    matplotlib.use("Agg")
    import seaborn as sns

    from evodeap.results import history

    figures = Path(out if out is not None else run_dir) / "figures"
    sns.set_theme(style="whitegrid")
    written = save_figure(evolution_figure(run_dir), figures, "evolution")
    if not history.population_history(run_dir).empty:
        written += save_figure(history.plot_genealogy(run_dir), figures, "genealogy_best")
    return written


def write_report(run_dir: str | Path, out: str | Path | None = None) -> list[Path]:
    """Regenerate every table and figure of a run directory into ``out`` (default: the run
    directory); returns the written paths."""
    run_dir = Path(run_dir)
    if not ((run_dir / "results.sqlite").exists() or (run_dir / "results.sqlite").is_symlink()):
        if any(run_dir.glob("*/seed-*/config.json")):
            raise RunDirectoryError(f"{run_dir / 'study.json'} is missing: {run_dir} holds the sub-runs of a study; "
                                    f"restore study.json")
        raise RunDirectoryError(f"no results database in {run_dir}: is it a run directory?")
    with output_folder(run_dir, out) as target, snapshots():
        return _write_run_report(run_dir, target)


WARNINGS_FILE = "run_warnings.md"


def _write_learning(run_dir: Path, out: Path) -> list[Path]:
    """``tables/hall_of_fame`` and ``tables/run_warnings.md`` (:mod:`evodeap.reports.learning`;
    an earlier warnings file is removed when there is none)."""
    from evodeap.files import write_text
    from evodeap.reports.learning import candidates, hall_of_fame_table, learning_warnings

    written = write_table(hall_of_fame_table(run_dir), out / "tables", "hall_of_fame")
    ok = candidates(run_dir)  # none: status_counts says so
    notes = learning_warnings(ok.loc[ok["fitness"].idxmax()].to_dict()) if not ok.empty else []
    if notes:
        return written + [write_text(out, f"tables/{WARNINGS_FILE}", "".join(f"- {n}\n" for n in notes))]
    (out / "tables" / WARNINGS_FILE).unlink(missing_ok=True)
    return written


def write_importance(source: Path, out: Path) -> list[Path]:
    """``tables/importance`` and ``figures/importance`` (:mod:`evodeap.reports.importance`) of a
    run or study into the output folder ``out``; nothing when fewer than 3 evaluations succeeded
    or no gene varied."""
    import matplotlib

    matplotlib.use("Agg")
    from evodeap.reports.importance import hyperparameter_importance, importance_figure

    importance = hyperparameter_importance(source)
    if importance.n < 3 or importance.table.empty:
        return []
    return write_table(importance.table, out / "tables", "importance") + \
        save_figure(importance_figure(importance), out / "figures", "importance")


def _write_run_report(run_dir: Path, out: Path) -> list[Path]:
    gens = generations(run_dir)
    if gens.empty:
        raise RunDirectoryError(f"{run_dir} has no completed generation yet")
    tables = out / "tables"
    columns = ["generation", "nevals", "cache_hits", "failures", "best", "mean", "std", "diversity", "unique", "mu", "beta",
               "layers_mean"]
    missing = [c for c in columns + ["best_key", "space"] if c not in gens.columns]
    if missing:
        raise _corrupt(run_dir, "its generation records lack " + ", ".join(missing))
    written = write_table(gens[columns], tables, "generations")
    written += write_table(best_per_generation_table(run_dir), tables, "best_per_generation")
    evals = evaluations(run_dir)
    status = evals.groupby("status").size().reset_index(name="evaluations")
    written += write_table(status, tables, "status_counts")
    refinements = []
    previous = None
    for _, row in gens.iterrows():
        space = decode_column(row["space"], "space", database_path(run_dir), f"the space of generation {row['generation']}")
        if not isinstance(space.get("hyperparameters"), dict):
            raise _corrupt(run_dir, f"the search space of generation {row['generation']} does not decode",
                           KeyError("hyperparameters"))
        if previous is not None and space != previous:
            refinements.append({"generation": int(row["generation"]), "space": json.dumps(space["hyperparameters"])})
        previous = space
    if refinements:
        import pandas as pd

        written += write_table(pd.DataFrame(refinements), tables, "refinements")
    from evodeap.results import history
    from evodeap.results.trials import trials_dataframe

    written += write_table(trials_dataframe(run_dir), tables, "evaluations")
    written += _write_learning(run_dir, out)
    written += write_importance(run_dir, out)
    if not history.population_history(run_dir).empty:
        tree = history.genealogy(run_dir)
        for column in ("parents", "mutated"):
            tree[column] = [",".join(v) for v in tree[column]]
        written += write_table(tree, tables, "genealogy_best")
    written += write_figures(run_dir, out)
    return written
