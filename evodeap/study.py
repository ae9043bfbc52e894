"""Studies: every variant × seed of an experiment, each in its own sub-run of one directory.

An experiment file may declare, beside ``CONFIG``::

    VARIANTS = {                                  # named config changes
        "beta0": {"selection_params.beta": 0.0},  # --set-style overrides ...
        "aging": lambda c: dataclasses.replace(c, survival="aging"),   # ... or a function
    }
    SEEDS = [0, 1, 2, 3, 4]                        # every arm runs on the same seeds
    REFERENCE = "beta5"                            # optional: the arm others are tested against
    REPORTS = ["paper"]                            # optional: extra reports (evodeap.paper_report)

``evodeap run FILE --out DIR`` then writes ``DIR/study.json`` and one ordinary run
directory per arm and seed, ``DIR/<variant>/seed-<seed>/``. ``evodeap resume DIR``
finishes what is missing (complete sub-runs are skipped, interrupted ones resumed), and
``evodeap report DIR`` writes the comparison (:mod:`evodeap.study_report`).

The study directory has its own lock, and each sub-run its own (:mod:`evodeap.lock`);
``study.json`` is versioned and checked like a run's files (:mod:`evodeap.formats`), and
its ``experiment`` record holds the experiment file's hashes (:mod:`evodeap.provenance`):
a forced change on resume is recorded there.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Mapping

from evodeap import formats
from evodeap.config import ExperimentConfig
from evodeap.errors import ConfigError, RunDirectoryError, UserCodeError
from evodeap.experiment import BASELINE, build_config
from evodeap.files import read_bytes, write_json
from evodeap.formats import NAME
from evodeap.lock import LOCK_NAME, RunLock
from evodeap.resolve import resolve_run
from evodeap.run import RunDirectory, continue_run, execute, load_recorded_experiment

STUDY = "study.json"


@dataclass(frozen=True)
class Arm:
    """One sub-run of a study."""

    variant: str
    seed: int
    path: Path


def is_study(namespace: Mapping[str, Any]) -> bool:
    return "VARIANTS" in namespace or "SEEDS" in namespace


def study_plan(namespace: Mapping[str, Any], seed_override: int | None = None) -> tuple[list[str], list[int]]:
    """Variant names and seeds of an experiment namespace (validated)."""
    variants = namespace.get("VARIANTS", {BASELINE: {}})
    if not isinstance(variants, Mapping) or not variants:
        raise ConfigError("VARIANTS must be a non-empty dict of name -> overrides or function")
    for name, change in variants.items():
        if not isinstance(name, str) or not NAME.match(name):
            raise ConfigError(f"variant name {name!r} must be letters, digits, '_', '.', '+', '-'")
        if not (isinstance(change, Mapping) or callable(change)):
            raise ConfigError(f"variant {name!r} must be a dict of overrides or a function, got {change!r}")
    seeds = [seed_override] if seed_override is not None else list(namespace.get("SEEDS", [namespace["CONFIG"].seed]))
    if not seeds or not all(isinstance(s, int) and not isinstance(s, bool) and s >= 0 for s in seeds):
        raise ConfigError(f"SEEDS must be a non-empty list of integers >= 0, got {seeds!r}")
    if len(set(seeds)) != len(seeds):
        raise ConfigError(f"SEEDS has duplicates: {seeds}")
    reference = namespace.get("REFERENCE")
    if reference is not None and reference not in variants:
        raise ConfigError(f"REFERENCE {reference!r} is not a variant; variants: {', '.join(variants)}")
    return list(variants), seeds


def arms(directory: str | Path) -> list[Arm]:
    """Every (variant, seed) sub-run of a study directory, in plan order."""
    directory = Path(directory)
    info = read_study(directory)
    return [Arm(v, s, directory / v / f"seed-{s}") for v in info["variants"] for s in info["seeds"]]


def read_study(directory: Path) -> dict[str, Any]:
    """The checked ``study.json`` of a study directory (:func:`evodeap.formats.read_study`)."""
    from evodeap.errors import DamagedFileError

    path = Path(directory) / STUDY
    try:
        info = json.loads(read_bytes(directory, STUDY))
    except FileNotFoundError:
        raise RunDirectoryError(f"{directory} is not a study directory (no study.json)") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise DamagedFileError(f"{path} is corrupt: {exc}") from None
    return formats.read_study(info, path)


def is_study_directory(directory: str | Path) -> bool:
    path = Path(directory) / STUDY
    return path.exists() or path.is_symlink()


def sub_run_source(experiment: dict[str, Any], variant: str, seed: int) -> dict[str, Any]:
    """The ``experiment.json`` record of one sub-run."""
    return {**experiment, "variant": variant, "seed": seed}


def run_study(namespace: Mapping[str, Any], out: str | Path, experiment: dict[str, Any],
              seed_override: int | None = None, on_arm_start: Callable[[Arm, ExperimentConfig], Any] | None = None,
              on_arm_done: Callable[[Arm, Any], None] | None = None, resume: bool = False) -> list[Arm]:
    """Run (or, with ``resume``, finish) every variant × seed; returns the arms.

    ``on_arm_start(arm, config)`` may return ``(on_generation, on_evaluation)`` hooks. The
    study directory's lock is held throughout, and each sub-run's while it runs.
    """
    out = Path(out)
    if not resume:
        variants, seeds = study_plan(namespace, seed_override)
        configs = {(v, s): build_config(namespace, sub_run_source(experiment, v, s)) for v in variants for s in seeds}
        for config in configs.values():  # every arm's names and parameters, before anything is written
            resolve_run(config.validate())
        RunDirectory(out).make()
    with RunLock(out, "resume" if resume else "run"):
        if resume:
            info = read_study(out)
            variants, seeds = info["variants"], info["seeds"]
        else:
            if any(p.name != LOCK_NAME for p in out.iterdir()):
                hint = f"; continue it with 'evodeap resume {out}'" if is_study_directory(out) else ""
                raise RunDirectoryError(f"{out} exists and is not empty{hint}")
            write_json(out, STUDY, formats.stamp_study({
                "name": namespace["CONFIG"].name, "experiment": experiment, "variants": variants, "seeds": seeds,
                "reference": namespace.get("REFERENCE", variants[0]),
                "reports": list(namespace.get("REPORTS", [])),
            }))
        done: list[Arm] = []
        try:
            _run_arms(namespace, out, experiment, variants, seeds, on_arm_start, on_arm_done, done, resume)
        except UserCodeError as exc:  # the study, not just the arm, is what to resume
            exc.hint = f"everything finished is saved: fix it, then resume the study with: evodeap resume {out}"
            raise
    return done


def _run_arms(namespace: Mapping[str, Any], out: Path, experiment: dict[str, Any], variants: list, seeds: list,
              on_arm_start: Callable | None, on_arm_done: Callable | None, done: list, resume: bool) -> None:
    """Run or continue each arm in turn under its own lock, appending the finished ones to ``done``."""
    for variant in variants:
        for seed in seeds:
            arm = Arm(variant, seed, out / variant / f"seed-{seed}")
            source = sub_run_source(experiment, variant, seed)
            config = build_config(namespace, source).validate()
            directory = RunDirectory(arm.path)
            hooks = on_arm_start(arm, config) if on_arm_start else None
            on_generation, on_evaluation = hooks if hooks else (None, None)
            directory.make()
            with directory.lock("resume" if resume else "run"):
                if directory.holds_run():
                    outcome = continue_run(directory, config, want_result=False, on_generation=on_generation,
                                           on_evaluation=on_evaluation)
                    if outcome.already_complete:
                        done.append(arm)
                        continue
                    result = outcome.result
                else:
                    directory.create(config, source)
                    result = execute(directory, config, None, on_generation, on_evaluation, None)
            if on_arm_done:
                on_arm_done(arm, result)
            done.append(arm)


def _stopped_by_user_code(out: Path) -> bool:
    """True when a sub-run's status is ``failed``: the study stopped because its code broke the contract."""
    from evodeap.storage import ResultsDB, check_database

    for arm in arms(out):
        if (arm.path / "results.sqlite").is_file():
            check_database(arm.path / "results.sqlite", thorough=False)
            with ResultsDB(arm.path / "results.sqlite", check=False, readonly=True) as db:
                if db.status() == "failed":
                    return True
    return False


def resume_study(out: str | Path, *, experiment_file: str | Path | None = None, force: bool = False,
                 announce: Callable[[Path], None] | None = None, **hooks: Any) -> list[Arm]:
    """Finish a study directory: the experiment file is checked (hashes) before it is executed,
    a forced change is recorded in ``study.json``, then :func:`run_study` resumes every arm."""
    out = Path(out)
    with RunLock(out, "resume"):
        info = read_study(out)
        if "experiment" not in info:
            raise RunDirectoryError(f"{out / STUDY} records no experiment file; it cannot be resumed from the command line")
        namespace, _, experiment = load_recorded_experiment(RunDirectory(out), info["experiment"], experiment_file,
                                                             force, announce, where=STUDY,
                                                             after_failure=_stopped_by_user_code(out))
        if experiment != info["experiment"]:
            write_json(out, STUDY, formats.stamp_study({**info, "experiment": experiment}))
        return run_study(namespace, out, info["experiment"], on_arm_start=hooks.get("on_arm_start"),
                         on_arm_done=hooks.get("on_arm_done"), resume=True)
