"""Optional TensorBoard logs of a run (``ExperimentConfig(tensorboard=True)``).

Written by the master process only, under ``<run>/tensorboard/``:

* ``generations/`` — one step per generation: every numeric logbook field
  (best, mean, std, diversity, μ, β, layer counts, evaluations, cache hits, failures);
* ``evaluations/g<generation>_i<index>/`` — one HParams session per evaluation (its
  hyperparameters, structural summary and metrics; see
  :mod:`evodeap.dashboards.tensorboard_hparams`) and the training curves it reports in
  ``result.extra["history"]`` (``{"loss": [...], "val_accuracy": [...], ...}``, one value
  per epoch), so curves from worker processes still land in one place.

The event files are written with the ``tensorboard`` package's protocol buffers and
record framing alone — no TensorFlow — so runs on JAX or PyTorch log the same way.
Scalars are written as ``tf.summary.scalar`` writes them (a float tensor with the
``scalars`` plugin's metadata).
"""
from __future__ import annotations

import os
import socket
import time
from pathlib import Path
from typing import Any, Mapping

from evodeap.evaluation.evaluator import EvaluationRecord
from evodeap.engine.records import GenerationReport


class EventFile:
    """One TensorBoard event file (``events.out.tfevents.<time>.<host>.<pid>.<n>``).

    Args:
        directory: created if missing; the file goes directly inside it.
    """

    _count = 0

    def __init__(self, directory: str | os.PathLike[str]) -> None:
        from tensorboard.compat.proto import event_pb2, summary_pb2
        from tensorboard.plugins.scalar.summary_v2 import scalar_pb
        from tensorboard.summary.writer.record_writer import RecordWriter

        self._event_pb2, self._summary_pb2, self._scalar_pb = event_pb2, summary_pb2, scalar_pb
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        EventFile._count += 1
        self.path = directory / (f"events.out.tfevents.{int(time.time()):010d}."
                                 f"{socket.gethostname()}.{os.getpid()}.{EventFile._count}")
        self._records = RecordWriter(open(self.path, "wb"))
        self._write(event_pb2.Event(wall_time=time.time(), file_version="brain.Event:2"))

    def _write(self, event: Any) -> None:
        self._records.write(event.SerializeToString())

    def summary(self, summary: Any, step: int) -> None:
        """One event at ``step`` holding a ``Summary`` protocol buffer."""
        self._write(self._event_pb2.Event(wall_time=time.time(), step=int(step), summary=summary))

    def scalars(self, values: Mapping[str, float], step: int) -> None:
        """One event at ``step`` holding a scalar per ``name -> value``."""
        summary = self._summary_pb2.Summary()
        for name, value in values.items():
            summary.value.extend(self._scalar_pb(name, float(value)).value)
        self.summary(summary, step)

    def flush(self) -> None:
        self._records.flush()

    def close(self) -> None:
        if not self._records.closed:
            self._records.close()


class TensorBoardWriter:
    """The run's TensorBoard logs: generation scalars, per-evaluation sessions and curves."""

    def __init__(self, directory: Path) -> None:
        from evodeap.dashboards.tensorboard_hparams import HParamsWriter

        self.directory = Path(directory)
        self._generations = EventFile(self.directory / "generations")
        self._hparams = HParamsWriter()

    def generation(self, report: GenerationReport) -> None:
        values = {name: value for name, value in report.record.items()
                  if isinstance(value, (int, float)) and not isinstance(value, bool) and name != "generation"}
        self._generations.scalars(values, report.generation)
        self._generations.flush()

    def evaluation(self, record: EvaluationRecord) -> None:
        """One event file per evaluation: its HParams session and its training curves."""
        from evodeap.dashboards.tensorboard_hparams import session_directory

        events = EventFile(session_directory(self.directory, record))
        try:
            self._hparams.write(record, events)
            history = record.result.extra.get("history")
            if isinstance(history, dict):
                epochs = max((len(values or []) for values in history.values()), default=0)
                for epoch in range(epochs):
                    events.scalars({name: values[epoch] for name, values in history.items()
                                    if values and epoch < len(values)}, epoch)
        finally:
            events.close()

    def close(self) -> None:
        self._generations.close()
