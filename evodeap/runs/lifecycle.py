"""Runs in a run directory: start, checkpoint, resume, finish.

The directory's files and their formats are described in :mod:`evodeap.runs.rundir`. Every
command here holds the directory's lock while it writes (:mod:`evodeap.runs.lock`).

Nothing in the folder is a pickle and nothing in it is executed: ``resume`` re-runs the
original experiment *file* (at its recorded path, or one the user names), after checking
that its hash is the recorded one (:mod:`evodeap.runs.provenance`), and checks that it still
describes the same configuration.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from evodeap.runs import formats
from evodeap.execution.backend import reconcile_backend
from evodeap.config.settings import ExperimentConfig, comparable
from evodeap.evaluation.evaluator import EvaluationRecord
from evodeap.engine.records import EvolutionResult, GenerationReport
from evodeap.engine.state import ResumeState
from evodeap.engine.loop import evolve
from evodeap.errors import ConfigError, DamagedFileError, DiskFullError, EvodeapError, RunDirectoryError, UserCodeError
from evodeap.config.experiment import build_config, load_experiment
from evodeap.results.history import HistoryWriter
from evodeap.runs.provenance import changed_sources, describe_sources, experiment_file_to_run, record_change
from evodeap.config.resolve import ResolvedRun, resolve_run
from evodeap.runs.rundir import RunDirectory, default_run_directory
from evodeap.results.storage import ResultsDB, check_database
from evodeap.evaluation.weights import INDEX, WeightFileError

__all__ = ["Continuation", "EXTENDABLE", "RunDirectory", "RunInterrupted", "check_extendable", "check_same_config",
           "continue_run", "default_run_directory", "execute", "extended_config", "load_recorded_experiment",
           "record_extension", "resume", "run"]

RETRAIN_FLAG = "--retrain-lost-weights"


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
        self.directory = directory
        self.db = db
        self.forward_generation = on_generation
        self.forward_evaluation = on_evaluation
        self.last_state: dict[str, Any] | None = None
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
        if self.tensorboard is not None:
            self.tensorboard.generation(report)
        if self.mlflow is not None:
            self.mlflow.generation(report)
        if self.forward_generation is not None:
            self.forward_generation(report)

    def checkpoint(self, state: dict[str, Any]) -> None:
        self.directory.write_checkpoint(state, self.db.logbook_rows(state["generation"]))
        self.last_state = state

    def close(self, finished: bool = False) -> None:
        if self.tensorboard is not None:
            self.tensorboard.close()
        if self.mlflow is not None:
            self.mlflow.done = finished
            self.mlflow.close()


def execute(directory: RunDirectory, config: ExperimentConfig, resume_state: ResumeState | None,
            on_generation, on_evaluation, executor, resolved: ResolvedRun | None = None) -> EvolutionResult:
    """Evolve ``config`` into a run directory whose start files exist (the caller holds its lock).

    Without ``resume_state`` the database is created; with it, the existing one is
    continued. A stop leaves the status ``failed`` when user code broke its contract (its
    failed evaluations are retried on resume), else ``interrupted``, where the disk allows
    it; a full disk or damaged weights end with one line that says how to go on.
    ``resolved``: its objects, if the caller resolved them already (:func:`evodeap.config.resolve.resolve_run`).
    """
    directory.check_folders()
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
                            weights_dir=str(directory.file("weights")), resolved=resolved)
            finished = True
        except BaseException as exc:
            if isinstance(exc, UserCodeError):  # everything finished is stored; the fixed code resumes it
                _try_status(db, "failed")
                exc.hint = f"everything finished is saved: fix it, then resume with: evodeap resume {directory.path}"
                raise
            _try_status(db, "interrupted")
            if isinstance(exc, KeyboardInterrupt):
                raise RunInterrupted(directory.path) from None
            if isinstance(exc, DiskFullError):
                raise DiskFullError(f"{exc}. Everything finished before is saved: free space, then "
                                    f"evodeap resume {directory.path}") from None
            if isinstance(exc, WeightFileError):
                raise _weights_refusal(directory, {name: "damaged or missing" for name in exc.files}) from None
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
        resolved: ResolvedRun | None = None) -> EvolutionResult:
    """Validate ``config`` and evolve it; with ``out``, record everything in that run directory.

    Args:
        config: the experiment.
        out: a new (or empty) run directory; ``None`` keeps everything in memory.
        on_generation, on_evaluation: progress hooks.
        experiment: ``{"file": path, "overrides": {...}, "sources": {...}}`` so ``evodeap
            resume`` can rebuild it (see :mod:`evodeap.runs.provenance`).
        executor: an entered executor, instead of the one the config names.
        resolved: ``config``'s objects, if the caller resolved them already (:func:`evodeap.config.resolve.resolve_run`).

    Raises:
        RunDirectoryError: ``out`` holds anything, is in use, or cannot be written.
    """
    if resolved is None:  # every name and parameter checked before anything is written
        resolved = resolve_run(config.validate())
    if out is None:
        return evolve(config, callback=on_generation, on_evaluation=on_evaluation, executor=executor,
                      resolved=resolved)
    directory = RunDirectory(Path(out))
    directory.make()
    with directory.lock("run"):
        directory.create(config, experiment)
        return execute(directory, config, None, on_generation, on_evaluation, executor, resolved)


def check_same_config(config: ExperimentConfig, recorded: dict, where: Path) -> None:
    """Refuse ``config`` unless it is the one ``recorded`` (an upgraded ``config.json``), naming every changed key."""
    changed = formats.config_differences(_described(config), comparable(recorded))
    if changed:
        raise RunDirectoryError(f"the experiment no longer matches {where}/config.json (changed: {'; '.join(changed)})")


def _described(config: ExperimentConfig) -> dict[str, Any]:
    import json

    return comparable(formats.normalize_names(json.loads(json.dumps(config.to_dict()))))


#: settings ``evodeap resume DIR --set`` may change: those that extend a run
EXTENDABLE = frozenset({"generations"})


def check_extendable(extend: dict[str, Any]) -> None:
    """Refuse a resume override of anything but :data:`EXTENDABLE` settings."""
    refused = sorted(set(extend) - EXTENDABLE)
    if refused:
        raise ConfigError(f"resume --set can only extend a run ({', '.join(sorted(EXTENDABLE))}); "
                          f"{', '.join(refused)} cannot change in an existing run")


def extended_config(config: ExperimentConfig, extend: dict[str, Any], state: dict[str, Any] | None,
                    where: Path) -> ExperimentConfig:
    """``config`` with the extension ``extend`` applied, refused when it has fewer generations
    than the run (its checkpoint ``state``) completed."""
    check_extendable(extend)
    extended = config.with_overrides(extend).validate()
    done = state["generation"] if state is not None else -1
    if extended.generations < done:
        raise ConfigError(f"{where} has already run {done} generations; "
                          f"generations={extended.generations} would not extend it")
    return extended


def record_extension(source: dict[str, Any], recorded: dict[str, Any], config: ExperimentConfig,
                     state: dict[str, Any] | None) -> dict[str, Any]:
    """``source`` (an ``experiment.json`` record) with an extension of the ``recorded`` config
    to ``config``: the new values in ``overrides`` and an entry in ``extensions`` (when,
    after which generation, from → to), and in ``changes`` (:func:`evodeap.runs.provenance.record_change`)."""
    import time

    current = _described(config)
    changes = {k: {"from": recorded.get(k), "to": current.get(k)} for k in sorted(EXTENDABLE)
               if recorded.get(k) != current.get(k)}
    if not changes:
        return source
    done = state["generation"] if state is not None else -1
    updated = {**source, "overrides": {**source.get("overrides", {}), **{k: c["to"] for k, c in changes.items()}},
               "extensions": [*source.get("extensions", []), {"at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                                                               "after_generation": done, "changes": changes}]}
    described = ", ".join(f"{k} {c['from']} -> {c['to']}" for k, c in changes.items())
    return record_change(updated, f"extended after generation {done}: {described}")


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


def _is_final(config: ExperimentConfig, state: dict[str, Any] | None, logbook: list[dict]) -> bool:
    """True when the checkpoint is the run's last: all generations done, or the compute budget spent."""
    if state is None:
        return False
    if state["generation"] >= config.generations:
        return True
    budget = config.compute_budget
    return budget is not None and (logbook[-1].get("train_flops_total") or 0) >= budget


def _weights_refusal(directory: RunDirectory, problems: dict[str, str]) -> WeightFileError:
    listed = "; ".join(f"{name}: {problem}" for name, problem in problems.items())
    return WeightFileError(
        f"{len(problems)} weight file(s) in {directory.file('weights')} are damaged or missing: {listed}. "
        f"Nothing was changed. To go on, training those models again from scratch (recorded: the run is then no "
        f"longer an exact continuation): evodeap resume {directory.path} {RETRAIN_FLAG}", list(problems))


def _weight_problems(directory: RunDirectory, source: dict[str, Any] | None) -> dict[str, str]:
    """name -> problem of each weight file that is not whole (``index.json`` too, when it should exist)."""
    store = directory.weight_store()
    try:
        problems = store.check()
    except DamagedFileError as exc:  # the index itself
        return {INDEX: str(exc).split(": ", 1)[-1]}
    legacy = source is None or source.get("format", 1) < formats.EXPERIMENT_FORMAT
    if not legacy and store.has_unindexed_files():
        problems[INDEX] = "missing, though the folder holds weight files"
    return problems


def _forget_weights(directory: RunDirectory, problems: dict[str, str]) -> list[str]:
    store = directory.weight_store()
    if INDEX in problems:  # without a whole index no file can be verified, so none is trusted
        return store.forget_all()
    return store.forget(list(problems))


def load_recorded_experiment(directory: RunDirectory, source: dict[str, Any], named: str | Path | None,
                              force: bool, announce: Callable[[Path], None] | None, where: str = "experiment.json",
                              after_failure: bool = False) -> tuple[dict[str, Any], Path, dict[str, Any]]:
    """Check, then execute, the experiment file of ``source``; returns (namespace, file, updated source).

    The file (and the user modules recorded with it) is hashed before it is executed; a
    changed one is refused unless ``force``, or ``after_failure`` (the run stopped because
    its code broke the contract and asked for the fix); either change is recorded.
    """
    path = experiment_file_to_run(directory.path, source, named, where)
    changed = changed_sources(source.get("sources"), path)
    if changed and not (force or after_failure):
        raise RunDirectoryError(
            f"the experiment changed since {directory.path} was started: {'; '.join(changed)}. Resuming would mix "
            f"two versions of its code in one run: restore it, or go on with the changed code (recorded in "
            f"{where}) with: evodeap resume {directory.path} --force")
    if announce is not None:
        announce(path)
    namespace = load_experiment(path)
    updated = dict(source)
    if changed and force:
        updated = record_change(updated, f"forced: resumed with changed code: {'; '.join(changed)}",
                                forced=True, exact=False)
    elif changed:
        updated = record_change(updated, f"resumed with code fixed after the run failed: {'; '.join(changed)}",
                                exact=False)
    if named is not None and str(path) != source.get("file"):
        updated = record_change(updated, f"experiment file named on resume: {path} (recorded: {source.get('file')})")
        updated["file"] = str(path)
    if changed or not source.get("sources") or updated["file"] != source.get("file"):
        updated["sources"] = describe_sources(path, namespace)
    return namespace, path, updated


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
            recorded in ``experiment.json`` (:func:`record_extension`) and ``config.json``;
            any other setting is refused.
    """
    extend = dict(extend or {})
    check_extendable(extend)
    found = _inspect(directory)  # every file, before any code runs
    if found.weight_problems and not retrain_lost_weights:
        raise _weights_refusal(directory, found.weight_problems)
    source, executed = found.source, None
    if config is None:
        if source is None:
            raise RunDirectoryError(f"{directory.file('experiment.json')} is missing, so the experiment cannot be "
                                    f"rebuilt; resume it from Python with evodeap.resume(dir, config)")
        namespace, executed, source_now = load_recorded_experiment(directory, source, experiment_file, force,
                                                                    announce, after_failure=found.status == "failed")
        config = build_config(namespace, source_now)
    else:
        source_now = source if source is not None else {"file": None, "overrides": {}}
    if found.recorded is not None:
        check_same_config(config, found.recorded, directory.path)
    found.stored = _with_registered_kinds(directory, found)
    if extend:
        if found.recorded is None:
            raise RunDirectoryError(f"{directory.path} has no config.json yet: there is no run to extend")
        config = extended_config(config, extend, found.state, directory.path)
        source_now = record_extension(source_now, comparable(found.recorded), config, found.state)
    resolved = resolve_run(config.validate())  # every name and parameter checked before anything is written
    final = _is_final(config, found.state, found.logbook)
    backend_record = None if final else reconcile_backend(found.runtime, force=force_backend, where=directory.path)

    # everything is checked: from here on, write
    directory.remove_leftovers()
    if found.weight_problems:
        lost = _forget_weights(directory, found.weight_problems)
        source_now = record_change(source_now, f"retrained lost weights from scratch: {', '.join(lost) or INDEX}",
                                   forced=True, exact=False)
    if source_now != source:
        directory.write_experiment(source_now)
    if found.recorded is None or (extend and source_now != source):
        directory.write_config(config)
    if backend_record is not None:
        directory.write_runtime(backend_record)
    if final:
        written = _finish(directory, found.state)
        result = None
        if want_result:
            from evodeap.execution.executors import SerialExecutor

            result = evolve(config, resume=ResumeState(found.state, found.stored, logbook=found.logbook),
                            executor=SerialExecutor(),
                            weights_dir=str(directory.file("weights")), resolved=resolved)
        return Continuation(result, True, written, executed)
    if on_start is not None:
        hooks = on_start(config)
        if hooks:
            on_generation, on_evaluation = hooks
    resume_state = ResumeState(found.state, found.stored, logbook=found.logbook) if found.has_db else None
    result = execute(directory, config, resume_state, on_generation, on_evaluation, executor, resolved)
    return Continuation(result, False, [], executed)


@dataclass
class _OnDisk:
    """What :func:`_inspect` found in a run directory (everything checked)."""

    source: dict[str, Any] | None
    recorded: dict[str, Any] | None
    state: dict[str, Any] | None
    has_db: bool
    stored: list
    weight_problems: dict[str, str]
    status: str | None = None
    runtime: dict[str, Any] | None = None
    logbook: list = field(default_factory=list)  # the database's rows up to the checkpoint's generation


def _with_registered_kinds(directory: RunDirectory, found: "_OnDisk") -> list:
    """The stored evaluations decoded again now that the experiment's layer kinds are
    registered, after checking that every genome of the checkpoint and the database is made
    of registered kinds.

    Raises:
        RunDirectoryError: a genome uses a layer kind nothing registers now.
    """
    from evodeap.genome.genes import UnregisteredGene
    from evodeap.genome.genome import Genome

    def unregistered(genomes) -> set[str]:
        return {g.kind for genome in genomes for g in genome if isinstance(g, UnregisteredGene)}

    members = [m["genome"] for key in ("population", "hall_of_fame") for m in (found.state or {}).get(key, [])]
    missing = unregistered(Genome.from_dict(m, allow_unregistered=True) for m in members)
    stored = found.stored
    if unregistered(genome for _, _, genome, _ in stored):
        with ResultsDB(directory.db_path, check=False, readonly=True) as db:
            stored = list(db.iter_evaluations(allow_unregistered=True))
        missing |= unregistered(genome for _, _, genome, _ in stored)
    if missing:
        raise RunDirectoryError(
            f"{directory.path} holds genomes of layer kind(s) {', '.join(sorted(missing))}, which nothing registers: "
            f"the experiment file no longer registers them (see docs/extending.md), or a file is damaged; "
            f"nothing was changed")
    return stored


def _inspect(directory: RunDirectory) -> _OnDisk:
    """Read and check every file of a run directory, writing nothing.

    Raises:
        RunDirectoryError: a file is damaged, missing where a later stage's file exists,
            or the directory holds no run (with the command that starts one).
    """
    directory.require()
    source = directory.read_experiment()
    recorded = directory.read_config()
    if source is None and recorded is None:
        if any(directory.path.glob("*/seed-*/config.json")):
            raise DamagedFileError(f"{directory.file('study.json')} is missing: {directory.path} holds the sub-runs "
                                   f"of a study; restore study.json (nothing was changed)")
        raise RunDirectoryError(f"{directory.path} holds no run (no experiment.json or config.json); start one with: "
                                f"evodeap run EXPERIMENT.py --out {directory.path}")
    state = directory.load_checkpoint()
    has_db = directory.db_path.exists() or directory.db_path.is_symlink()
    if recorded is None and (has_db or state is not None):
        raise DamagedFileError(f"{directory.file('config.json')} is missing, but the run has a database: "
                               f"restore config.json (nothing was changed)")
    stored: list = []
    status, logbook = None, []
    if has_db:
        check_database(directory.db_path)
        with ResultsDB(directory.db_path, check=False, readonly=True) as db:
            # every row must decode; kinds the experiment file registers are checked once it ran
            stored = list(db.iter_evaluations(allow_unregistered=True))
            recorded_generations = db.generations_recorded()
            status = db.status()
            logbook = db.logbook_rows(state["generation"] if state is not None else -1)
        if state is not None:
            missing = sorted(set(range(state["generation"] + 1)) - recorded_generations)
            if missing:
                raise DamagedFileError(f"{directory.db_path} is corrupt: it lacks the row(s) of generation(s) "
                                       f"{', '.join(map(str, missing))}, which checkpoint.json has completed")
    elif state is not None:
        raise DamagedFileError(f"{directory.db_path} is missing, but checkpoint.json is at generation "
                               f"{state['generation']}: the database holds every evaluation and cannot be rebuilt; "
                               f"restore it (nothing was changed)")
    directory.check_folders()
    return _OnDisk(source, recorded, state, has_db, stored, _weight_problems(directory, source), status,
                   directory.read_runtime(), logbook)


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
    """Continue a stopped run in ``out``; evaluations already stored are reused, not retrained.

    With a deterministic fitness the resumed run ends exactly as an uninterrupted one.
    Without ``config`` this *executes* the recorded experiment file (or
    ``experiment_file``): see :func:`continue_run` for the checks made first.
    ``extend={"generations": N}`` extends a run, finished or not, to N generations (recorded).
    """
    directory = RunDirectory(Path(out))
    directory.require()
    with directory.lock("resume"):
        return continue_run(directory, config, experiment_file=experiment_file, force=force,
                            retrain_lost_weights=retrain_lost_weights, force_backend=force_backend,
                            on_generation=on_generation, on_evaluation=on_evaluation, executor=executor,
                            extend=extend).result
