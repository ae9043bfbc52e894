"""Run directories: start, checkpoint, resume.

Everything a run produces lives in one folder, written only by the master process::

    config.json        the experiment, as JSON (written first)
    experiment.json    where the experiment came from (file + --set overrides), for resume;
                       ``extensions``: each ``resume --set generations=N`` (when, from, to)
    results.sqlite     every evaluation, written as soon as it completes; one row per generation;
                       each generation's living population and offspring (evodeap.history)
    checkpoint.json    engine state after the last completed generation (atomic replace)
    logbook.csv        the per-generation table
    hall_of_fame.json  the best genomes with their fitness (at the end)
    space.json         the final (possibly refined) search space (at the end)
    weights/           trained weights of the living population, ``<key>-e<epochs>.weights.h5``
                       (with ``inheritance`` or ``multi_fidelity``; see evodeap.weights)
    tensorboard/       per-generation scalars, HParams sessions, training curves (when enabled)
    mlflow.json        the MLflow parent run of the run (with ``mlflow``; see evodeap.dashboards.mlflow)
    mlflow.db, mlflow-artifacts/   the default local MLflow store
    best_model.keras, best_model.json   written by ``evodeap export`` (evodeap.export)

Nothing in the folder is a pickle and nothing in it is executed: ``resume`` re-runs the
original experiment *file* (at its recorded path) and checks that it still describes the
same configuration.
"""
from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from evodeap.config import ExperimentConfig, comparable
from evodeap.engine import LOGBOOK_FIELDS, EvaluationRecord, EvolutionResult, GenerationReport, ResumeState, evolve
from evodeap.errors import ConfigError, EvodeapError, RunDirectoryError, UserCodeError
from evodeap.experiment import build_config, load_experiment
from evodeap.history import HistoryWriter
from evodeap.resolve import ResolvedRun, resolve_run
from evodeap.storage import ResultsDB

CHECKPOINT_KEYS = {"format", "generation", "population", "hall_of_fame", "logbook", "rng", "space"}


class RunInterrupted(EvodeapError):
    """Ctrl-C: everything finished so far is saved; the run can be resumed."""

    def __init__(self, directory: Path) -> None:
        super().__init__(f"interrupted; everything finished is saved. Resume with: evodeap resume {directory}")
        self.directory = directory


def write_atomic(path: Path, text: str) -> None:
    """Write to a temporary file, fsync, then rename over ``path`` (never a half-written file)."""
    tmp = path.with_name(f".{path.name}.tmp")
    with open(tmp, "w") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)


def write_json_atomic(path: Path, data: Any) -> None:
    # key order is kept: the order of a search space's genes is the order operators draw in
    write_atomic(path, json.dumps(data, indent=1))


@dataclass
class RunDirectory:
    """Paths and file formats of one run directory."""

    path: Path

    def __post_init__(self) -> None:
        self.path = Path(self.path)

    def file(self, name: str) -> Path:
        return self.path / name

    @property
    def db_path(self) -> Path:
        return self.file("results.sqlite")

    def create(self, config: ExperimentConfig, experiment: dict[str, Any] | None) -> None:
        """Start a new run here; refuse a directory that already holds anything."""
        if self.path.exists() and (not self.path.is_dir() or any(self.path.iterdir())):
            if self.file("config.json").is_file():
                raise RunDirectoryError(
                    f"{self.path} already holds a run; continue it with 'evodeap resume {self.path}' "
                    f"or choose another --out")
            raise RunDirectoryError(f"{self.path} exists and is not empty; choose another --out")
        self.path.mkdir(parents=True, exist_ok=True)
        write_json_atomic(self.file("config.json"), config.to_dict())
        write_json_atomic(self.file("experiment.json"), experiment or {"file": None, "overrides": {}})

    def read_json(self, name: str) -> Any:
        path = self.file(name)
        try:
            return json.loads(path.read_text())
        except FileNotFoundError:
            raise RunDirectoryError(f"{path} is missing: is {self.path} a run directory?") from None
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise RunDirectoryError(f"{path} is corrupt: {exc}") from None

    def load_checkpoint(self) -> dict[str, Any] | None:
        if not self.file("checkpoint.json").exists():
            return None
        state = self.read_json("checkpoint.json")
        if not isinstance(state, dict) or not CHECKPOINT_KEYS <= set(state):
            raise RunDirectoryError(f"{self.file('checkpoint.json')} is corrupt: missing engine state")
        return state

    def write_logbook(self, rows: list[dict]) -> None:
        lines = [",".join(LOGBOOK_FIELDS)]
        for row in rows:
            lines.append(",".join("" if row.get(f) is None else str(row.get(f)) for f in LOGBOOK_FIELDS))
        write_atomic(self.file("logbook.csv"), "\n".join(lines) + "\n")

    def write_final(self, result: EvolutionResult) -> None:
        write_json_atomic(self.file("hall_of_fame.json"), [
            {"fitness": list(ind.fitness.values), "key": ind.key(), "genome": ind.to_dict()}
            for ind in result.hall_of_fame
        ])
        write_json_atomic(self.file("space.json"), result.space.to_dict())


class _Recorder:
    """The engine hooks that persist a run: database rows, checkpoint, logbook, TensorBoard."""

    def __init__(self, directory: RunDirectory, db: ResultsDB, config: ExperimentConfig,
                 on_generation: Callable[[GenerationReport], None] | None,
                 on_evaluation: Callable[[EvaluationRecord], None] | None) -> None:
        self.directory = directory
        self.db = db
        self.forward_generation = on_generation
        self.forward_evaluation = on_evaluation
        self.history = HistoryWriter(db.conn)
        self.tensorboard = None
        if config.tensorboard:
            from evodeap.tensorboard import TensorBoardWriter

            self.tensorboard = TensorBoardWriter(directory.file("tensorboard"))
        self.mlflow = None
        if config.mlflow:
            from evodeap.dashboards.mlflow import MLflowLogger

            self.mlflow = MLflowLogger(directory.path, config)

    def evaluation(self, record: EvaluationRecord) -> None:
        self.db.add_evaluation(record.generation, record.index, record.genome, record.result)
        if self.tensorboard is not None:
            self.tensorboard.evaluation(record)
        if self.mlflow is not None:
            self.mlflow.evaluation(record)
        if self.forward_evaluation is not None:
            self.forward_evaluation(record)

    def generation(self, report: GenerationReport) -> None:
        self.history.write(report.generation, report.population, report.offspring)
        self.db.add_generation(report.generation, report.record, report.space.to_dict())
        if self.tensorboard is not None:
            self.tensorboard.generation(report)
        if self.mlflow is not None:
            self.mlflow.generation(report)
        if self.forward_generation is not None:
            self.forward_generation(report)

    def checkpoint(self, state: dict[str, Any]) -> None:
        write_json_atomic(self.directory.file("checkpoint.json"), state)
        self.directory.write_logbook(state["logbook"])

    def close(self, finished: bool = False) -> None:
        if self.tensorboard is not None:
            self.tensorboard.close()
        if self.mlflow is not None:
            self.mlflow.done = finished
            self.mlflow.close()


def execute(directory: RunDirectory, config: ExperimentConfig, resume_state: ResumeState | None,
            on_generation, on_evaluation, executor, resolved: ResolvedRun | None = None) -> EvolutionResult:
    """Evolve ``config`` into an existing run directory (fresh, or resumed from ``resume_state``);
    ``resolved``: its objects, if the caller resolved them already (:func:`evodeap.resolve.resolve_run`)."""
    with ResultsDB(directory.db_path) as db:
        if resume_state is None:
            db.start_run(config.name, config.seed, config.to_dict())
        else:
            resume_state.retry_failures = db.status() == "failed"  # stopped by user code: retry, not replay
            db.set_status("running")
            resume_state.evaluations = list(db.iter_evaluations())
        recorder = _Recorder(directory, db, config, on_generation, on_evaluation)
        finished = False
        try:
            result = evolve(config, callback=recorder.generation, on_evaluation=recorder.evaluation,
                            on_checkpoint=recorder.checkpoint, resume=resume_state, executor=executor,
                            weights_dir=str(directory.file("weights")), resolved=resolved)
            finished = True
        except KeyboardInterrupt:
            db.set_status("interrupted")
            raise RunInterrupted(directory.path) from None
        except UserCodeError as exc:  # everything finished is stored; the fixed code resumes it
            db.set_status("failed")
            exc.hint = f"everything finished is saved: fix it, then resume with: evodeap resume {directory.path}"
            raise
        finally:
            recorder.close(finished)
        directory.write_final(result)
        db.set_status("finished")
    return result


def run(config: ExperimentConfig, out: str | Path | None = None, *,
        on_generation: Callable[[GenerationReport], None] | None = None,
        on_evaluation: Callable[[EvaluationRecord], None] | None = None,
        experiment: dict[str, Any] | None = None, executor: Any = None) -> EvolutionResult:
    """Validate ``config`` and evolve it; with ``out``, record everything in that run directory.

    Args:
        config: the experiment.
        out: a new (or empty) run directory; ``None`` keeps everything in memory.
        on_generation, on_evaluation: progress hooks.
        experiment: ``{"file": path, "overrides": {...}}`` so ``evodeap resume`` can rebuild it.
        executor: an entered executor, instead of the one the config names.
    """
    resolved = resolve_run(config.validate())  # every name and parameter checked before anything is written
    if out is None:
        return evolve(config, callback=on_generation, on_evaluation=on_evaluation, executor=executor,
                      resolved=resolved)
    directory = RunDirectory(Path(out))
    directory.create(config, experiment)
    return execute(directory, config, None, on_generation, on_evaluation, executor, resolved)


#: settings ``evodeap resume DIR --set`` may change: those that extend a run
EXTENDABLE = frozenset({"generations"})


def check_extendable(overrides: dict[str, Any]) -> None:
    """Refuse a resume override of anything but :data:`EXTENDABLE` settings."""
    refused = sorted(set(overrides) - EXTENDABLE)
    if refused:
        raise ConfigError(f"resume --set can only extend a run ({', '.join(sorted(EXTENDABLE))}); "
                          f"{', '.join(refused)} cannot change in an existing run")


def resume_config(out: str | Path, overrides: dict[str, Any] | None = None) -> ExperimentConfig:
    """Rebuild a run's config from its recorded experiment file and overrides (checked against
    ``config.json``), with the extension ``overrides`` (see :data:`EXTENDABLE`) applied."""
    overrides = dict(overrides or {})
    check_extendable(overrides)
    directory = RunDirectory(Path(out))
    recorded = directory.read_json("config.json")
    source = directory.read_json("experiment.json")
    if not source.get("file"):
        raise RunDirectoryError(f"{out} was started from Python, not from an experiment file; "
                                f"resume it with evodeap.resume(dir, config)")
    config = build_config(load_experiment(source["file"]), source)
    check_same_config(config, recorded, directory.path)
    if not overrides:
        return config
    extended = config.with_overrides(overrides).validate()
    check_extends(directory, extended)
    return extended


def check_extends(directory: RunDirectory, config: ExperimentConfig) -> int:
    """Refuse ``config`` when it has fewer generations than the run completed; returns those."""
    state = directory.load_checkpoint()
    done = state["generation"] if state is not None else -1
    if config.generations < done:
        raise ConfigError(f"{directory.path} has already run {done} generations; "
                          f"generations={config.generations} would not extend it")
    return done


def record_extension(directory: RunDirectory, config: ExperimentConfig) -> dict[str, Any]:
    """Make ``config`` (an extension of the recorded one) the run's config: ``experiment.json``
    gains the new values in ``overrides`` and an entry in ``extensions`` (when, after which
    generation, from → to), then ``config.json`` is replaced. Returns the changes."""
    recorded = directory.read_json("config.json")
    current = json.loads(json.dumps(config.to_dict()))
    changes = {k: {"from": recorded.get(k), "to": current.get(k)} for k in sorted(EXTENDABLE)
               if recorded.get(k) != current.get(k)}
    if not changes:
        return {}
    done = check_extends(directory, config)
    source = directory.read_json("experiment.json")
    source["overrides"] = {**source.get("overrides", {}), **{k: change["to"] for k, change in changes.items()}}
    source.setdefault("extensions", []).append({"at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                                                "after_generation": done, "changes": changes})
    write_json_atomic(directory.file("experiment.json"), source)
    write_json_atomic(directory.file("config.json"), config.to_dict())
    return changes


def check_same_config(config: ExperimentConfig, recorded: dict, where: Path, allowed: Any = ()) -> None:
    """Refuse ``config`` unless it equals the recorded ``config.json`` (settings in ``allowed`` aside)."""
    current = comparable(json.loads(json.dumps(config.to_dict())))
    recorded = comparable(recorded)
    changed = sorted(k for k in set(current) | set(recorded) if current.get(k) != recorded.get(k) and k not in allowed)
    if changed:
        raise RunDirectoryError(f"the experiment no longer matches {where}/config.json (changed: {', '.join(changed)})")


def resume(out: str | Path, config: ExperimentConfig | None = None, *,
           overrides: dict[str, Any] | None = None,
           on_generation: Callable[[GenerationReport], None] | None = None,
           on_evaluation: Callable[[EvaluationRecord], None] | None = None,
           executor: Any = None) -> EvolutionResult:
    """Continue a stopped run in ``out``; evaluations already stored are reused, not retrained.

    With a deterministic fitness the resumed run ends exactly as an uninterrupted one.
    ``overrides`` (only ``{"generations": N}``) extends a run, finished or not: the change is
    recorded (:func:`record_extension`) and the run continues to generation N; any other
    change of the configuration is refused.
    """
    overrides = dict(overrides or {})
    check_extendable(overrides)
    directory = RunDirectory(Path(out))
    if not directory.path.is_dir():
        raise RunDirectoryError(f"no run directory at {directory.path}")
    if config is None:
        config = resume_config(directory.path)
    else:
        check_same_config(config.validate(), directory.read_json("config.json"), directory.path, allowed=overrides)
    if not directory.db_path.is_file():
        raise RunDirectoryError(f"{directory.db_path} is missing: nothing to resume")
    if overrides:
        config = config.with_overrides(overrides).validate()
        record_extension(directory, config)
    state = ResumeState(directory.load_checkpoint())
    return execute(directory, config, state, on_generation, on_evaluation, executor)
