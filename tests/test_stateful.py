"""The one checkpoint protocol: every Stateful part round-trips through JSON and then behaves the same."""
from __future__ import annotations

import dataclasses
import json
import random
from collections import deque

import numpy as np
import pytest

from evodeap.config.settings import ExperimentConfig
from evodeap.engine.loop import evolve
from evodeap.engine.state import ResumeState
from evodeap.errors import ConfigError
from evodeap.evaluation.api import Objectives
from evodeap.evaluation.evaluator import Evaluator, resume_state_of
from evodeap.execution.executors import SerialExecutor
from evodeap.execution.global_random import GlobalRandom
from evodeap.fitness.landscape import LandscapeFitness
from evodeap.stateful import GeneratorState, StateDictAdapter, Stateful, as_stateful


def through_json(state: dict) -> dict:
    return json.loads(json.dumps(state))


class StagnationRate:
    """A schedule with state: μ doubles after each generation whose best did not improve (to 0.5)."""

    def __init__(self, initial: float = 0.05) -> None:
        self.initial, self.rate, self.best = initial, initial, None

    def __call__(self, generation, stats=None) -> float:
        if stats is not None:
            if self.best is not None and stats.best <= self.best:
                self.rate = min(0.5, self.rate * 2)
            self.best = stats.best if self.best is None else max(self.best, stats.best)
        return self.rate

    def get_state(self) -> dict:
        return {"rate": self.rate, "best": self.best}

    def set_state(self, state: dict) -> None:
        self.rate, self.best = state["rate"], state["best"]


class LegacyStagnationRate(StagnationRate):
    """The same schedule written for older evodeap: ``state_dict`` / ``load_state_dict``."""

    state_dict = StagnationRate.get_state
    load_state_dict = StagnationRate.set_state
    get_state = set_state = None


def test_a_generator_stream_repeats_its_draws_after_a_json_round_trip():
    a = np.random.default_rng(3)
    a.random(5)
    state = through_json(GeneratorState(a).get_state())
    b = np.random.default_rng(99)
    GeneratorState(b).set_state(state)
    assert a.random(4).tolist() == b.random(4).tolist()
    assert isinstance(GeneratorState(a), Stateful)


def test_the_global_random_states_repeat_their_draws_after_a_json_round_trip():
    random.seed(1)
    np.random.seed(1)
    state = through_json(GlobalRandom().get_state())
    draws = (random.random(), float(np.random.random()))
    random.seed(2)
    np.random.seed(2)
    GlobalRandom().set_state(state)
    assert (random.random(), float(np.random.random())) == draws
    with pytest.raises(ValueError, match="malformed global random state"):
        GlobalRandom().set_state({"python": {}})


@pytest.mark.parametrize("schedule_class", [StagnationRate, LegacyStagnationRate])
def test_a_schedule_with_state_gives_the_same_next_values_after_a_json_round_trip(schedule_class):
    from evodeap.operators.schedules import PopulationStats

    stats = [PopulationStats(best=b, mean=0, std=1, worst=0) for b in (0.1, 0.2, 0.2, 0.2, 0.3, 0.3)]
    a = schedule_class()
    for g, s in enumerate(stats[:3]):
        a(g, s)
    b = schedule_class(initial=0.9)
    as_stateful(b).set_state(through_json(as_stateful(a).get_state()))
    assert [a(g, s) for g, s in enumerate(stats[3:], 3)] == [b(g, s) for g, s in enumerate(stats[3:], 3)]
    assert isinstance(as_stateful(a), StateDictAdapter) == (schedule_class is LegacyStagnationRate)


def test_a_schedule_without_state_has_nothing_to_save():
    from evodeap.operators.schedules import ExponentialDecay

    assert as_stateful(ExponentialDecay(0.1, 0.1)) is None and as_stateful(lambda g, s: 0.1) is None


def _evaluator() -> Evaluator:
    fitness = LandscapeFitness()
    return Evaluator(seed=5, fitness=fitness, executor=SerialExecutor(), objectives=Objectives.of(fitness))


def _individuals(config: ExperimentConfig, seed: int, n: int) -> list:
    from evodeap.config.resolve import plan_run

    individual = plan_run(config).individual
    rng = np.random.default_rng(seed)
    return [config.space.sample_genome(rng, cls=individual) for _ in range(n)]


def test_the_evaluator_keeps_its_cache_and_replay_after_a_json_round_trip():
    config = ExperimentConfig()
    a = _evaluator()
    first = _individuals(config, 0, 4)
    records, _ = a.evaluate(first, 0)
    b = _evaluator()
    b.set_state(through_json(a.get_state()))
    assert [r.result.fitness for r in b.evaluations] == [r.result.fitness for r in records]
    again_a, again_b = _individuals(config, 0, 4), _individuals(config, 0, 4)
    assert a.evaluate(again_a, 1)[1] == b.evaluate(again_b, 1)[1] == 4  # all four are cache hits
    assert [i.fitness.values for i in again_a] == [i.fitness.values for i in again_b]
    # an interrupted generation's evaluations are replayed, not trained again
    stored = [(0, r.index, r.genome, r.result) for r in records]
    c = _evaluator()
    c.set_state(through_json(resume_state_of(stored, done=-1)))
    assert len(c.replay) == 4 and c.get_state()["replay"] == through_json(c.get_state())["replay"]
    replayed = list(c.stream(deque((i, c.context(ind, 0)) for i, ind in enumerate(_individuals(config, 0, 4)))))
    assert [r.result.fitness for _, r in replayed] == [r.result.fitness for r in records] and not c.replay


def small_config(**changes) -> ExperimentConfig:
    return dataclasses.replace(ExperimentConfig(population_size=10, generations=5, seed=11, refine_every=2), **changes)


@pytest.mark.parametrize("schedule_class", [StagnationRate, LegacyStagnationRate])
def test_the_engine_resumes_from_its_json_state_and_the_databases_rows_exactly(schedule_class):
    full = evolve(small_config(mutation_rate=schedule_class()))
    checkpoints = []
    partial = evolve(small_config(generations=2, mutation_rate=schedule_class()), on_checkpoint=checkpoints.append)
    state = through_json(checkpoints[-1])
    assert "logbook" not in state and set(state["schedules"]["mutation_rate"]) == {"rate", "best"}
    stored = [(r.generation, r.index, r.genome, r.result) for r in partial.evaluations]
    rows = through_json([dict(row) for row in partial.logbook])
    resumed = evolve(small_config(mutation_rate=schedule_class()),
                     resume=ResumeState(state, stored, logbook=rows))
    strip = lambda result: [{k: v for k, v in row.items() if k != "elapsed"} for row in result.logbook]  # noqa: E731
    assert strip(resumed) == strip(full)
    assert [i.key() for i in resumed.population] == [i.key() for i in full.population]


def test_a_checkpoint_size_does_not_grow_with_the_runs_length():
    sizes = []
    evolve(small_config(generations=6, refine_every=0), on_checkpoint=lambda s: sizes.append(len(json.dumps(s))))
    assert max(sizes[1:]) - min(sizes[1:]) < 0.05 * min(sizes[1:])


def test_a_resume_without_the_logbook_rows_is_refused_with_one_clear_error():
    checkpoints = []
    partial = evolve(small_config(generations=1), on_checkpoint=checkpoints.append)
    stored = [(r.generation, r.index, r.genome, r.result) for r in partial.evaluations]
    with pytest.raises(ConfigError, match="ResumeState.logbook"):
        evolve(small_config(), resume=ResumeState(through_json(checkpoints[-1]), stored))
    # an old (format 1) checkpoint that carries its logbook still resumes without rows
    old = {**through_json(checkpoints[-1]), "format": 1, "logbook": through_json([dict(r) for r in partial.logbook])}
    full = evolve(small_config())
    resumed = evolve(small_config(), resume=ResumeState(old, stored))
    assert [i.key() for i in resumed.population] == [i.key() for i in full.population]
