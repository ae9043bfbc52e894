"""Loading experiment files: plain Python that defines ``CONFIG = ExperimentConfig(...)``.

The file is executed as a real module named ``evodeap_experiment`` (the name it always
ran under) and stays in ``sys.modules``, so the layer kinds, families, fitnesses and
operators it defines can be pickled to workers, and the file is recorded as a plug-in
source that spawned and Ray workers load before their first task (see
:mod:`evodeap.plugins`).
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from evodeap.config import ExperimentConfig
from evodeap.errors import ConfigError, EvodeapError
from evodeap.plugins import load_file


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
