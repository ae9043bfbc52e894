"""Reading and checking an existing run directory, writing nothing: what it records, which
experiment file to execute, and the state to resume from.

:func:`inspect_run` reads and checks every file of a run directory (experiment record,
``config.json``, checkpoint, database, weights, runtime) before any code runs;
:func:`load_recorded_experiment` checks the recorded experiment file's hash, then executes
it; :func:`check_same_config` refuses an experiment that no longer describes the recorded
configuration. :mod:`evodeap.runs.lifecycle` writes; this module only reads.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from evodeap.config.experiment import load_experiment
from evodeap.config.settings import ExperimentConfig, comparable
from evodeap.errors import DamagedFileError, RunDirectoryError
from evodeap.evaluation.weights import INDEX, WeightFileError
from evodeap.results.schema import check_database
from evodeap.results.storage import ResultsDB
from evodeap.engine.restorable import check_restorable
from evodeap.runs import checkpoints, formats
from evodeap.runs.provenance import changed_sources, describe_sources, experiment_file_to_run, record_change
from evodeap.runs.rundir import RunDirectory

__all__ = ["RETRAIN_FLAG", "RunOnDisk", "check_checkpoint_fits", "check_same_config", "described_config", "inspect_run", "is_final",
           "load_recorded_experiment", "weight_problems", "weights_refusal", "with_registered_kinds"]

#: the ``evodeap resume`` flag that trains models whose weight files are lost from scratch
RETRAIN_FLAG = "--retrain-lost-weights"


def check_same_config(config: ExperimentConfig, recorded: dict, where: Path) -> None:
    """Refuse ``config`` unless it is the one ``recorded`` (an upgraded ``config.json``), naming every changed key."""
    changed = formats.config_differences(described_config(config), comparable(recorded))
    if changed:
        raise RunDirectoryError(f"the experiment no longer matches {where}/config.json (changed: {'; '.join(changed)})")


def described_config(config: ExperimentConfig) -> dict[str, Any]:
    """``config`` as ``config.json`` records it, in the form :func:`evodeap.config.settings.comparable` compares."""
    return comparable(formats.normalize_names(json.loads(json.dumps(config.to_dict()))))


def is_final(config: ExperimentConfig, state: dict[str, Any] | None, logbook: list[dict]) -> bool:
    """True when the checkpoint is the run's last: all generations done, or the compute budget spent."""
    if state is None:
        return False
    if state["generation"] >= config.generations:
        return True
    budget = config.compute_budget
    return budget is not None and bool(logbook) and (logbook[-1].get("train_flops_total") or 0) >= budget


def weights_refusal(directory: RunDirectory, problems: dict[str, str]) -> WeightFileError:
    """The one-line refusal of a run whose weight files ``problems`` (name -> problem) are damaged or missing."""
    listed = "; ".join(f"{name}: {problem}" for name, problem in problems.items())
    return WeightFileError(
        f"{len(problems)} weight file(s) in {directory.file('weights')} are damaged or missing: {listed}. "
        f"Nothing was changed. To go on, training those models again from scratch (recorded: the run is then no "
        f"longer an exact continuation): evodeap resume {directory.path} {RETRAIN_FLAG}", list(problems))


def weight_problems(directory: RunDirectory, source: dict[str, Any] | None) -> dict[str, str]:
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


@dataclass
class RunOnDisk:
    """What :func:`inspect_run` found in a run directory (everything checked)."""

    source: dict[str, Any] | None
    recorded: dict[str, Any] | None
    state: dict[str, Any] | None
    has_db: bool
    stored: list
    weight_problems: dict[str, str]
    status: str | None = None
    runtime: dict[str, Any] | None = None
    logbook: list = field(default_factory=list)  # the database's rows up to the checkpoint's generation


def check_checkpoint_fits(directory: RunDirectory, plan: Any, found: RunOnDisk) -> None:
    """Refuse a checkpoint written for another run (run id, seed, configuration:
    :func:`evodeap.runs.checkpoints.check_binding`) or that does not fit the run's plan (its
    population size, its number of objectives, a state the engine cannot restore:
    :func:`evodeap.engine.restorable.check_restorable`), and stored evaluations whose fitness has
    another number of values than the fitness's objectives."""
    stored = {len(result.fitness) for _, _, _, result in found.stored} - {plan.objectives.n}
    if stored:
        raise DamagedFileError(f"{directory.db_path} is corrupt: its evaluations have {stored.pop()} fitness value(s); "
                               f"the fitness has {plan.objectives.n} objective(s)")
    state = found.state
    if state is None:
        return
    if found.recorded is not None:
        checkpoints.check_binding(state, comparable(found.recorded), found.source, directory.file("checkpoint.json"))
    try:
        check_restorable(plan, state)
    except ValueError as exc:
        raise DamagedFileError(f"{directory.file('checkpoint.json')} is corrupt: {exc}; nothing was changed") from None


def with_registered_kinds(directory: RunDirectory, found: RunOnDisk) -> list:
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


def inspect_run(directory: RunDirectory) -> RunOnDisk:
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
    return RunOnDisk(source, recorded, state, has_db, stored, weight_problems(directory, source), status,
                   directory.read_runtime(), logbook)
