"""Studies: every variant × seed of an experiment, each in its own sub-run of one directory.

An experiment file may declare, beside ``CONFIG``::

    VARIANTS = {                                  # named config changes
        "beta0": {"selection_params.beta": 0.0},  # --set-style overrides ...
        "aging": lambda c: dataclasses.replace(c, survival="aging"),   # ... or a function
    }
    SEEDS = [0, 1, 2, 3, 4]                        # every arm runs on the same seeds
    REFERENCE = "beta5"                            # optional: the arm others are tested against
    REPORTS = ["paper"]                            # optional: extra reports (evodeap.paper.report)
    FACTORS = {"beta0": {"beta": "0"}, ...}        # optional: each variant's factor levels (evodeap.studies.factorial)

``evodeap run FILE --out DIR`` then writes ``DIR/study.json`` and one ordinary run
directory per arm and seed, ``DIR/<variant>/seed-<seed>/``. ``evodeap resume DIR``
finishes what is missing (complete sub-runs are skipped, interrupted ones resumed), and
``evodeap report DIR`` writes the comparison (:mod:`evodeap.studies.report`).

The study directory has its own lock, and each sub-run its own (:mod:`evodeap.runs.lock`);
``study.json`` is versioned and checked like a run's files (:mod:`evodeap.runs.formats`), and
its ``experiment`` record holds the experiment file's hashes (:mod:`evodeap.runs.provenance`):
a forced change on resume is recorded there.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Mapping

from evodeap.runs import formats
from evodeap.config.settings import ExperimentConfig
from evodeap.errors import ConfigError, RunDirectoryError, UserCodeError
from evodeap.config.experiment import BASELINE, base_config, build_config, check_factors, is_study, study_plan, study_record
from evodeap.files import read_json, write_json
from evodeap.runs.lock import LOCK_NAME, RunLock
from evodeap.config.resolve import plan_run
from evodeap.runs.inspection import load_recorded_experiment
from evodeap.runs.lifecycle import continue_run, execute
from evodeap.runs.rundir import RunDirectory
from evodeap.studies.pool import SharedExecutors

STUDY = "study.json"


@dataclass(frozen=True)
class Arm:
    """One sub-run of a study."""

    variant: str
    seed: int
    path: Path


def arms(directory: str | Path) -> list[Arm]:
    """Every (variant, seed) sub-run of a study directory, in plan order."""
    directory = Path(directory)
    info = read_study(directory)
    return [Arm(v, s, directory / v / f"seed-{s}") for v in info["variants"] for s in info["seeds"]]


def read_study(directory: Path) -> dict[str, Any]:
    """The checked ``study.json`` of a study directory (:func:`evodeap.runs.formats.read_study`)."""
    path = Path(directory) / STUDY
    try:
        info = read_json(directory, STUDY)
    except FileNotFoundError:
        raise RunDirectoryError(f"{directory} is not a study directory (no study.json)") from None
    return formats.read_study(info, path)


def is_study_directory(directory: str | Path) -> bool:
    path = Path(directory) / STUDY
    return path.exists() or path.is_symlink()


def sub_run_source(experiment: dict[str, Any], variant: str, seed: int) -> dict[str, Any]:
    """The ``experiment.json`` record of one sub-run."""
    return {**experiment, "variant": variant, "seed": seed}


def run_study(namespace: Mapping[str, Any], out: str | Path, experiment: dict[str, Any],
              seed_override: int | list[int] | None = None, on_arm_start: Callable[[Arm, ExperimentConfig], Any] | None = None,
              on_arm_done: Callable[[Arm, Any], None] | None = None, resume: bool = False,
              extend: Mapping[str, Any] | None = None, force_backend: bool = False) -> list[Arm]:
    """Run (or, with ``resume``, finish) every variant × seed; returns the arms.

    ``on_arm_start(arm, config)`` may return ``(on_generation, on_evaluation)`` hooks. The
    study directory's lock is held throughout, and each sub-run's while it runs.
    ``extend`` (with ``resume``; only ``{"generations": N}``) extends every sub-run: recorded
    in ``study.json`` (its experiment's ``overrides`` and ``extensions``) and in each
    sub-run (:func:`evodeap.runs.extension.record_extension`); refused before anything is written
    when a sub-run has already run more generations. On resume, a sub-run recorded on another
    Keras backend — complete or not: the arms are compared with each other — refuses the
    whole study before any sub-run trains, unless ``force_backend``.
    """
    out = Path(out)
    extend = dict(extend or {})
    if extend and not resume:
        raise ConfigError("extend needs resume=True: only an existing study can be extended")
    if not resume:
        variants, seeds = study_plan(namespace, seed_override)
        configs = {(v, s): build_config(namespace, sub_run_source(experiment, v, s)) for v in variants for s in seeds}
        for config in configs.values():  # every arm's names and parameters, before anything is written
            plan_run(config)  # each arm is planned again as it starts: its fitness object is its own
        RunDirectory(out).make()
    with RunLock(out, "resume" if resume else "run"):
        extended = experiment
        if resume:
            info = read_study(out)
            variants, seeds = info["variants"], info["seeds"]
            _check_backends(out, variants, seeds, force_backend)
            if extend:
                extended = _extend_study(namespace, out, info, experiment, extend)
        else:
            if any(p.name != LOCK_NAME for p in out.iterdir()):
                hint = f"; continue it with 'evodeap resume {out}'" if is_study_directory(out) else ""
                raise RunDirectoryError(f"{out} exists and is not empty{hint}")
            write_json(out, STUDY, formats.stamp_study({
                "name": base_config(namespace).name, "experiment": experiment, "variants": variants, "seeds": seeds,
                **study_record(namespace, variants),
            }))
        done: list[Arm] = []
        try:
            _run_arms(namespace, out, experiment, variants, seeds, on_arm_start, on_arm_done, done, resume,
                      extend, extended, force_backend)
        except UserCodeError as exc:  # the study, not just the arm, is what to resume
            exc.hint = f"everything finished is saved: fix it, then resume the study with: evodeap resume {out}"
            raise
    return done


def _check_arms(out: Path, variants: list, seeds: list) -> None:
    """Read and check every file of every started sub-run (:func:`evodeap.runs.inspection.inspect_run`),
    writing nothing: a damaged sub-run refuses the study before its experiment file runs or any
    file of the study is written."""
    from evodeap.runs.inspection import inspect_run

    for variant in variants:
        for seed in seeds:
            directory = RunDirectory(out / variant / f"seed-{seed}")
            if directory.holds_run():
                inspect_run(directory)


def check_sub_run_databases(out: str | Path) -> None:
    """Check the database of every started sub-run and decode each of its rows, writing nothing:
    what a study report does first, so a damaged sub-run refuses it before any file is written."""
    from evodeap.results.storage import ResultsDB

    for arm in arms(out):
        path = arm.path / "results.sqlite"
        if path.exists() or path.is_symlink():
            with ResultsDB(path, readonly=True) as db:
                for _ in db.iter_evaluations(allow_unregistered=True):
                    pass
                db.generations_recorded()


def _check_backends(out: Path, variants: list, seeds: list, force_backend: bool) -> None:
    """Refuse (one line) when a started sub-run was trained on another Keras backend, unless forced."""
    for variant in variants:
        for seed in seeds:
            directory = RunDirectory(out / variant / f"seed-{seed}")
            if directory.holds_run():
                directory.check_backend(force_backend)


def _extend_study(namespace: Mapping[str, Any], out: Path, info: dict[str, Any], experiment: dict[str, Any],
                  extend: dict[str, Any]) -> dict[str, Any]:
    """Check that every existing sub-run can be extended by ``extend``, then record the
    extension in ``study.json``; returns the extended experiment record."""
    import time

    from evodeap.runs.extension import extended_config

    for variant in info["variants"]:  # refuse before anything is written
        for seed in info["seeds"]:
            directory = RunDirectory(out / variant / f"seed-{seed}")
            if directory.holds_run():
                config = build_config(namespace, sub_run_source(experiment, variant, seed))
                plan_run(extended_config(config, extend, directory.load_checkpoint(), directory.path))
    extended = {**experiment, "overrides": {**experiment.get("overrides", {}), **extend}}
    entry = {"at": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "changes": dict(extend)}
    write_json(out, STUDY, formats.stamp_study({**info, "experiment": extended,
                                                "extensions": [*info.get("extensions", []), entry]}))
    return extended


def _run_arms(namespace: Mapping[str, Any], out: Path, experiment: dict[str, Any], variants: list, seeds: list,
              on_arm_start: Callable | None, on_arm_done: Callable | None, done: list, resume: bool,
              extend: dict[str, Any] | None = None, extended: dict[str, Any] | None = None,
              force_backend: bool = False) -> None:
    """Run or continue each arm in turn under its own lock, appending the finished ones to ``done``.

    With ``extend``, an existing sub-run is continued from its recorded ``experiment`` and
    extended; a sub-run not started yet starts from the ``extended`` record."""
    with SharedExecutors() as pool:  # one worker pool for every sub-run (evodeap.studies.pool)
        for variant in variants:
            for seed in seeds:
                _run_arm(namespace, Arm(variant, seed, out / variant / f"seed-{seed}"), experiment, pool,
                         on_arm_start, on_arm_done, done, resume, extend, extended, force_backend)


def _run_arm(namespace: Mapping[str, Any], arm: Arm, experiment: dict[str, Any], pool: SharedExecutors,
             on_arm_start: Callable | None, on_arm_done: Callable | None, done: list, resume: bool,
             extend: dict[str, Any] | None, extended: dict[str, Any] | None, force_backend: bool) -> None:
    """Run or continue one arm under its own lock (see :func:`_run_arms`)."""
    variant, seed = arm.variant, arm.seed
    directory = RunDirectory(arm.path)
    exists = directory.holds_run()
    source = sub_run_source(experiment if exists or not extend else extended, variant, seed)
    config = build_config(namespace, source)
    hooks = on_arm_start(arm, config.with_overrides(extend) if extend else config) if on_arm_start else None
    on_generation, on_evaluation = hooks if hooks else (None, None)
    directory.make()
    with directory.lock("resume" if resume else "run"):
        executor = pool.for_config(config.with_overrides(extend) if extend else config)
        if directory.holds_run():
            outcome = continue_run(directory, config, want_result=False, on_generation=on_generation,
                                   on_evaluation=on_evaluation, extend=extend,
                                   force_backend=force_backend, executor=executor)
            if outcome.already_complete:
                done.append(arm)
                return
            result = outcome.result
        else:
            directory.create(config, source)
            result = execute(directory, config, None, on_generation, on_evaluation, executor)
    if on_arm_done:
        on_arm_done(arm, result)
    done.append(arm)


def _stopped_by_user_code(out: Path) -> bool:
    """True when a sub-run's status is ``failed``: the study stopped because its code broke the contract."""
    from evodeap.results.schema import check_database
    from evodeap.results.storage import ResultsDB

    for arm in arms(out):
        if (arm.path / "results.sqlite").is_file():
            check_database(arm.path / "results.sqlite", thorough=False)
            with ResultsDB(arm.path / "results.sqlite", check=False, readonly=True) as db:
                if db.status() == "failed":
                    return True
    return False


def resume_study(out: str | Path, *, experiment_file: str | Path | None = None, force: bool = False,
                 announce: Callable[[Path], None] | None = None, extend: Mapping[str, Any] | None = None,
                 force_backend: bool = False,
                 **hooks: Any) -> list[Arm]:
    """Finish a study directory: the experiment file is checked (hashes) before it is executed,
    a forced change is recorded in ``study.json``, then :func:`run_study` resumes every arm
    (extending each by ``extend``, e.g. ``{"generations": N}``)."""
    out = Path(out)
    with RunLock(out, "resume"):
        info = read_study(out)
        if "experiment" not in info:
            raise RunDirectoryError(f"{out / STUDY} records no experiment file; it cannot be resumed from the command line")
        _check_arms(out, info["variants"], info["seeds"])  # every sub-run's files, before its code runs
        _check_backends(out, info["variants"], info["seeds"], force_backend)
        namespace, _, experiment = load_recorded_experiment(RunDirectory(out), info["experiment"], experiment_file,
                                                             force, announce, where=STUDY,
                                                             after_failure=_stopped_by_user_code(out))
        if experiment != info["experiment"]:
            write_json(out, STUDY, formats.stamp_study({**info, "experiment": experiment}))
        return run_study(namespace, out, info["experiment"], on_arm_start=hooks.get("on_arm_start"),
                         on_arm_done=hooks.get("on_arm_done"), resume=True, extend=extend,
                         force_backend=force_backend)
