"""Runs in a run directory: start, checkpoint, resume, finish.

The directory's files are described in :mod:`evodeap.runs.rundir`; every command here holds
its lock while it writes (:mod:`evodeap.runs.lock`). Nothing in the folder is a pickle and nothing in it is executed: ``resume`` re-runs the
original experiment *file* (at its recorded path, or one the user names), after checking
that its hash is the recorded one (:mod:`evodeap.runs.provenance`), and checks that it still
describes the same configuration. Reading and checking a run directory before anything is
written is :mod:`evodeap.runs.inspection`; extending a run (``resume --set generations=N``)
is :mod:`evodeap.runs.extension`.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from evodeap.config.experiment import build_config
from evodeap.config.resolve import RunPlan, plan_run
from evodeap.config.settings import ExperimentConfig, comparable
from evodeap.engine.loop import evolve
from evodeap.engine.records import EvolutionResult, GenerationReport
from evodeap.engine.state import ResumeState
from evodeap.evaluation.evaluator import EvaluationRecord
from evodeap.errors import ConfigError, DiskFullError, EvodeapError, RunDirectoryError, UserCodeError
from evodeap.evaluation.weights import WeightFileError
from evodeap.execution.backend import reconcile_backend
from evodeap.results.history import HistoryWriter
from evodeap.results.storage import ResultsDB
from evodeap.runs.extension import EXTENDABLE, check_extendable, extended_config, mark_stale, record_extension
from evodeap.runs.checkpoints import run_binding
from evodeap.runs.inspection import (RunOnDisk, check_checkpoint_fits, check_same_config, described_config, inspect_run,
                                     is_final, load_recorded_experiment, weights_refusal, with_registered_kinds)
from evodeap.runs.provenance import record_change
from evodeap.runs.rundir import LogbookFile, RunDirectory, default_run_directory, undo_start

__all__ = ["Continuation", "RunInterrupted", "continue_run", "execute", "resume", "run",
           # this module's names before the split, for users' code (evodeap's own imports their homes)
           "EXTENDABLE", "RunDirectory", "check_extendable", "check_same_config", "default_run_directory",
           "extended_config", "load_recorded_experiment", "record_extension"]


class RunInterrupted(EvodeapError):
    """Ctrl-C: everything finished so far is saved; the run can be resumed."""

    def __init__(self, directory: Path) -> None:
        super().__init__(f"interrupted; everything finished is saved. Resume with: evodeap resume {directory}")
        self.directory = directory


class _Recorder:
    """The engine hooks that persist a run: database rows (evaluations, generations, the
    population's history), checkpoint, logbook, TensorBoard, MLflow."""

    def __init__(self, directory: RunDirectory, db: ResultsDB, config: ExperimentConfig,
                 on_generation: Callable[[GenerationReport], None] | None,
                 on_evaluation: Callable[[EvaluationRecord], None] | None) -> None:
        self.directory, self.db = directory, db
        self.forward_generation, self.forward_evaluation = on_generation, on_evaluation
        self.last_state: dict[str, Any] | None = None
        self.logbook = LogbookFile(directory)  # logbook.csv, a line appended per generation
        self.history = HistoryWriter(db.conn)
        self.tensorboard = None
        if config.tensorboard:
            from evodeap.dashboards.tensorboard import TensorBoardWriter

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
        self.logbook.recorded(report.generation, report.record)
        if self.tensorboard is not None:
            self.tensorboard.generation(report)
        if self.mlflow is not None:
            self.mlflow.generation(report)
        if self.forward_generation is not None:
            self.forward_generation(report)

    def checkpoint(self, state: dict[str, Any]) -> None:
        self.directory.check_in_place()  # never write into whatever now has the old name
        self.directory.write_checkpoint(state)  # the state only: its cost does not grow with the run
        self.logbook.update(state["generation"], self.db.logbook_rows)
        self.last_state = state

    def close(self, finished: bool = False) -> None:
        if self.tensorboard is not None:
            self.tensorboard.close()
        if self.mlflow is not None:
            self.mlflow.done = finished
            self.mlflow.close()


def execute(directory: RunDirectory, config: ExperimentConfig, resume_state: ResumeState | None,
            on_generation, on_evaluation, executor, plan: RunPlan | None = None) -> EvolutionResult:
    """Evolve ``config`` into a run directory whose start files exist (the caller holds its lock).

    Without ``resume_state`` the database is created; with it, the existing one is
    continued. A stop leaves the status ``failed`` when user code broke its contract (its
    failed evaluations are retried on resume), else ``interrupted``, where the disk allows
    it; a full disk or damaged weights end with one line that says how to go on.
    ``plan``: ``config`` validated and resolved, if the caller did it already (:func:`evodeap.config.resolve.plan_run`).
    """
    directory.check_folders()
    directory.binding = run_binding(described_config(config), directory.read_experiment())
    if resume_state is None:
        db = ResultsDB.create(directory.db_path, config.name, config.seed, config.to_dict())
    else:
        db = ResultsDB(directory.db_path, check=False)  # checked by the caller
    with db:
        if resume_state is not None:
            status = db.status()
            if status is None:  # an old version stopped between creating the tables and this row
                db.start_run(config.name, config.seed, config.to_dict())
            resume_state.retry_failures = status == "failed"  # stopped by user code: retry, not replay
            db.set_status("running")
            if not resume_state.evaluations:
                resume_state.evaluations = list(db.iter_evaluations())
        recorder = _Recorder(directory, db, config, on_generation, on_evaluation)
        finished = False
        try:
            result = evolve(config, callback=recorder.generation, on_evaluation=recorder.evaluation,
                            on_checkpoint=recorder.checkpoint, resume=resume_state, executor=executor,
                            weights_dir=str(directory.file("weights")), plan=plan)
            finished = True
        except BaseException as exc:
            if isinstance(exc, UserCodeError):  # everything finished is stored; the fixed code resumes it
                _try_status(db, "failed")
                exc.hint = f"everything finished is saved: fix it, then resume with: evodeap resume {directory.path}"
                raise
            _try_status(db, "interrupted")
            directory.check_in_place()  # moved or renamed under the run: say where it went
            if isinstance(exc, KeyboardInterrupt):
                raise RunInterrupted(directory.path) from None
            if isinstance(exc, DiskFullError):
                raise DiskFullError(f"{exc}. Everything finished before is saved: free space, then "
                                    f"evodeap resume {directory.path}") from None
            if isinstance(exc, WeightFileError):
                raise weights_refusal(directory, {name: "damaged or missing" for name in exc.files}) from None
            raise
        finally:
            recorder.close(finished)
        state = recorder.last_state or directory.load_checkpoint()
        directory.write_final(state, db.logbook_rows(state["generation"]))
        db.set_status("finished")
    return result


def _try_status(db: ResultsDB, status: str) -> None:
    try:
        db.set_status(status)
    except EvodeapError:
        pass  # e.g. the disk is full; the status is a hint, the checkpoint is the truth


def run(config: ExperimentConfig, out: str | Path | None = None, *,
        on_generation: Callable[[GenerationReport], None] | None = None,
        on_evaluation: Callable[[EvaluationRecord], None] | None = None,
        experiment: dict[str, Any] | None = None, executor: Any = None,
        plan: RunPlan | None = None) -> EvolutionResult:
    """Validate ``config`` and evolve it; with ``out``, record everything in that run directory.

    Args:
        config: the experiment.
        out: a new (or empty) run directory; ``None`` keeps everything in memory.
        on_generation, on_evaluation: progress hooks.
        experiment: ``{"file": path, "overrides": {...}, "sources": {...}}`` so ``evodeap
            resume`` can rebuild it (see :mod:`evodeap.runs.provenance`).
        executor: an entered executor, instead of the one the config names.
        plan: ``config`` validated and resolved, if the caller did it already (:func:`evodeap.config.resolve.plan_run`).

    Raises:
        RunDirectoryError: ``out`` holds anything, is in use, or cannot be written. ConfigError: refused input (the start is undone).
    """
    if plan is None:  # every name and parameter checked before anything is written
        plan = plan_run(config)
    if out is None:
        return evolve(config, callback=on_generation, on_evaluation=on_evaluation, executor=executor,
                      plan=plan)
    directory = RunDirectory(Path(out))
    fresh = not directory.path.exists()
    directory.make()
    try:
        with directory.lock("run"):
            directory.create(config, experiment)
            return execute(directory, config, None, on_generation, on_evaluation, executor, plan)
    except ConfigError:  # refused before anything was evaluated: no started run is left behind
        undo_start(directory, remove_folder=fresh)
        raise


@dataclass
class Continuation:
    """What :func:`continue_run` did.

    Attributes:
        result: the run's final state (``None`` when the run was complete and no result was asked for).
        already_complete: the run had finished all its generations before this call.
        written: the files this call wrote to finish a complete run (``hall_of_fame.json`` ...).
        experiment_file: the experiment file executed, if any.
    """

    result: EvolutionResult | None
    already_complete: bool
    written: list[str]
    experiment_file: Path | None = None


def continue_run(directory: RunDirectory, config: ExperimentConfig | None = None, *,
                 experiment_file: str | Path | None = None, force: bool = False,
                 retrain_lost_weights: bool = False, force_backend: bool = False, want_result: bool = True,
                 on_generation: Callable[[GenerationReport], None] | None = None,
                 on_evaluation: Callable[[EvaluationRecord], None] | None = None,
                 executor: Any = None, announce: Callable[[Path], None] | None = None,
                 on_start: Callable[[ExperimentConfig], tuple | None] | None = None,
                 extend: dict[str, Any] | None = None) -> Continuation:
    """Bring a run directory (whose lock the caller holds) to its end, from whatever state it is in.

    Every file is checked before any code runs; then the experiment file is executed
    (unless ``config`` is given) and must describe the recorded configuration. A start
    that was interrupted goes on from where it stopped; a complete run gets its final
    files and status if they are missing, and nothing is written when they are there.

    Args:
        directory: the run directory.
        config: the configuration (Python API); ``None`` rebuilds it from the experiment file.
        experiment_file: execute this file instead of the recorded one (it may lie anywhere).
        force: go on even though the experiment file or its modules changed (recorded).
        retrain_lost_weights: train models whose weight files are damaged or missing from
            scratch instead of refusing (recorded: no longer an exact continuation).
        force_backend: train on this process's Keras backend although the run recorded
            another (recorded in ``runtime.json``); without it such a run is refused before
            anything is written. A complete run trains nothing, so its backend is not checked.
        want_result: build the :class:`EvolutionResult` of an already complete run.
        on_generation, on_evaluation: progress hooks.
        executor: an entered executor, instead of the one the config names.
        announce: called with the experiment file just before it is executed.
        on_start: called with the configuration once it is known and checked, before any
            evaluation; it may return ``(on_generation, on_evaluation)`` hooks (progress).
        extend: ``{"generations": N}`` extends the run (finished or not) to N generations:
            recorded in ``experiment.json`` (:func:`evodeap.runs.extension.record_extension`) and ``config.json``;
            any other setting is refused.
    """
    extend = dict(extend or {})
    check_extendable(extend)
    checked = _check(directory, config, extend, experiment_file=experiment_file, force=force,
                     retrain_lost_weights=retrain_lost_weights, force_backend=force_backend, announce=announce)
    _write_checked(directory, checked, extend)  # everything is checked: from here on, write
    if checked.final:
        return _complete(directory, checked, want_result)
    if on_start is not None:
        hooks = on_start(checked.config)
        if hooks:
            on_generation, on_evaluation = hooks
    found = checked.found
    resume_state = ResumeState(found.state, found.stored, logbook=found.logbook) if found.has_db else None
    result = execute(directory, checked.config, resume_state, on_generation, on_evaluation, executor,
                     checked.plan)
    return Continuation(result, False, [], checked.executed)


@dataclass
class _Checked:
    """What :func:`continue_run` checked before writing anything.

    Attributes:
        found: the run directory's files (:func:`evodeap.runs.inspection.inspect_run`).
        config: the configuration to run (extended, when asked).
        source: the ``experiment.json`` record to hold (changes and extensions recorded).
        executed: the experiment file executed, if any.
        plan: ``config`` validated and resolved.
        final: the checkpoint is the run's last (:func:`evodeap.runs.inspection.is_final`).
        backend_record: the ``runtime.json`` record to write, if it changes.
    """

    found: RunOnDisk
    config: ExperimentConfig
    source: dict[str, Any]
    executed: Path | None
    plan: RunPlan
    final: bool
    backend_record: dict[str, Any] | None


def _check(directory: RunDirectory, config: ExperimentConfig | None, extend: dict[str, Any], *,
           experiment_file: str | Path | None, force: bool, retrain_lost_weights: bool, force_backend: bool,
           announce: Callable[[Path], None] | None) -> _Checked:
    """Check every file of ``directory``, then the experiment (executed unless ``config`` is
    given), the extension and the backend, writing nothing (see :func:`continue_run`)."""
    found = inspect_run(directory)  # every file, before any code runs
    if found.weight_problems and not retrain_lost_weights:
        raise weights_refusal(directory, found.weight_problems)
    config, source, executed = _experiment(directory, found, config, experiment_file, force, announce)
    if found.recorded is not None:
        check_same_config(config, found.recorded, directory.path)
    found.stored = with_registered_kinds(directory, found)
    if extend:
        if found.recorded is None:
            raise RunDirectoryError(f"{directory.path} has no config.json yet: there is no run to extend")
        config = extended_config(config, extend, found.state, directory.path)
        source = record_extension(source, comparable(found.recorded), config, found.state)
    plan = plan_run(config)  # every name and parameter checked before anything is written
    check_checkpoint_fits(directory, plan, found)
    final = is_final(config, found.state, found.logbook)
    backend_record = None if final else reconcile_backend(found.runtime, force=force_backend, where=directory.path)
    return _Checked(found, config, source, executed, plan, final, backend_record)


def _experiment(directory: RunDirectory, found: RunOnDisk, config: ExperimentConfig | None,
                experiment_file: str | Path | None, force: bool, announce: Callable[[Path], None] | None,
                ) -> tuple[ExperimentConfig, dict[str, Any], Path | None]:
    """(configuration, ``experiment.json`` record, file executed): ``config`` as given, or
    rebuilt by executing the recorded (or named) experiment file after its checks."""
    source = found.source
    if config is not None:
        return config, (source if source is not None else {"file": None, "overrides": {}}), None
    if source is None:
        raise RunDirectoryError(f"{directory.file('experiment.json')} is missing, so the experiment cannot be "
                                f"rebuilt; resume it from Python with evodeap.resume(dir, config)")
    namespace, executed, source_now = load_recorded_experiment(directory, source, experiment_file, force,
                                                                announce, after_failure=found.status == "failed")
    return build_config(namespace, source_now), source_now, executed


def _write_checked(directory: RunDirectory, checked: _Checked, extend: dict[str, Any]) -> None:
    """Write what :func:`_check` decided: leftovers removed; ``experiment.json``, ``config.json``
    and ``runtime.json`` where they change, as one change (:meth:`RunDirectory.commit`); then
    lost weights forgotten (recorded first: an interruption between the two leaves the record
    and the lost files, which the next resume forgets again)."""
    found, source = checked.found, checked.source
    directory.remove_leftovers()
    if found.weight_problems:
        source = record_change(source, f"retrained lost weights from scratch: {', '.join(sorted(found.weight_problems))}",
                               forced=True, exact=False)
    if source != found.source:
        mark_stale(directory, extend)  # tables/, figures/, best_model.* predate the extension
    directory.record(source if source != found.source else None,
                     checked.config if found.recorded is None or (extend and source != found.source) else None,
                     checked.backend_record)
    if found.weight_problems:
        directory.forget_weights(found.weight_problems)


def _complete(directory: RunDirectory, checked: _Checked, want_result: bool) -> Continuation:
    """A complete run: its final files and status where missing, and its result when wanted."""
    written = _finish(directory, checked.found.state)
    result = None
    if want_result:
        from evodeap.execution.executors import SerialExecutor

        resume_state = ResumeState(checked.found.state, checked.found.stored, logbook=checked.found.logbook)
        result = evolve(checked.config, resume=resume_state, executor=SerialExecutor(), weights_dir=str(directory.file("weights")),
                        plan=checked.plan)
    return Continuation(result, True, written, checked.executed)


def _finish(directory: RunDirectory, state: dict[str, Any]) -> list[str]:
    """Give a run whose last checkpoint is written its final files and status (those missing or
    different only); returns what was written."""
    with ResultsDB(directory.db_path, check=False, readonly=True) as db:
        finished = db.status() == "finished"
        logbook = db.logbook_rows(state["generation"])
    written = directory.write_final(state, logbook)
    if not finished:
        with ResultsDB(directory.db_path, check=False) as db:
            db.set_status("finished")
        written.append("status")
    return written


def resume(out: str | Path, config: ExperimentConfig | None = None, *,
           experiment_file: str | Path | None = None, force: bool = False, retrain_lost_weights: bool = False,
           force_backend: bool = False,
           on_generation: Callable[[GenerationReport], None] | None = None,
           on_evaluation: Callable[[EvaluationRecord], None] | None = None,
           executor: Any = None, extend: dict[str, Any] | None = None) -> EvolutionResult:
    """Continue a stopped run in ``out``; evaluations already stored are reused, not retrained, and
    with a deterministic fitness it ends exactly as an uninterrupted run. Without ``config`` this
    *executes* the recorded experiment file (or ``experiment_file``): see :func:`continue_run`
    for the checks made first. ``extend={"generations": N}`` extends a run to N generations (recorded)."""
    directory = RunDirectory(Path(out))
    directory.require()
    with directory.lock("resume"):
        return continue_run(directory, config, experiment_file=experiment_file, force=force,
                            retrain_lost_weights=retrain_lost_weights, force_backend=force_backend,
                            on_generation=on_generation, on_evaluation=on_evaluation, executor=executor,
                            extend=extend).result
