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
checkpoint.json   3        ``run`` added: the run, seed and configuration it belongs to
                           (:mod:`evodeap.runs.checkpoints`); 2: ``logbook`` dropped (the
                           results database's ``generations`` table is its one copy);
                           format 1 carries it, read and checked
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
import re
from pathlib import Path
from typing import Any, Mapping

from evodeap.results.layout import check_plan
from evodeap.errors import DamagedFileError, RunDirectoryError
from evodeap.files import CONFIG_FORMAT, EXPERIMENT_FORMAT, STUDY_FORMAT
from evodeap.config.experiment import NAME

#: settings ``evodeap resume DIR --set`` may change: those that extend a run (:mod:`evodeap.runs.extension`)
EXTENDABLE = frozenset({"generations"})
#: a run's id (``experiment.json``'s ``run_id``, and the ``run`` of its checkpoints)
RUN_ID = re.compile(r"[0-9a-f]{16}")
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
        "file": lambda v: v is None or (isinstance(v, str) and v.startswith("/")),
        "run_id": lambda v: isinstance(v, str) and RUN_ID.fullmatch(v) is not None,
        "overrides": lambda v: isinstance(v, dict),
        "variant": lambda v: v is None or (isinstance(v, str) and NAME.match(v)),
        "seed": lambda v: v is None or (isinstance(v, int) and not isinstance(v, bool) and v >= 0),
        "sources": lambda v: v is None or _is_sources(v),
        "changes": lambda v: isinstance(v, list) and all(isinstance(c, dict) for c in v),
        "extensions": lambda v: isinstance(v, list) and all(isinstance(c, dict) for c in v),
    }
    expected = {"file": "a path or null (an absolute one: a relative path would be read against the current folder)",
                "run_id": "16 hexadecimal digits", "overrides": "an object", "variant": "a variant name or null",
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
        isinstance(m, dict) and isinstance(m.get("path"), str) and m["path"].startswith("/")
        and isinstance(m.get("sha256"), str)
        for m in modules.values())


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
