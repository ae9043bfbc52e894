"""Optional TensorBoard logs of a run (``ExperimentConfig(tensorboard=True)``).

Written by the master process only, under ``<run>/tensorboard/``:

* ``generations/`` — one step per generation: every numeric logbook field
  (best, mean, std, diversity, μ, β, layer counts, evaluations, cache hits, failures);
* ``evaluations/g<generation>_i<index>/`` — one HParams session per evaluation (its
  hyperparameters, structural summary and metrics; see
  :mod:`evodeap.dashboards.tensorboard_hparams`) and the training curves it reports in
  ``result.extra["history"]`` (``{"loss": [...], "val_accuracy": [...], ...}``, one value
  per epoch), so curves from worker processes still land in one place.
"""
from __future__ import annotations

from pathlib import Path

from evodeap.engine import EvaluationRecord, GenerationReport


class TensorBoardWriter:
    """Writes TensorBoard event files with ``tf.summary`` (TensorFlow imported lazily)."""

    def __init__(self, directory: Path) -> None:
        import tensorflow as tf

        self._tf = tf
        self.directory = Path(directory)
        self._generations = tf.summary.create_file_writer(str(self.directory / "generations"))
        from evodeap.dashboards.tensorboard_hparams import HParamsWriter

        self._hparams = HParamsWriter()

    def generation(self, report: GenerationReport) -> None:
        with self._generations.as_default():
            for name, value in report.record.items():
                if isinstance(value, (int, float)) and not isinstance(value, bool) and name != "generation":
                    self._tf.summary.scalar(name, float(value), step=report.generation)
        self._generations.flush()

    def evaluation(self, record: EvaluationRecord) -> None:
        """One event file per evaluation: its HParams session and its training curves."""
        from evodeap.dashboards.tensorboard_hparams import session_directory

        writer = self._tf.summary.create_file_writer(str(session_directory(self.directory, record)))
        with writer.as_default():
            self._hparams.write(record)
            history = record.result.extra.get("history")
            for name, values in (history.items() if isinstance(history, dict) else ()):
                for epoch, value in enumerate(values or []):
                    self._tf.summary.scalar(name, float(value), step=epoch)
        writer.close()

    def close(self) -> None:
        self._generations.close()
