"""Loading experiment files: plain Python that defines ``CONFIG = ExperimentConfig(...)``."""
from __future__ import annotations

import runpy
from pathlib import Path
from typing import Any

from evodeap.config import ExperimentConfig
from evodeap.errors import ConfigError, EvodeapError


def load_experiment(path: str | Path) -> dict[str, Any]:
    """Execute an experiment file and return its namespace (``CONFIG`` checked)."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"experiment file not found: {path}")
    try:
        namespace = runpy.run_path(str(path), run_name="evodeap_experiment")
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
