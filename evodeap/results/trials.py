"""One flattened table of all evaluations of a run (like Optuna's ``trials_dataframe()``).

One row per evaluation, every value in a column of its own (the naming of
:mod:`evodeap.results.columns`):

* ``generation``, ``idx``, ``key``, ``family``, ``status``, ``message``, ``seed``;
* ``fitness`` (the first objective) and, for several objectives, ``fitness_0``, ``fitness_1`` …;
* ``hp_<name>`` — one column per hyperparameter gene (``hp_learning_rate`` …);
* the structural summary of :func:`structure_summary` — ``n_layers``, ``layer_kinds``,
  ``n_<kind>`` per layer kind, ``units``, ``units_total``, ``units_max``;
* ``metric_<name>`` and ``component_<name>`` — what the fitness reported;
* ``wall_time``, ``n_params``, ``epochs_run``, ``train_flops``, ``budget``, ``worker``.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from evodeap.genome.genome import Genome
from evodeap.results.layout import study_aware
from evodeap.results.schema import database_path, decode_column


def layer_width(gene: Any) -> int | None:
    """A layer's width: the field its kind names as its ``width`` (conv ``filters``; rnn,
    dense, lstm ``units`` …; see :mod:`evodeap.kinds.api`), ``None`` for a layer without
    one (dropout). A gene of a kind not registered here is read by the names ``units``/``filters``."""
    from evodeap.genome.genes import UnregisteredGene
    from evodeap.kinds.api import kind_of

    if isinstance(gene, UnregisteredGene):
        values, names = dict(gene.values), ("units", "filters")
    else:
        names = kind_of(gene).fields_for("width")
        values = {name: getattr(gene, name) for name in names}
    for name in names:
        value = values.get(name)
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    return None


def structure_summary(genome: Genome) -> dict[str, Any]:
    """Layer count, kinds in order (``conv>conv>dense``), count per kind (``n_conv`` …), the
    widths of the layers that have one (``units`` = ``"16,32,64"``), their sum and maximum."""
    widths = [w for w in (layer_width(g) for g in genome) if w is not None]
    summary: dict[str, Any] = {"n_layers": len(genome), "layer_kinds": ">".join(g.kind for g in genome)}
    for gene in genome:
        summary[f"n_{gene.kind}"] = summary.get(f"n_{gene.kind}", 0) + 1
    summary.update(units=",".join(str(w) for w in widths), units_total=sum(widths), units_max=max(widths, default=0))
    return summary


def genome_columns(genome: Genome) -> dict[str, Any]:
    """``hp_<name>`` for every hyperparameter, then :func:`structure_summary`."""
    return {**{f"hp_{name}": value for name, value in genome.hyperparameters.items()}, **structure_summary(genome)}


@study_aware
def trials_dataframe(run_dir: str | Path):
    """Every evaluation of a run directory (or database path) as one flat DataFrame (see the
    module docstring); ``n_<kind>`` counts are 0 where a genome has no layer of that kind.

    On a study directory: every sub-run's rows, with ``variant`` and ``seed`` (the sub-run's)
    first and the evaluation's own seed as ``eval_seed`` (:mod:`evodeap.results.layout`)."""
    import pandas as pd

    from evodeap.results.queries import read_frame

    raw = read_frame(run_dir, "SELECT generation, idx, key, genome, seed, status, message, fitness, metrics, components, "
                          "wall_time, n_params, worker, extra FROM evaluations ORDER BY generation, idx")
    rows, shown = [], database_path(run_dir)
    for record in raw.itertuples(index=False):
        genome = Genome.from_json(record.genome, allow_unregistered=True)  # a reader runs no experiment code
        where = f"evaluation (generation {record.generation}, index {record.idx})"
        fitness = decode_column(record.fitness, "fitness", shown, where)
        extra = decode_column(record.extra, "extra", shown, where)
        row: dict[str, Any] = {
            "generation": int(record.generation), "idx": int(record.idx), "key": record.key, "family": genome.family,
            "status": record.status, "message": record.message or "", "seed": record.seed,
            "fitness": fitness[0] if fitness else None,
        }
        if len(fitness) > 1:
            row.update({f"fitness_{i}": value for i, value in enumerate(fitness)})
        row.update(genome_columns(genome))
        row.update({f"metric_{k}": v for k, v in decode_column(record.metrics, "metrics", shown, where).items()})
        row.update({f"component_{k}": v for k, v in decode_column(record.components, "components", shown, where).items()})
        row.update(wall_time=record.wall_time, n_params=record.n_params, epochs_run=extra.get("epochs_run"),
                   train_flops=extra.get("train_flops"), budget=extra.get("budget"), worker=record.worker)
        rows.append(row)
    frame = pd.DataFrame(rows)
    counts = [c for c in frame.columns if c.startswith("n_") and c not in ("n_layers", "n_params")]
    frame[counts] = frame[counts].fillna(0).astype(int)
    return frame


__all__ = ["genome_columns", "layer_width", "structure_summary", "trials_dataframe"]
