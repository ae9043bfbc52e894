"""Run directories for tests: a snapshot of a folder, a run with stand-in weights stopped midway."""
from __future__ import annotations

import json
import sqlite3
import textwrap
from pathlib import Path

import pytest

from evodeap.config.experiment import load_experiment
from evodeap.runs.provenance import describe_sources
from evodeap.runs.lifecycle import RunInterrupted, run

ROOT = Path(__file__).resolve().parents[1]
DEMO = str(ROOT / "experiments" / "landscape_demo.py")

WEIGHTS_EXPERIMENT = """
from evodeap.config.settings import ExperimentConfig
from evodeap.genome.space import SearchSpace
from helpers_fitness import WeightsStubFitness

CONFIG = ExperimentConfig(name="weights_stub", space=SearchSpace(family="cnn", min_layers=2, max_layers=4),
                          fitness=WeightsStubFitness(), population_size=6, generations=4, inheritance=True, seed=3)
"""


def snapshot(directory: Path, skip: tuple[str, ...] = ("tables", "figures")) -> dict[str, bytes]:
    """Every file under ``directory`` (bar the report's folders) -> its bytes."""
    return {str(p.relative_to(directory)): p.read_bytes() for p in sorted(directory.rglob("*"))
            if p.is_file() and p.relative_to(directory).parts[0] not in skip}


def stopped_run(config, out: Path, after: int = 1, **kwargs) -> Path:
    """``out``: a run of ``config`` interrupted (as by Ctrl-C) once generation ``after`` is recorded."""

    def stop(report):
        if report.generation == after:
            raise KeyboardInterrupt

    with pytest.raises(RunInterrupted):
        run(config, out, on_generation=stop, **kwargs)
    return out


def interrupted_weights_run(root: Path) -> Path:
    """``root/run``: a run with weight inheritance (stand-in weights, tests/helpers_fitness.py),
    started from the experiment file ``root/weights_exp.py`` and stopped after generation 2 of 4."""
    experiment = root / "weights_exp.py"
    experiment.write_text(textwrap.dedent(WEIGHTS_EXPERIMENT))
    namespace = load_experiment(experiment)
    source = {"file": str(experiment), "overrides": {}, "sources": describe_sources(experiment, namespace)}

    stopped_run(namespace["CONFIG"], root / "run", after=2, experiment=source)
    assert sorted((root / "run" / "weights").glob("*.weights.h5"))
    return root / "run"


def db_logbook(directory) -> list[dict]:
    """The logbook rows of a run directory: the records of results.sqlite's generations table (their one copy)."""
    import sqlite3 as _sqlite3

    from evodeap.results.columns import current_names

    with _sqlite3.connect(f"file:{directory / 'results.sqlite'}?mode=ro", uri=True) as conn:
        rows = [json.loads(r) for (r,) in conn.execute("SELECT record FROM generations ORDER BY generation")]
    return [current_names(row) for row in rows]  # an old run's own rows keep their old column names

def comparable(directory: Path) -> dict:
    """What must be identical between an interrupted-and-resumed run and an uninterrupted one."""
    checkpoint = json.loads((directory / "checkpoint.json").read_text())
    logbook = [{k: v for k, v in row.items() if k != "elapsed"} for row in db_logbook(directory)]
    assert "logbook" not in checkpoint
    with sqlite3.connect(directory / "results.sqlite") as conn:
        evaluations = conn.execute("SELECT generation, idx, key, seed, status, fitness FROM evaluations "
                                   "ORDER BY generation, idx").fetchall()
    return {
        "logbook": logbook, "population": checkpoint["population"], "rng": checkpoint["rng"],
        "space": checkpoint["space"],
        "hall_of_fame": json.loads((directory / "hall_of_fame.json").read_text()),
        "evaluations": evaluations,
    }
