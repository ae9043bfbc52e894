"""Versions and checks of the JSON files of run and study directories.

Each JSON object evodeap writes into a run directory carries its format number under
``"format"``; a file without one was written before files were versioned and is read as
format 1:

================  =======  ==============================================================
file              format   what changed
================  =======  ==============================================================
config.json       2        ``format`` added; settings added later are filled with their
                           defaults when an older file is read
experiment.json   2        ``format``, ``sources`` (hashes) and ``changes`` added
checkpoint.json   2        ``logbook`` dropped (the results database's ``generations``
                           table is its one copy); format 1 carries it, read and checked
study.json        2        ``format`` added
================  =======  ==============================================================

``results.sqlite`` is versioned by SQLite's ``user_version`` (:mod:`evodeap.results.schema`),
``weights/index.json`` by its own ``format`` (:mod:`evodeap.evaluation.weights`). ``logbook.csv`` is
derived from the database's ``generations`` table, ``hall_of_fame.json`` and ``space.json``
from ``checkpoint.json``; none is read back (their layout is that of the run's ``experiment.json`` format).

Every reader here checks the form of what it reads — types, required keys, decodable
genomes, search spaces and RNG states — and refuses damage with one line that names the
file and the key (:class:`~evodeap.errors.DamagedFileError`); a file from a *newer*
evodeap is refused with the versions. Callables recorded before the package moved
``operators`` and ``models`` under ``evodeap.`` (``operators.mutation.split``) read as
their new names (``evodeap.operators.mutation.split``).
"""
from __future__ import annotations

import json
import math
import re
from numbers import Real
from pathlib import Path
from typing import Any, Mapping

from evodeap.results.columns import current_names
from evodeap.results.layout import check_plan
from evodeap.errors import DamagedFileError, RunDirectoryError
from evodeap.files import CHECKPOINT_FORMAT, CONFIG_FORMAT, EXPERIMENT_FORMAT, STUDY_FORMAT
from evodeap.config.experiment import NAME

CHECKPOINT_KEYS = ("format", "generation", "population", "hall_of_fame", "rng", "space")
_MOVED_PACKAGES = ("operators.", "models.")


def _kind(value: Any) -> str:
    return {dict: "an object", list: "a list", str: "a string", bool: "a boolean", type(None): "null"}.get(
        type(value), "a number" if isinstance(value, (int, float)) else type(value).__name__)


def _fail(path: Path | str, what: str) -> DamagedFileError:
    return DamagedFileError(f"{path} is corrupt: {what}")


def _format_of(data: dict, path: Path | str, current: int) -> int:
    version = data.get("format", 1)
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise _fail(path, f"'format' must be a positive integer, found {version!r}")
    if version > current:
        raise RunDirectoryError(f"{path} was written by a newer evodeap (format {version}; this one reads up "
                                f"to {current}): upgrade evodeap to use this run directory")
    return version


def require_object(data: Any, path: Path | str) -> dict:
    """``data`` if it is a JSON object, else the one-line refusal."""
    if not isinstance(data, dict):
        raise _fail(path, f"expected a JSON object, found {_kind(data)}")
    return data


# -- names ------------------------------------------------------------------------------------------
def current_name(name: str) -> str:
    """A recorded qualified name as it is today (``operators.x.y`` -> ``evodeap.operators.x.y``)."""
    return f"evodeap.{name}" if name.startswith(_MOVED_PACKAGES) else name


def normalize_names(value: Any) -> Any:
    """``value`` with every recorded ``{"callable": name}`` / ``{"class": name}`` renamed by :func:`current_name`."""
    if isinstance(value, dict):
        return {k: (current_name(v) if k in ("callable", "class") and isinstance(v, str) else normalize_names(v))
                for k, v in value.items()}
    if isinstance(value, list):
        return [normalize_names(v) for v in value]
    return value


# -- config.json --------------------------------------------------------------------------------------
def config_defaults() -> dict[str, Any]:
    """Every setting's default value, as ``config.json`` records it."""
    from evodeap.config.settings import ExperimentConfig

    return ExperimentConfig().to_dict()


def stamp_config(data: dict[str, Any]) -> dict[str, Any]:
    """The content of a new ``config.json``: the format, then the settings."""
    return {"format": CONFIG_FORMAT, **data}


def read_config(data: Any, path: Path | str) -> dict[str, Any]:
    """The settings recorded in ``config.json``, as this evodeap would record them.

    The format key is dropped, settings added since the file was written get their
    defaults (they did not exist, so the run ran as with the default), and old callable
    names are renamed (:func:`normalize_names`).
    """
    data = require_object(data, path)
    _format_of(data, path, CONFIG_FORMAT)
    settings = {k: v for k, v in data.items() if k != "format"}
    if "space" in settings and not isinstance(settings["space"], dict):
        raise _fail(path, f"'space' must be an object, found {_kind(settings['space'])}")
    filled = {**{k: v for k, v in config_defaults().items() if k not in settings}, **settings}
    return normalize_names(filled)


def config_differences(current: Mapping[str, Any], recorded: Mapping[str, Any], prefix: str = "") -> list[str]:
    """``key: recorded -> current`` for every (nested) setting that differs, dotted keys, sorted."""
    changes = []
    for key in sorted(set(current) | set(recorded), key=str):
        name = f"{prefix}{key}"
        if key not in recorded:
            changes.append(f"{name}: (not recorded) -> {_short(current[key])}")
        elif key not in current:
            changes.append(f"{name}: {_short(recorded[key])} -> (no longer a setting)")
        elif isinstance(current[key], dict) and isinstance(recorded[key], dict):
            changes += config_differences(current[key], recorded[key], f"{name}.")
        elif _canonical(current[key]) != _canonical(recorded[key]):
            changes.append(f"{name}: {_short(recorded[key])} -> {_short(current[key])}")
    return changes


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True)  # NaN == NaN, 1 == 1.0 stays distinct only by type


def _short(value: Any, width: int = 60) -> str:
    text = json.dumps(value)
    return text if len(text) <= width else text[: width - 1] + "…"


# -- experiment.json ------------------------------------------------------------------------------------
def stamp_experiment(data: dict[str, Any]) -> dict[str, Any]:
    """The content of an ``experiment.json``: the format, then the record."""
    return {"format": EXPERIMENT_FORMAT, **{k: v for k, v in data.items() if k != "format"}}


def read_experiment(data: Any, path: Path | str) -> dict[str, Any]:
    """A checked ``experiment.json`` record (``file``, ``overrides``, optional ``variant``,
    ``seed``, ``sources``, ``changes``, ``extensions``); ``format`` is filled for an old file."""
    data = require_object(data, path)
    version = _format_of(data, path, EXPERIMENT_FORMAT)
    checks = {
        "file": lambda v: v is None or isinstance(v, str),
        "overrides": lambda v: isinstance(v, dict),
        "variant": lambda v: v is None or (isinstance(v, str) and NAME.match(v)),
        "seed": lambda v: v is None or (isinstance(v, int) and not isinstance(v, bool) and v >= 0),
        "sources": lambda v: v is None or _is_sources(v),
        "changes": lambda v: isinstance(v, list) and all(isinstance(c, dict) for c in v),
        "extensions": lambda v: isinstance(v, list) and all(isinstance(c, dict) for c in v),
    }
    expected = {"file": "a path or null", "overrides": "an object", "variant": "a variant name or null",
                "seed": "an integer >= 0 or null", "sources": "an object of hashes", "changes": "a list of objects",
                "extensions": "a list of objects"}
    for key, ok in checks.items():
        if key in data and not ok(data[key]):
            raise _fail(path, f"'{key}' must be {expected[key]}, found {_short(data[key])}")
    if "file" not in data:
        raise _fail(path, "'file' is missing")
    return {**data, "format": version, "overrides": data.get("overrides", {})}


def _is_sources(value: Any) -> bool:
    if not isinstance(value, dict) or not isinstance(value.get("sha256"), str):
        return False
    modules = value.get("modules", {})
    return isinstance(modules, dict) and all(
        isinstance(m, dict) and isinstance(m.get("path"), str) and isinstance(m.get("sha256"), str)
        for m in modules.values())


# -- checkpoint.json -----------------------------------------------------------------------------------
def read_checkpoint(state: Any, path: Path | str) -> dict[str, Any]:
    """A checked engine checkpoint: every key the engine restores has the right form.

    Genomes must decode, the search space must load, both RNG states must be accepted by
    NumPy's PCG64; a format-1 checkpoint's logbook must have one row per completed
    generation (it is not used when the database has the rows, see ``docs/runs.md``). Keys this
    module does not know are passed through (their owners check them).
    """
    state = require_object(state, path)
    version = _format_of(state, path, CHECKPOINT_FORMAT)
    required = CHECKPOINT_KEYS + (("logbook",) if version == 1 else ())
    missing = [k for k in required if k not in state]
    if missing:
        raise _fail(path, f"missing engine state {', '.join(repr(k) for k in missing)}")
    generation = state["generation"]
    if isinstance(generation, bool) or not isinstance(generation, int) or generation < 0:
        raise _fail(path, f"'generation' must be an integer >= 0, found {_short(generation)}")
    population = state["population"]
    if not isinstance(population, list):
        raise _fail(path, f"'population' must be a list, found {_kind(population)}")
    if not population:
        raise _fail(path, "'population' is empty")
    for i, item in enumerate(population):
        _check_member(item, f"population[{i}]", path, fitness_required=False)
    if not isinstance(state["hall_of_fame"], list):
        raise _fail(path, f"'hall_of_fame' must be a list, found {_kind(state['hall_of_fame'])}")
    for i, item in enumerate(state["hall_of_fame"]):
        _check_member(item, f"hall_of_fame[{i}]", path, fitness_required=True)
    if version == 1:  # format 2 keeps the logbook only in the database
        _check_old_logbook(state, generation, path)
    _check_rng(state["rng"], path)
    _check_space(state["space"], "space", path)
    for key in ("mu", "beta", "elapsed"):
        value = state.get(key)
        if value is not None and (isinstance(value, bool) or not isinstance(value, Real)):
            raise _fail(path, f"'{key}' must be a number or null, found {_short(value)}")
    if not isinstance(state.get("schedules", {}), dict):
        raise _fail(path, "'schedules' must be an object")
    refinements = state.get("refinements", [])
    if not isinstance(refinements, list) or not all(
            isinstance(r, dict) and isinstance(r.get("generation"), int) and isinstance(r.get("changes"), dict)
            for r in refinements):
        raise _fail(path, "'refinements' must be a list of {generation, changes} objects")
    return state


def _check_old_logbook(state: dict[str, Any], generation: int, path: Path | str) -> None:
    logbook = state["logbook"]
    if not isinstance(logbook, list) or not all(isinstance(row, dict) for row in logbook):
        raise _fail(path, "'logbook' must be a list of objects")
    if len(logbook) != generation + 1 or current_names(logbook[-1]).get("generation") != generation:
        raise _fail(path, f"'logbook' has {len(logbook)} rows for generation {generation} (expected {generation + 1})")


def stamp_checkpoint(state: dict[str, Any]) -> dict[str, Any]:
    """The engine state (:mod:`evodeap.engine.state`) as ``checkpoint.json``: with its format number."""
    return {"format": CHECKPOINT_FORMAT, **{k: v for k, v in state.items() if k != "format"}}


def _check_member(item: Any, where: str, path: Path | str, fitness_required: bool) -> None:
    from evodeap.errors import EvodeapError
    from evodeap.genome.genome import Genome

    if not isinstance(item, dict) or not isinstance(item.get("genome"), dict):
        raise _fail(path, f"'{where}' must be an object with a 'genome' object")
    try:  # checked before the experiment file (which may register its layer kinds) runs
        Genome.from_dict(item["genome"], allow_unregistered=True)
    except (EvodeapError, KeyError, TypeError, ValueError, AttributeError) as exc:
        raise _fail(path, f"'{where}.genome' does not decode: {exc}") from None
    fitness = item.get("fitness")
    if fitness is None and not fitness_required:
        return
    if not isinstance(fitness, list) or not fitness or not all(
            isinstance(v, Real) and not isinstance(v, bool) and not math.isnan(v) for v in fitness):
        raise _fail(path, f"'{where}.fitness' must be a non-empty list of numbers, found {_short(fitness)}")


def _check_rng(rng: Any, path: Path | str) -> None:
    import numpy as np

    if not isinstance(rng, dict):
        raise _fail(path, f"'rng' must be an object, found {_kind(rng)}")
    for stream in ("init", "variation"):
        if stream not in rng:
            raise _fail(path, f"'rng.{stream}' is missing")
        try:
            np.random.default_rng(0).bit_generator.state = rng[stream]
        except (TypeError, ValueError, KeyError, OverflowError) as exc:
            detail = f"missing {exc}" if isinstance(exc, KeyError) else str(exc)
            raise _fail(path, f"'rng.{stream}' is not a NumPy PCG64 state ({detail})") from None


def _check_space(data: Any, where: str, path: Path | str) -> None:
    from evodeap.errors import EvodeapError
    from evodeap.genome.space import check_space_dict

    if not isinstance(data, dict):
        raise _fail(path, f"'{where}' must be an object, found {_kind(data)}")
    try:  # checked before the experiment file (which may register its kinds and family) runs
        check_space_dict(data, allow_unregistered=True)
    except (EvodeapError, KeyError, TypeError, ValueError, AttributeError) as exc:
        raise _fail(path, f"'{where}' is not a valid search space: {exc}") from None


# -- study.json ----------------------------------------------------------------------------------------
def stamp_study(data: dict[str, Any]) -> dict[str, Any]:
    return {"format": STUDY_FORMAT, **data}


def read_study(data: Any, path: Path | str) -> dict[str, Any]:
    """A checked ``study.json``: variant names safe as folder names, seeds, experiment record."""
    data = require_object(data, path)
    _format_of(data, path, STUDY_FORMAT)
    if "variants" not in data or "seeds" not in data:
        raise _fail(path, "missing variants or seeds")
    variants = data["variants"]
    check_plan(variants, data["seeds"], path)
    if "experiment" in data:
        read_experiment(data["experiment"], f"{path} ('experiment')")
    if data.get("reference") is not None and data["reference"] not in variants:
        raise _fail(path, f"'reference' {data['reference']!r} is not one of the variants")
    reports = data.get("reports", [])
    if not isinstance(reports, list) or not all(isinstance(r, str) for r in reports):
        raise _fail(path, "'reports' must be a list of report names")
    return data
