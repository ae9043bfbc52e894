"""TensorBoard event files written without TensorFlow, read back record by record."""
from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
import pytest
from tensorboard.compat.proto import event_pb2

from evodeap.evaluation.evaluator import EvaluationRecord
from evodeap.engine.records import GenerationReport
from evodeap.evaluation.api import EvalResult
from evodeap.genome.space import SearchSpace
from evodeap.dashboards.tensorboard import EventFile, TensorBoardWriter


def read_events(path: Path) -> list:
    """Every event of a TFRecord-framed event file (length, its CRC, data, its CRC)."""
    data, events, at = path.read_bytes(), [], 0
    while at < len(data):
        (length,) = struct.unpack("<Q", data[at:at + 8])
        events.append(event_pb2.Event.FromString(data[at + 12:at + 12 + length]))
        at += 12 + length + 4
    return events


def scalars(path: Path) -> dict[str, list[tuple[int, float]]]:
    found: dict[str, list[tuple[int, float]]] = {}
    for event in read_events(path):
        for value in event.summary.value:
            if value.metadata.plugin_data.plugin_name == "scalars":  # as tf.summary.scalar writes them
                found.setdefault(value.tag, []).append((event.step, round(value.tensor.float_val[0], 6)))
    return found


def test_event_file_starts_with_the_version_and_holds_the_scalars(tmp_path):
    events = EventFile(tmp_path / "logs")
    events.scalars({"best": 0.5, "mean": 0.25}, step=0)
    events.scalars({"best": 0.75}, step=1)
    events.close()
    (path,) = (tmp_path / "logs").glob("events.out.tfevents.*")
    assert read_events(path)[0].file_version == "brain.Event:2"
    assert scalars(path) == {"best": [(0, 0.5), (1, 0.75)], "mean": [(0, 0.25)]}


def hparams(path: Path) -> dict:
    from tensorboard.plugins.hparams import plugin_data_pb2

    found = {}
    for event in read_events(path):
        for value in event.summary.value:
            if value.metadata.plugin_data.plugin_name == "hparams":
                data = plugin_data_pb2.HParamsPluginData.FromString(value.metadata.plugin_data.content)
                if data.HasField("session_start_info"):
                    found.update({k: getattr(v, v.WhichOneof("kind")) for k, v in data.session_start_info.hparams.items()})
    return found


def test_writer_logs_generations_sessions_and_training_curves(tmp_path):
    writer = TensorBoardWriter(tmp_path / "tb")
    record = {"generation": 1, "best": 0.5, "mean": 0.25, "converged": True, "note": "x"}
    writer.generation(GenerationReport(generation=1, population=[], record=record, evaluations=[],
                                       space=SearchSpace(), hall_of_fame=None))
    genome = SearchSpace().sample_genome(np.random.default_rng(0))
    result = EvalResult(fitness=(0.5,), extra={"history": {"loss": [1.0, 0.5], "val_accuracy": [0.25]}})
    writer.evaluation(EvaluationRecord(generation=2, index=3, genome=genome, result=result))
    writer.evaluation(EvaluationRecord(generation=2, index=4, genome=genome, result=EvalResult(fitness=(0.1,))))
    writer.close()
    (trained,) = (tmp_path / "tb" / "evaluations" / "g2_i3").glob("events.out.tfevents.*")
    found = scalars(trained)
    assert found["loss"] == [(0, 1.0), (1, 0.5)] and found["val_accuracy"] == [(0, 0.25)]
    assert found["fitness"] == [(0, 0.5)]  # the session's metrics, at step 0
    assert hparams(trained)["hp_learning_rate"] == pytest.approx(genome.hyperparameters["learning_rate"])
    (untrained,) = (tmp_path / "tb" / "evaluations" / "g2_i4").glob("events.out.tfevents.*")
    assert "loss" not in scalars(untrained) and scalars(untrained)["fitness"] == [(0, 0.1)]
    (generations,) = (tmp_path / "tb" / "generations").glob("events.out.tfevents.*")
    assert scalars(generations) == {"best": [(1, 0.5)], "mean": [(1, 0.25)]}  # numbers only, not generation
