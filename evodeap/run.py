"""``evodeap.run``: evolve one experiment into a run directory.

The master process is the only writer. The directory gets ``config.json`` first, one
``logbook.csv`` row per generation as soon as it is recorded, and ``hall_of_fame.json``
at the end. An existing, non-empty directory is never overwritten.
"""
from __future__ import annotations

import csv
import json
import os
from pathlib import Path
from typing import Callable

from evodeap.config import ExperimentConfig
from evodeap.engine import LOGBOOK_FIELDS, EvolutionResult, GenerationReport, evolve
from evodeap.errors import RunDirectoryError


def prepare_run_directory(out: str | Path) -> Path:
    """Create ``out`` (parents too); refuse one that already holds files."""
    path = Path(out)
    if path.exists() and (not path.is_dir() or any(path.iterdir())):
        raise RunDirectoryError(f"{path} already exists and is not empty; choose another --out")
    path.mkdir(parents=True, exist_ok=True)
    return path


def write_json_atomic(path: Path, data) -> None:
    """Write JSON to a temporary file, fsync, then rename over ``path``."""
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w") as handle:
        json.dump(data, handle, indent=2, sort_keys=True)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)


class RunWriter:
    """Per-generation callback that appends the logbook row to ``logbook.csv``."""

    def __init__(self, directory: Path, echo: Callable[[GenerationReport], None] | None = None) -> None:
        self.directory = directory
        self.echo = echo
        with open(directory / "logbook.csv", "w", newline="") as handle:
            csv.writer(handle).writerow(LOGBOOK_FIELDS)

    def __call__(self, report: GenerationReport) -> None:
        with open(self.directory / "logbook.csv", "a", newline="") as handle:
            csv.writer(handle).writerow([report.record.get(f) for f in LOGBOOK_FIELDS])
        if report.refinement is not None and report.refinement.changes:
            with open(self.directory / "refinements.jsonl", "a") as handle:
                handle.write(json.dumps({"generation": report.generation, **report.refinement.to_dict()}) + "\n")
        if self.echo is not None:
            self.echo(report)


def run(config: ExperimentConfig, out: str | Path | None = None,
        on_generation: Callable[[GenerationReport], None] | None = None) -> EvolutionResult:
    """Validate ``config``, evolve it, and (with ``out``) write the run directory."""
    config.validate()
    if out is None:
        return evolve(config, callback=on_generation)
    directory = prepare_run_directory(out)
    write_json_atomic(directory / "config.json", config.to_dict())
    result = evolve(config, callback=RunWriter(directory, on_generation))
    write_json_atomic(directory / "hall_of_fame.json", [
        {"fitness": list(ind.fitness.values), "genome": ind.to_dict()} for ind in result.hall_of_fame
    ])
    write_json_atomic(directory / "space.json", result.space.to_dict())
    return result
