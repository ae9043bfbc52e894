"""MLflow tracking of a run (``ExperimentConfig(mlflow=...)``; ``pip install 'evodeap[mlflow]'``).

Settings: ``mlflow=True`` logs to a local store inside the run directory —
``sqlite:///DIR/mlflow.db`` with artifacts under ``DIR/mlflow-artifacts/`` (MLflow 3 keeps
its plain-file ``./mlruns`` store in maintenance mode and refuses it by default, so the
local default is MLflow's own single-file SQLite store) — and ``mlflow={"tracking_uri":
URI, "experiment": NAME}`` logs to any tracking server or store (``experiment`` defaults to
the config's ``name``). What is logged, by the master process only:

* one parent run per run directory (its id is kept in ``DIR/mlflow.json``, so a resumed
  run goes on logging into it): the main settings as params, ``config.json`` as an
  artifact, every numeric logbook field per generation (``step`` = generation), status
  ``FINISHED`` or ``KILLED`` (interrupted);
* one nested run per evaluation (``g<generation>-i<index>``): params ``hp_<name>``, the
  structural summary and ``seed``; metrics ``fitness``, ``metric_<name>``,
  ``component_<name>``, ``wall_time``, ``n_params``; tags ``evodeap.key``,
  ``evodeap.status``, ``evodeap.generation``, ``evodeap.index`` (and the failure message);
  a failed evaluation's run ends ``FAILED``;
* ``evodeap export DIR`` adds ``best_model.keras`` and ``best_model.json`` as artifacts of
  the parent run, and the exported model's metrics as ``best_<split>_<metric>``.
"""
from __future__ import annotations

import json
import math
import time
from pathlib import Path
from typing import Any, Mapping

from evodeap.config.checks import check_mlflow_settings
from evodeap.errors import ConfigError

RECORD_FILE = "mlflow.json"
PARENT_PARAMS = ("name", "seed", "population_size", "generations", "fitness", "crossover", "mutation", "selection",
                 "cxpb", "mutpb", "elitism", "refine_every", "executor", "workers")


def default_tracking_uri(run_dir: Path) -> str:
    """``sqlite:///<run dir>/mlflow.db`` — the local store of a run."""
    return f"sqlite:///{Path(run_dir).resolve() / 'mlflow.db'}"


def _client(tracking_uri: str):
    import logging

    from mlflow.tracking import MlflowClient

    logging.getLogger("mlflow").setLevel(logging.WARNING)  # no INFO lines about creating its tables
    logging.getLogger("alembic").setLevel(logging.WARNING)
    return MlflowClient(tracking_uri=tracking_uri)


def _param(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    return text[:6000]


def _finite(values: Mapping[str, Any]) -> dict[str, float]:
    return {k: float(v) for k, v in values.items()
            if isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(float(v))}


class MLflowLogger:
    """The live logger the run directory's recorder calls (see the module docstring)."""

    def __init__(self, run_dir: str | Path, config: Any) -> None:
        from mlflow.entities import Param

        settings = check_mlflow_settings(config.mlflow) or {}
        self.run_dir = Path(run_dir)
        record_path = self.run_dir / RECORD_FILE
        if record_path.exists():  # a resumed run: go on logging into the same parent run
            self.record = recorded_run(self.run_dir)
            self.client = _client(self.record["tracking_uri"])
            self.client.update_run(self.record["run_id"], status="RUNNING")
        else:
            tracking_uri = settings.get("tracking_uri") or default_tracking_uri(self.run_dir)
            self.client = _client(tracking_uri)
            name = settings.get("experiment") or config.name
            experiment = self.client.get_experiment_by_name(name)
            if experiment is None:
                location = None if settings.get("tracking_uri") else (self.run_dir / "mlflow-artifacts").resolve().as_uri()
                experiment_id = self.client.create_experiment(name, artifact_location=location)
            else:
                experiment_id = experiment.experiment_id
            parent = self.client.create_run(experiment_id, run_name=self.run_dir.name,
                                            tags={"evodeap.run_directory": str(self.run_dir.resolve())})
            self.record = {"tracking_uri": tracking_uri, "experiment_id": experiment_id, "run_id": parent.info.run_id}
            described = config.to_dict()
            self.client.log_batch(parent.info.run_id, params=[Param(k, _param(described.get(k))) for k in PARENT_PARAMS])
            if (self.run_dir / "config.json").exists():
                self.client.log_artifact(parent.info.run_id, str(self.run_dir / "config.json"))
            from evodeap.files import write_json

            write_json(self.run_dir, RECORD_FILE, self.record)
        self.done = False

    @property
    def run_id(self) -> str:
        return self.record["run_id"]

    def evaluation(self, record: Any) -> None:
        from mlflow.entities import Metric, Param

        from evodeap.dashboards.tensorboard_hparams import session_metrics
        from evodeap.results.trials import genome_columns

        result = record.result
        tags = {"mlflow.parentRunId": self.run_id, "evodeap.key": record.genome.key(),
                "evodeap.status": result.status, "evodeap.generation": str(record.generation),
                "evodeap.index": str(record.index)}
        if result.message:
            tags["evodeap.message"] = result.message[:5000]
        child = self.client.create_run(self.record["experiment_id"], run_name=f"g{record.generation}-i{record.index}",
                                       tags=tags)
        now = int(time.time() * 1000)
        params = {**genome_columns(record.genome), "seed": result.seed}
        self.client.log_batch(
            child.info.run_id, params=[Param(k, _param(v)) for k, v in params.items()],
            metrics=[Metric(k, v, now, 0) for k, v in session_metrics(record).items()])
        self.client.set_terminated(child.info.run_id, status="FINISHED" if result.ok else "FAILED")

    def generation(self, report: Any) -> None:
        from mlflow.entities import Metric

        now = int(time.time() * 1000)
        values = {k: v for k, v in _finite(report.record).items() if k != "generation"}
        self.client.log_batch(self.run_id, metrics=[Metric(k, v, now, report.generation) for k, v in values.items()])

    def close(self) -> None:
        self.client.set_terminated(self.run_id, status="FINISHED" if self.done else "KILLED")


def recorded_run(run_dir: str | Path) -> dict[str, Any] | None:
    """The MLflow parent run a run directory logged to (``DIR/mlflow.json``), or ``None``."""
    path = Path(run_dir) / RECORD_FILE
    if not path.exists():
        return None
    import importlib.util

    if importlib.util.find_spec("mlflow") is None:
        raise ConfigError(f"{run_dir} logs to MLflow, which is not installed: pip install 'evodeap[mlflow]'")
    from evodeap.errors import DamagedFileError
    from evodeap.files import read_json

    record = read_json(run_dir, RECORD_FILE)
    if not isinstance(record, dict) or not all(isinstance(record.get(k), str)
                                               for k in ("tracking_uri", "experiment_id", "run_id")):
        raise DamagedFileError(f"{path} is corrupt: it must name the tracking_uri, experiment_id and run_id of the MLflow run")
    return record


def log_export(run_dir: str | Path, model_path: Path, info_path: Path) -> None:
    """Add an export to the run's MLflow parent run (nothing when the run did not log to MLflow)."""
    record = recorded_run(run_dir)
    if record is None:
        return
    from mlflow.entities import Metric

    client = _client(record["tracking_uri"])
    client.log_artifact(record["run_id"], str(model_path))
    client.log_artifact(record["run_id"], str(info_path))
    info = json.loads(Path(info_path).read_text())
    now = int(time.time() * 1000)
    metrics = [Metric(f"best_{split}_{name}", value, now, 0)
               for split, values in info["metrics"].items() for name, value in _finite(values).items()]
    client.log_batch(record["run_id"], metrics=metrics)


__all__ = ["MLflowLogger", "default_tracking_uri", "log_export", "recorded_run"]
