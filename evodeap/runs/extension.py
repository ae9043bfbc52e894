"""Extending a run: ``evodeap resume DIR --set generations=N``.

Only the settings in :data:`EXTENDABLE` may change in an existing run; an extension is
refused when the run already completed more generations than asked for, and is recorded in
``experiment.json`` (``overrides``, ``extensions`` and ``changes``) so the run still says
what it ran. :func:`evodeap.runs.lifecycle.continue_run` applies it.
"""
from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from evodeap.config.settings import ExperimentConfig
from evodeap.errors import ConfigError
from evodeap.runs.formats import EXTENDABLE
from evodeap.runs.inspection import described_config
from evodeap.runs.provenance import record_change

__all__ = ["EXTENDABLE", "check_extendable", "extended_config", "record_extension"]



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
