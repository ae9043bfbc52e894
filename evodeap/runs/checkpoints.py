"""``checkpoint.json``: its checks, and the run it belongs to.

:func:`read_checkpoint` checks the form of every key the engine restores (see
:mod:`evodeap.runs.formats` for the conventions: one line naming the file and the key,
:class:`~evodeap.errors.DamagedFileError`). Since format 3 a checkpoint carries ``run``:
the id of its run (``experiment.json``'s ``run_id``), its seed and :func:`config_digest`
of its configuration; :func:`check_binding` refuses a checkpoint copied from another run,
another seed or another configuration, so a resume never continues a hybrid.
"""
from __future__ import annotations

import json
import math
import re
from numbers import Real
from pathlib import Path
from typing import Any, Mapping

from evodeap.errors import DamagedFileError
from evodeap.files import CHECKPOINT_FORMAT
from evodeap.results.columns import current_names
from evodeap.runs.formats import EXTENDABLE, RUN_ID, _fail, _format_of, _kind, _short, require_object

CHECKPOINT_KEYS = ("format", "generation", "population", "hall_of_fame", "rng", "space")


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
    _check_engine_extras(state, path)
    if version >= 3:
        _check_run(state.get("run"), path)
    return state


def _check_old_logbook(state: dict[str, Any], generation: int, path: Path | str) -> None:
    logbook = state["logbook"]
    if not isinstance(logbook, list) or not all(isinstance(row, dict) for row in logbook):
        raise _fail(path, "'logbook' must be a list of objects")
    if len(logbook) != generation + 1 or current_names(logbook[-1]).get("generation") != generation:
        raise _fail(path, f"'logbook' has {len(logbook)} rows for generation {generation} (expected {generation + 1})")


def stamp_checkpoint(state: dict[str, Any], run: dict[str, Any] | None = None) -> dict[str, Any]:
    """The engine state (:mod:`evodeap.engine.state`) as ``checkpoint.json``: with its format
    number and ``run`` (:func:`run_binding`; omitted when None, a checkpoint written outside a run directory)."""
    stamped = {"format": CHECKPOINT_FORMAT, **{k: v for k, v in state.items() if k not in ("format", "run")}}
    return {**stamped, "run": run} if run is not None else stamped


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
    if not isinstance(fitness, list) or not fitness or not all(_finite(v) for v in fitness):
        raise _fail(path, f"'{where}.fitness' must be a non-empty list of numbers (finite), found {_short(fitness)}")


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


def _finite(value: Any) -> bool:
    return isinstance(value, Real) and not isinstance(value, bool) and math.isfinite(value)


def _check_engine_extras(state: dict[str, Any], path: Path | str) -> None:
    """The form of the checkpoint's smaller engine keys: μ, β, elapsed, schedules, refinements,
    the global random states, and one fitness length throughout."""
    for key in ("mu", "beta", "elapsed"):
        value = state.get(key)
        if value is not None and not _finite(value):
            raise _fail(path, f"'{key}' must be a finite number or null, found {_short(value)}")
    schedules = state.get("schedules", {})
    if not isinstance(schedules, dict) or not all(isinstance(v, dict) for v in schedules.values()):
        raise _fail(path, "'schedules' must be an object of objects")
    refinements = state.get("refinements", [])
    if not isinstance(refinements, list) or not all(
            isinstance(r, dict) and isinstance(r.get("generation"), int) and isinstance(r.get("changes"), dict)
            and all(_is_change(c) for c in r["changes"].values()) for r in refinements):
        raise _fail(path, "'refinements' must be a list of {generation, changes: {gene: [[old low, old high], "
                          "[new low, new high]]}} objects")
    if "global_random" in state:
        _check_global_random(state["global_random"], path)
    lengths = {len(m["fitness"]) for key in ("population", "hall_of_fame") for m in state[key]
               if m.get("fitness") is not None}
    if len(lengths) > 1:
        raise _fail(path, f"its fitness values have different lengths ({', '.join(map(str, sorted(lengths)))})")


def _is_change(change: Any) -> bool:
    return isinstance(change, list) and len(change) == 2 and all(
        isinstance(side, list) and len(side) == 2 and all(_finite(v) for v in side) for side in change)


def _check_global_random(data: Any, path: Path | str) -> None:
    """Python's and NumPy's global random states (:class:`evodeap.execution.global_random.GlobalRandom`)."""
    where = "'global_random'"
    if not isinstance(data, dict) or not isinstance(data.get("python"), dict) or not isinstance(data.get("numpy"), dict):
        raise _fail(path, f"{where} must be an object with 'python' and 'numpy' objects")
    py, npy = data["python"], data["numpy"]
    state = py.get("state")
    if py.get("version") != 3 or not isinstance(state, list) or len(state) != 625 or not all(
            isinstance(v, int) and not isinstance(v, bool) and 0 <= v < 2 ** 32 for v in state[:624]) or not (
            isinstance(state[624], int) and 0 <= state[624] <= 624) or not (
            py.get("gauss_next") is None or _finite(py.get("gauss_next"))):
        raise _fail(path, f"{where}.python is not a state of Python's random (version 3, 625 integers)")
    key = npy.get("key")
    if npy.get("bit_generator") != "MT19937" or not isinstance(key, list) or len(key) != 624 or not all(
            isinstance(v, int) and not isinstance(v, bool) and 0 <= v < 2 ** 32 for v in key) or not (
            isinstance(npy.get("pos"), int) and 0 <= npy["pos"] <= 624) or npy.get("has_gauss") not in (0, 1) or not (
            _finite(npy.get("cached_gaussian"))):
        raise _fail(path, f"{where}.numpy is not a state of NumPy's global MT19937 (624 key words, pos, gauss)")


# -- the run a checkpoint belongs to ------------------------------------------------------------------
def config_digest(described: Mapping[str, Any]) -> str:
    """SHA-256 of a run's configuration as ``config.json`` records it (compared form,
    :func:`evodeap.config.settings.comparable`), without the settings an extension may change
    (:data:`EXTENDABLE`): ``sha256(json.dumps(config minus EXTENDABLE, sort_keys=True))``."""
    import hashlib

    kept = {k: v for k, v in described.items() if k not in EXTENDABLE}
    return hashlib.sha256(json.dumps(kept, sort_keys=True).encode()).hexdigest()


def run_binding(described: Mapping[str, Any], source: Mapping[str, Any] | None) -> dict[str, Any]:
    """The ``run`` key of a checkpoint: the run id (``experiment.json``'s ``run_id``), the seed
    and :func:`config_digest` of the configuration it was written for."""
    return {"id": (source or {}).get("run_id"), "seed": described.get("seed"), "config": config_digest(described)}


def _check_run(run: Any, path: Path | str) -> None:
    if not isinstance(run, dict) or not (run.get("id") is None or (isinstance(run["id"], str)
                                                                   and RUN_ID.fullmatch(run["id"]))) or not (
            isinstance(run.get("seed"), int) and not isinstance(run["seed"], bool)) or not (
            isinstance(run.get("config"), str) and re.fullmatch(r"[0-9a-f]{64}", run["config"])):
        raise _fail(path, "'run' must be {id, seed, config}: the run, seed and configuration it was written for")


def check_binding(state: Mapping[str, Any], described: Mapping[str, Any], source: Mapping[str, Any] | None,
                  path: Path | str) -> None:
    """Refuse a checkpoint written for another run: another run id, seed or configuration
    than ``described`` (the run's ``config.json``, compared form) and ``source`` (its
    ``experiment.json``). A checkpoint older than format 3 carries no ``run`` and is not checked."""
    run = state.get("run")
    if run is None:
        return
    fix = "it was copied from elsewhere; restore this run's own checkpoint, or delete it to replay the database"
    if run["seed"] != described.get("seed"):
        raise DamagedFileError(f"{path} belongs to another run (seed {run['seed']}; this run's seed is "
                               f"{described.get('seed')}): {fix}")
    if run["config"] != config_digest(described):
        raise DamagedFileError(f"{path} was written for another configuration than config.json's: {fix}")
    own_id = (source or {}).get("run_id")
    if run["id"] is not None and own_id is not None and run["id"] != own_id:
        raise DamagedFileError(f"{path} belongs to another run (run id {run['id']}; this run is {own_id}): {fix}")
