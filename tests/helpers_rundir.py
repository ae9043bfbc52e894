"""Run directories for tests: a snapshot of a folder, a run with stand-in weights stopped midway."""
from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from evodeap.config.experiment import load_experiment
from evodeap.runs.provenance import describe_sources
from evodeap.runs.lifecycle import RunInterrupted, run

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


def interrupted_weights_run(root: Path) -> Path:
    """``root/run``: a run with weight inheritance (stand-in weights, tests/helpers_fitness.py),
    started from the experiment file ``root/weights_exp.py`` and stopped after generation 2 of 4."""
    experiment = root / "weights_exp.py"
    experiment.write_text(textwrap.dedent(WEIGHTS_EXPERIMENT))
    namespace = load_experiment(experiment)
    source = {"file": str(experiment), "overrides": {}, "sources": describe_sources(experiment, namespace)}

    def stop(report):
        if report.generation == 2:
            raise KeyboardInterrupt

    with pytest.raises(RunInterrupted):
        run(namespace["CONFIG"], root / "run", on_generation=stop, experiment=source)
    assert sorted((root / "run" / "weights").glob("*.weights.h5"))
    return root / "run"
