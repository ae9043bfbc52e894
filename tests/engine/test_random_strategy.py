"""The ``random`` strategy: random search over the same space, recorded like evolution."""
from __future__ import annotations

import pytest

from evodeap.config.settings import ExperimentConfig
from evodeap.engine.loop import evolve
from evodeap.errors import ConfigError
from evodeap.runs.lifecycle import resume, run
from helpers_rundir import stopped_run


def config(**changes) -> ExperimentConfig:
    base = dict(fitness="landscape", population_size=6, generations=3, seed=5, refine_every=2)
    return ExperimentConfig(**{**base, **changes})


def keys(result, generation):
    return [r.genome.key() for r in result.evaluations if r.generation == generation]


def test_generation_0_is_evolutions_initial_population_and_later_ones_are_fresh_draws():
    evolved = evolve(config())
    drawn = evolve(config(strategy="random"))
    assert keys(drawn, 0) == keys(evolved, 0)
    assert [r.result.fitness for r in drawn.evaluations if r.generation == 0] == \
        [r.result.fitness for r in evolved.evaluations if r.generation == 0]
    assert [row["generation"] for row in drawn.logbook] == [0, 1, 2, 3]
    space = config().space
    for generation in (1, 2, 3):
        batch = [r for r in drawn.evaluations if r.generation == generation]
        new = drawn.logbook[generation]["nevals"]
        assert len(batch) == new and 0 < new <= 6  # duplicates of earlier draws are cache hits
        assert all(space.contains(r.genome) for r in batch)
        assert set(keys(drawn, generation)) != set(keys(evolved, generation))
    assert drawn.refinements == [] and drawn.space == space  # refine_every is not used


def test_a_random_run_resumes_exactly(tmp_path):
    whole = run(config(strategy="random"), tmp_path / "whole")
    stopped_run(config(strategy="random"), tmp_path / "cut", after=1)
    resumed = resume(tmp_path / "cut", config(strategy="random"))
    assert [r.genome.key() for r in resumed.evaluations] == [r.genome.key() for r in whole.evaluations]
    assert [r.result.fitness for r in resumed.evaluations] == [r.result.fitness for r in whole.evaluations]


def test_an_unknown_strategy_is_refused():
    with pytest.raises(ConfigError, match="strategy must be one of 'evolve', 'fixed', 'random'"):
        config(strategy="grid").validate()
