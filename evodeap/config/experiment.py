"""Experiment files: plain Python that defines ``CONFIG = ExperimentConfig(...)``, and the
config one of its runs uses (recorded overrides, a study's variant and seed).

Imports run one way: :mod:`evodeap.studies.study` and :mod:`evodeap.runs.lifecycle` use this module, which
knows only the config.

The file is executed as a real module named ``evodeap_experiment`` (the name it always
ran under) and stays in ``sys.modules``, so the layer kinds, families, fitnesses and
operators it defines can be pickled to workers, and the file is recorded as a plug-in
source that spawned and Ray workers load before their first task (see
:mod:`evodeap.plugins`).
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Mapping

from evodeap.config.settings import ExperimentConfig
from evodeap.errors import ConfigError, EvodeapError, RunDirectoryError
from evodeap.plugins import load_file

#: the one variant of an experiment file without ``VARIANTS``
BASELINE = "base"


def load_experiment(path: str | Path) -> dict[str, Any]:
    """Execute an experiment file and return (a copy of) its namespace (``CONFIG`` checked)."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"experiment file not found: {path}")
    try:
        namespace = dict(vars(load_file(path)))
    except SyntaxError as exc:
        raise ConfigError(f"{exc.filename}:{exc.lineno}: syntax error: {exc.msg}") from None
    except EvodeapError as exc:
        raise ConfigError(f"{path}: {exc}") from None
    except Exception as exc:  # the user's file is broken: one clear line
        raise ConfigError(f"{path} failed to load: {type(exc).__name__}: {exc}") from None
    config = namespace.get("CONFIG")
    if not isinstance(config, ExperimentConfig):
        raise ConfigError(f"{path} must define CONFIG = ExperimentConfig(...)")
    return namespace


def apply_variant(config: ExperimentConfig, namespace: Mapping[str, Any], name: str) -> ExperimentConfig:
    """``config`` changed by variant ``name`` of the experiment's ``VARIANTS`` (overrides dict or function)."""
    variants = namespace.get("VARIANTS", {BASELINE: {}})
    if name not in variants:
        raise RunDirectoryError(f"variant {name!r} is no longer defined in the experiment file")
    change: Mapping[str, Any] | Callable = variants[name]
    if isinstance(change, Mapping):
        return config.with_overrides(dict(change))
    new = change(config)
    if not isinstance(new, ExperimentConfig):
        raise ConfigError(f"variant {name!r} must return an ExperimentConfig, got {type(new).__name__}")
    return new


def build_config(namespace: Mapping[str, Any], source: Mapping[str, Any]) -> ExperimentConfig:
    """The config an ``experiment.json`` record describes: the file's ``CONFIG`` with the
    recorded overrides, then (for a study's sub-run) its variant and seed."""
    config = namespace["CONFIG"].with_overrides(source.get("overrides", {}))
    if source.get("variant") is not None:
        config = apply_variant(config, namespace, source["variant"])
    if source.get("seed") is not None:
        config = config.with_overrides({"seed": source["seed"]})
    return config
