"""Run directories: start, checkpoint, resume.

Everything a run produces lives in one folder, written only by the master process::

    config.json        the experiment, as JSON (written first)
    experiment.json    where the experiment came from (file + --set overrides), for resume
    results.sqlite     every evaluation, written as soon as it completes; one row per generation
    checkpoint.json    engine state after the last completed generation (atomic replace)
    logbook.csv        the per-generation table
    hall_of_fame.json  the best genomes with their fitness (at the end)
    space.json         the final (possibly refined) search space (at the end)
    weights/           trained weights of the living population, ``<key>-e<epochs>.weights.h5``
                       (with ``inheritance`` or ``multi_fidelity``; see evodeap.weights)
    tensorboard/       per-generation scalars and training curves (when enabled)

Nothing in the folder is a pickle and nothing in it is executed: ``resume`` re-runs the
original experiment *file* (at its recorded path) and checks that it still describes the
same configuration.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from evodeap.config import ExperimentConfig, comparable
from evodeap.engine import LOGBOOK_FIELDS, EvaluationRecord, EvolutionResult, GenerationReport, ResumeState, evolve
from evodeap.errors import EvodeapError, RunDirectoryError, UserCodeError
from evodeap.experiment import build_config, load_experiment
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
        self.tensorboard = None
        if config.tensorboard:
            from evodeap.tensorboard import TensorBoardWriter

            self.tensorboard = TensorBoardWriter(directory.file("tensorboard"))

    def evaluation(self, record: EvaluationRecord) -> None:
        self.db.add_evaluation(record.generation, record.index, record.genome, record.result)
        if self.tensorboard is not None:
            self.tensorboard.evaluation(record)
        if self.forward_evaluation is not None:
            self.forward_evaluation(record)

    def generation(self, report: GenerationReport) -> None:
        self.db.add_generation(report.generation, report.record, report.space.to_dict())
        if self.tensorboard is not None:
            self.tensorboard.generation(report)
        if self.forward_generation is not None:
            self.forward_generation(report)

    def checkpoint(self, state: dict[str, Any]) -> None:
        write_json_atomic(self.directory.file("checkpoint.json"), state)
        self.directory.write_logbook(state["logbook"])

    def close(self) -> None:
        if self.tensorboard is not None:
            self.tensorboard.close()


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
        try:
            result = evolve(config, callback=recorder.generation, on_evaluation=recorder.evaluation,
                            on_checkpoint=recorder.checkpoint, resume=resume_state, executor=executor,
                            weights_dir=str(directory.file("weights")), resolved=resolved)
        except KeyboardInterrupt:
            db.set_status("interrupted")
            raise RunInterrupted(directory.path) from None
        except UserCodeError as exc:  # everything finished is stored; the fixed code resumes it
            db.set_status("failed")
            exc.hint = f"everything finished is saved: fix it, then resume with: evodeap resume {directory.path}"
            raise
        finally:
            recorder.close()
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


def resume_config(out: str | Path) -> ExperimentConfig:
    """Rebuild a run's config from its recorded experiment file and overrides (checked)."""
    directory = RunDirectory(Path(out))
    recorded = directory.read_json("config.json")
    source = directory.read_json("experiment.json")
    if not source.get("file"):
        raise RunDirectoryError(f"{out} was started from Python, not from an experiment file; "
                                f"resume it with evodeap.resume(dir, config)")
    config = build_config(load_experiment(source["file"]), source)
    check_same_config(config, recorded, directory.path)
    return config


def check_same_config(config: ExperimentConfig, recorded: dict, where: Path) -> None:
    current = comparable(json.loads(json.dumps(config.to_dict())))
    recorded = comparable(recorded)
    if current != recorded:
        changed = sorted(k for k in set(current) | set(recorded) if current.get(k) != recorded.get(k))
        raise RunDirectoryError(f"the experiment no longer matches {where}/config.json (changed: {', '.join(changed)})")


def resume(out: str | Path, config: ExperimentConfig | None = None, *,
           on_generation: Callable[[GenerationReport], None] | None = None,
           on_evaluation: Callable[[EvaluationRecord], None] | None = None,
           executor: Any = None) -> EvolutionResult:
    """Continue a stopped run in ``out``; evaluations already stored are reused, not retrained.

    With a deterministic fitness the resumed run ends exactly as an uninterrupted one.
    """
    directory = RunDirectory(Path(out))
    if not directory.path.is_dir():
        raise RunDirectoryError(f"no run directory at {directory.path}")
    if config is None:
        config = resume_config(directory.path)
    else:
        check_same_config(config.validate(), directory.read_json("config.json"), directory.path)
    if not directory.db_path.is_file():
        raise RunDirectoryError(f"{directory.db_path} is missing: nothing to resume")
    state = ResumeState(directory.load_checkpoint())
    return execute(directory, config, state, on_generation, on_evaluation, executor)
