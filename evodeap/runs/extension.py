"""Extending a run: ``evodeap resume DIR --set generations=N``.

Only the settings in :data:`EXTENDABLE` may change in an existing run; an extension is
refused when the run already completed more generations than asked for, and is recorded in
``experiment.json`` (``overrides``, ``extensions`` and ``changes``) so the run still says
what it ran. :func:`evodeap.runs.lifecycle.continue_run` applies it.

An extension makes the outputs written from the shorter run — ``tables/``, ``figures/``,
``best_model.json`` and ``best_model.keras`` — stale. :func:`mark_stale` records which ones in
the marker file :data:`STALE` (``STALE.json``) when the extension starts; ``evodeap resume``
rebuilds them when the extension finishes and removes the marker
(:mod:`evodeap.reports.stale`), and ``evodeap report`` says what is still stale.
"""
from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from evodeap.config.settings import ExperimentConfig
from evodeap.errors import ConfigError
from evodeap.runs.formats import EXTENDABLE
from evodeap.files import write_json
from evodeap.runs.inspection import described_config
from evodeap.runs.provenance import record_change

__all__ = ["EXTENDABLE", "OUTPUTS", "STALE", "check_extendable", "extended_config", "mark_stale", "read_stale",
           "record_extension", "unmark_stale"]



def check_extendable(extend: dict[str, Any]) -> None:
    """Refuse a resume override of anything but :data:`EXTENDABLE` settings."""
    refused = sorted(set(extend) - EXTENDABLE)
    if refused:
        raise ConfigError(f"resume --set can only extend a run ({', '.join(sorted(EXTENDABLE))}); "
                          f"{', '.join(refused)} cannot change in an existing run")


def extended_config(config: ExperimentConfig, extend: dict[str, Any], state: dict[str, Any] | None,
                    where: Path) -> ExperimentConfig:
    """``config`` with the extension ``extend`` applied, refused when it has fewer generations
    than the run (its checkpoint ``state``) completed. The caller plans the result
    (:func:`evodeap.config.resolve.plan_run`), which validates it."""
    check_extendable(extend)
    extended = config.with_overrides(extend)
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
    current = described_config(config)
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


#: the marker of outputs that predate an extension
STALE = "STALE.json"
#: outputs written from a run's results that an extension makes stale
OUTPUTS = ("tables", "figures", "best_model.json", "best_model.keras")


def mark_stale(directory: Path | object, extend: dict[str, Any]) -> list[str]:
    """Record in ``directory/STALE.json`` the :data:`OUTPUTS` present in a run (or study)
    directory that the extension ``extend`` makes stale (kept with those of an earlier
    extension not yet rebuilt); returns them. Nothing is written when there are none."""
    path = Path(getattr(directory, "path", directory))
    if not extend:
        return []
    earlier = read_stale(path)
    stale = sorted(set(earlier.get("stale", [])) | {name for name in OUTPUTS if (path / name).exists()})
    if stale:
        described = ", ".join(f"{k}={v}" for k, v in sorted(extend.items()))
        write_json(path, STALE, {"since": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "extension": described,
                                 "stale": stale})
    return stale


def read_stale(path: Path) -> dict[str, Any]:
    """The marker of ``path`` (``{}`` without one, or when it is not a marker this module wrote)."""
    marker = Path(path) / STALE
    if not marker.is_file() or marker.is_symlink() or marker.stat().st_size > 65536:
        return {}
    try:
        data = json.loads(marker.read_text())
    except (OSError, ValueError):
        return {}
    ok = isinstance(data, dict) and isinstance(data.get("stale"), list) and set(data["stale"]) <= set(OUTPUTS)
    return data if ok else {}


def unmark_stale(path: Path, rebuilt: list[str]) -> list[str]:
    """Drop ``rebuilt`` from the marker of ``path`` (the file goes when nothing is left); returns
    what is still stale."""
    data = read_stale(Path(path))
    left = [name for name in data.get("stale", []) if name not in rebuilt]
    if left:
        write_json(Path(path), STALE, {**data, "stale": left})
    elif (Path(path) / STALE).is_file():
        (Path(path) / STALE).unlink()
    return left
