"""``evodeap export DIR``: the best model of a run, as a Keras file anyone can load.

:func:`export_best` picks the best evaluation of the run (highest first objective among
the ``ok`` evaluations in ``results.sqlite``; with multi-fidelity only full-budget ones),
gets its trained weights — the stored file in ``weights/`` when the run kept it, or by
training the genome again with the seed of that evaluation through the run's own fitness
— and writes (atomically, never through a link, never over an existing export, under the
run directory's lock when it writes there):

* ``best_model.keras`` — the compiled Keras model; loading it needs only Keras and
  ``import evodeap.models`` (which registers evodeap's custom loss);
* ``best_model.json`` — the genome and its key, the evaluation it came from (generation,
  index, seed, fitness, metrics), how the weights were obtained, the epochs trained, the
  training splits, the model's metrics on every split (train / val / test), and ``data``
  (:func:`data_record`): the data spec, task and preprocessing that feed the model, which
  :func:`evodeap.export.load` turns back into an input pipeline.

Options: ``epochs`` retrains for that many epochs instead of the genome's own; ``train_on
= "train+val"`` retrains on the training and validation splits together and scores on test
(the val metrics are then those of data the model was trained on, and are marked so).
Retraining is deterministic with the run's ``deterministic=True`` fitness: without options
it reproduces the run's model and its metrics.
"""
from __future__ import annotations

import copy
import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from evodeap.errors import ConfigError, EvodeapError, RunDirectoryError
from evodeap.genome.genome import Genome
from evodeap.files import BEST_MODEL_FORMAT
from evodeap.reports.learning import candidates, run_config as _config

MODEL_FILE = "best_model.keras"
INFO_FILE = "best_model.json"
TRAIN_SPLITS = {"train": ("train",), "train+val": ("train", "val")}


class ExportError(EvodeapError):
    """The best model cannot be exported (no usable evaluation, a non-Keras fitness, a failed retraining)."""


@dataclass
class Export:
    """What :func:`export_best` wrote."""

    model_path: Path
    info_path: Path
    info: dict[str, Any]


def best_evaluation(run_dir: str | Path) -> dict[str, Any]:
    """The row (of :func:`evodeap.results.trials.trials_dataframe`) of the run's best evaluation."""
    run_dir = Path(run_dir)
    ok = candidates(run_dir)
    if ok.empty:
        raise ExportError(f"{run_dir} has no successful full-budget evaluation to export")
    return ok.loc[ok["fitness"].idxmax()].to_dict()


def run_fitness(run_dir: str | Path) -> Any:
    """The fitness of a run. Its recorded experiment file is checked against its hash and
    executed first, as ``resume`` does, so the user's layer kinds, operators and fitnesses are
    registered; the fitness is then rebuilt from ``config.json`` when it was named
    (``"keras"``), otherwise taken from the experiment's ``CONFIG``."""
    from evodeap.config.experiment import build_config
    from evodeap.config.resolve import resolve_fitness
    from evodeap.config.settings import ExperimentConfig
    from evodeap.runs.inspection import load_recorded_experiment
    from evodeap.runs.rundir import RunDirectory

    directory = RunDirectory(Path(run_dir))
    source = directory.read_experiment()
    namespace = None
    if source is not None and source.get("file"):
        namespace, _, source = load_recorded_experiment(directory, source, None, force=False, announce=None)
    recorded = _config(Path(run_dir))
    if isinstance(recorded.get("fitness"), str):
        return resolve_fitness(ExperimentConfig(fitness=recorded["fitness"],
                                                fitness_params=recorded.get("fitness_params") or {}))
    if namespace is None:
        raise ConfigError(f"{run_dir}: its fitness is an object of its experiment file, and experiment.json "
                          f"records no file to rebuild it from")
    return resolve_fitness(build_config(namespace, source))


def _merged_bundle(bundle: Any, splits: tuple[str, ...]) -> Any:
    """``bundle`` whose train split is the concatenation of ``splits`` (other splits unchanged)."""
    import numpy as np

    from evodeap.data.bundle import DataBundle

    def train():
        parts = [bundle.arrays(s) for s in splits]
        return np.concatenate([x for x, _ in parts]), np.concatenate([y for _, y in parts])

    sources = {s: (lambda s=s: bundle.arrays(s)) for s in bundle.splits}
    sources["train"] = train
    return DataBundle(bundle.task, bundle.input_shape, sources, spec=getattr(bundle, "spec", None))


def _weights(run_dir: Path, fitness: Any, genome: Genome, best: dict, epochs: int | None,
             splits: tuple[str, ...]) -> tuple[bytes, dict[str, Any], Any]:
    """The trained weights (stored or retrained), how they were obtained, and the bundle."""
    from evodeap.evaluation.api import EvalContext, Objectives, run_evaluation
    from evodeap.runs.rundir import RunDirectory

    bundle = fitness.bundle()
    stored = RunDirectory(run_dir).weight_store().get(genome.key())
    recorded = best.get("budget")
    # the stored file is the genome's last training: that of the best evaluation only when
    # their budgets agree (a fixed_schedule="continue" run keeps its last generation's)
    same = stored is not None and (not _present(recorded) or float(recorded) == float(stored[1]))
    if same and epochs is None and splits == ("train",):
        return stored[0], {"weights": "stored", "epochs": stored[1]}, bundle
    if splits != ("train",):
        fitness = copy.copy(fitness)
        fitness.data = bundle = _merged_bundle(bundle, splits)
    budget = int(epochs) if epochs is not None else (int(recorded) if _present(recorded) else None)
    context = EvalContext(seed=int(best["seed"]), generation=int(best["generation"]), index=int(best["idx"]),
                          budget=budget, return_weights=True)
    result = run_evaluation(fitness, genome, context, Objectives.of(fitness, None))
    if not result.ok or result.weights is None:
        raise ExportError(f"retraining the best genome {genome.key()} failed: {result.status} {result.message}")
    return result.weights, {"weights": "retrained", "epochs": int(result.extra.get("epochs_total", 0)),
                            "retrain_fitness": list(result.fitness)}, bundle


def data_record(bundle: Any) -> dict[str, Any]:
    """What feeds the exported model (``best_model.json``'s ``data``): the task (name, kind,
    outputs, class names), the model's ``input_shape``, the ``spec`` (a
    :class:`evodeap.data.DataSpec` as a dict; ``None`` for data given as arrays) and the
    ``preprocessing`` from raw videos to inputs (:func:`evodeap.data.loader.videos_to_inputs`:
    keep frames ``0, s, 2s, … < frames``, average ``f × f`` pixel blocks, scale by ``1/255``)."""
    spec = getattr(bundle, "spec", None)
    task = bundle.task
    record: dict[str, Any] = {
        "task": {"name": task.name, "kind": task.kind, "n_outputs": int(task.n_outputs),
                 "class_names": list(task.class_names)},
        "input_shape": [int(n) for n in bundle.input_shape], "spec": spec.to_dict() if spec is not None else None,
    }
    if spec is None:
        record["preprocessing"] = {"function": None, "note": "the arrays given to evodeap.data.from_arrays, as given"}
    else:
        record["preprocessing"] = {
            "function": "evodeap.data.loader.videos_to_inputs", "raw": "uint8 videos (N, T0, 72, 128)",
            "frames": int(spec.frames), "frame_stride": int(spec.frame_stride), "downsample": int(spec.downsample),
            "output": "float32 (N, T, H, W, 1) in [0, 1]",
        }
    return record


def _present(value: Any) -> bool:
    return value is not None and not (isinstance(value, float) and value != value)


def split_metrics(fitness: Any, model: Any, bundle: Any, batch_size: int) -> dict[str, dict[str, float]]:
    """Classification metrics of ``model`` on every split of ``bundle`` (:mod:`evodeap.fitness.metrics`)."""
    from evodeap.fitness.metrics import classification_metrics
    from evodeap.fitness.scoring import predict

    metrics = {}
    for split in bundle.splits:
        y_true, y_score = predict(model, bundle, split, batch_size, None)
        metrics[split] = {k: float(v) for k, v in classification_metrics(bundle.task.kind, y_true, y_score).items()}
    return metrics


def _refuse_existing(paths: list[Path]) -> None:
    existing = [str(p) for p in paths if p.exists()]
    if existing:
        raise RunDirectoryError(f"{', '.join(existing)} already exist(s); pass --force (overwrite=True) to replace, "
                                f"or choose another --out")


def export_best(run_dir: str | Path, *, epochs: int | None = None, train_on: str = "train",
                out: str | Path | None = None, overwrite: bool = False, fitness: Any = None) -> Export:
    """Export the best model of ``run_dir`` (see the module docstring).

    Writing into the run directory holds its lock (:func:`evodeap.reports.run_report.output_folder`), so
    a live run or another writer is refused; the databases are read as private copies.

    Args:
        run_dir: a run directory.
        epochs: retrain for this many epochs (``None``: the stored weights, or the genome's
            own epochs / the run's budget).
        train_on: ``"train"`` or ``"train+val"``.
        out: the folder to write into (default: ``run_dir``); created if missing.
        overwrite: replace an earlier export instead of refusing.
        fitness: the fitness to train with (default: the run's own, see :func:`run_fitness`).

    Raises:
        ExportError, RunDirectoryError, ConfigError: with a one-line reason; nothing is written.
    """
    from evodeap.reports.run_report import output_folder
    from evodeap.results.queries import snapshots

    run_dir = Path(run_dir)
    if not (run_dir / "results.sqlite").is_file():
        raise RunDirectoryError(f"no results database in {run_dir}: is it a run directory?")
    if train_on not in TRAIN_SPLITS:
        raise ConfigError(f"--train-on must be one of {', '.join(TRAIN_SPLITS)}, got {train_on!r}")
    if epochs is not None and (isinstance(epochs, bool) or not isinstance(epochs, int) or epochs < 1):
        raise ConfigError(f"--epochs must be an integer >= 1, got {epochs!r}")
    if not overwrite:  # before any work, and again under the lock
        target = Path(out) if out is not None else run_dir
        _refuse_existing([target / MODEL_FILE, target / INFO_FILE])
    from evodeap.dashboards.mlflow import log_export, recorded_run

    recorded_run(run_dir)  # a run that logs to MLflow needs it installed: refuse before training
    with output_folder(run_dir, out) as target, snapshots():
        if not overwrite:
            _refuse_existing([target / MODEL_FILE, target / INFO_FILE])
        info, model_bytes = _trained_export(run_dir, epochs, train_on, fitness)
        from evodeap.files import write_bytes

        model_path = write_bytes(target, MODEL_FILE, model_bytes)
        info_path = write_bytes(target, INFO_FILE, json.dumps(info, indent=1).encode())
    log_export(run_dir, model_path, info_path)
    return Export(model_path, info_path, info)


def _trained_export(run_dir: Path, epochs: int | None, train_on: str, fitness: Any) -> tuple[dict[str, Any], bytes]:
    """The best model of the run as ``best_model.json`` content and ``.keras`` file bytes."""
    import tempfile

    import keras

    from evodeap.execution.backend import set_random_seed
    from evodeap.fitness.inheritance import load_weights_bytes
    from evodeap.fitness.keras_fitness import KerasFitness
    from evodeap.models import build_model

    best = best_evaluation(run_dir)
    fitness = run_fitness(run_dir) if fitness is None else fitness
    if not isinstance(fitness, KerasFitness):
        raise ExportError(f"export trains a Keras model, but this run's fitness is {type(fitness).__name__} "
                          f"(use fitness='keras')")
    raw = _evaluation(run_dir, int(best["generation"]), int(best["idx"]))
    from evodeap.results.schema import decode_column

    genome = Genome.from_json(raw["genome"])
    splits = TRAIN_SPLITS[train_on]
    weights, source, bundle = _weights(run_dir, fitness, genome, best, epochs, splits)
    try:
        set_random_seed(int(best["seed"]))  # Keras' own, without loading TensorFlow on JAX or PyTorch
        model = build_model(genome, bundle.input_shape, bundle.task, max_params=fitness.max_params,
                            rnn_frame_size=fitness.frame_size)
        load_weights_bytes(model, weights)
        model.optimizer.build(model.trainable_variables)  # saved complete: loading it warns about nothing
        info = {
            "format": BEST_MODEL_FORMAT, "key": genome.key(), "genome": genome.to_dict(), "seed": int(best["seed"]),
            "evaluation": {"generation": int(best["generation"]), "index": int(best["idx"]),
                           "fitness": decode_column(raw["fitness"], "fitness", run_dir, "the best evaluation"),
                           "metrics": decode_column(raw["metrics"], "metrics", run_dir, "the best evaluation")},
            **source, "train_on": list(splits),
            "metrics": split_metrics(fitness, model, bundle, int(genome.hyperparameters.get("batch_size", 32))),
            "trained_on_val": "val" in splits, "n_params": int(model.count_params()), "data": data_record(bundle),
            "keras_version": keras.__version__, "exported": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        }
        with tempfile.TemporaryDirectory(prefix="evodeap-export-") as scratch:
            path = Path(scratch) / MODEL_FILE  # Keras saves to a path; the bytes are written into place
            model.save(path)
            return info, path.read_bytes()
    finally:
        keras.backend.clear_session()


def _evaluation(run_dir: Path, generation: int, index: int) -> dict[str, Any]:
    import sqlite3

    with sqlite3.connect(f"file:{run_dir / 'results.sqlite'}?mode=ro", uri=True) as conn:
        row = conn.execute("SELECT genome, fitness, metrics FROM evaluations WHERE generation = ? AND idx = ?",
                           (generation, index)).fetchone()
    return {"genome": row[0], "fitness": row[1], "metrics": row[2] or "{}"}


__all__ = ["Export", "ExportError", "best_evaluation", "data_record", "export_best", "run_fitness", "split_metrics"]
