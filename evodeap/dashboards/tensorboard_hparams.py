"""Each evaluation as one session of TensorBoard's HParams dashboard.

A session is one TensorBoard run directory, ``tensorboard/evaluations/g<generation>_i<index>/``
(the same directory that holds the evaluation's training curves), with

* its hyperparameters: ``generation``, ``status``, ``hp_<name>`` for every hyperparameter gene
  and the structural summary of :func:`evodeap.results.trials.structure_summary` (``n_layers``,
  ``layer_kinds``, ``n_<kind>``, ``units``, ``units_total``, ``units_max``);
* its metrics, as scalars at step 0: ``fitness`` (``fitness_<i>`` for several objectives),
  ``metric_<name>``, ``component_<name>``, ``wall_time``, ``n_params``.

TensorBoard infers the dashboard's columns from the sessions, so a run can be sorted and
filtered there while it runs (``tensorboard --logdir DIR/tensorboard``).
"""
from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from evodeap.evaluation.evaluator import EvaluationRecord
from evodeap.results.trials import genome_columns


def session_directory(root: Path, record: EvaluationRecord) -> Path:
    """The run directory of one evaluation under ``root`` (the run's ``tensorboard/``)."""
    return Path(root) / "evaluations" / f"g{record.generation}_i{record.index}"


def session_hparams(record: EvaluationRecord) -> dict[str, Any]:
    """The session's hyperparameters (bool, int, float or str values only)."""
    values = {"generation": record.generation, "status": record.result.status, **genome_columns(record.genome)}
    return {k: v for k, v in values.items() if isinstance(v, (bool, int, float, str))}


def session_metrics(record: EvaluationRecord) -> dict[str, float]:
    """The session's metrics (finite numbers only)."""
    result = record.result
    fitness = list(result.fitness)
    values: dict[str, Any] = {"fitness": fitness[0] if fitness else float("nan")}
    if len(fitness) > 1:
        values.update({f"fitness_{i}": v for i, v in enumerate(fitness)})
    values.update({f"metric_{k}": v for k, v in result.metrics.items()})
    values.update({f"component_{k}": v for k, v in result.components.items()})
    values.update(wall_time=result.wall_time, n_params=result.n_params)
    return {k: float(v) for k, v in values.items()
            if isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(float(v))}


class HParamsWriter:
    """Writes HParams sessions with TensorBoard's protocol buffers (no TensorFlow; imported lazily)."""

    def __init__(self) -> None:
        from tensorboard.plugins.hparams.summary_v2 import hparams_pb

        self._hparams_pb = hparams_pb

    def write(self, record: EvaluationRecord, events: Any) -> None:
        """The session of ``record`` into ``events``, the :class:`evodeap.dashboards.tensorboard.EventFile`
        of :func:`session_directory` (:class:`evodeap.dashboards.tensorboard.TensorBoardWriter` opens it)."""
        trial = f"g{record.generation}_i{record.index}"
        events.summary(self._hparams_pb(session_hparams(record), trial_id=trial), step=0)
        events.scalars(session_metrics(record), step=0)


__all__ = ["HParamsWriter", "session_directory", "session_hparams", "session_metrics"]
