"""The simulated executor: hand-computed schedules, idle shares, determinism, the engine under it."""
from __future__ import annotations

import dataclasses
from collections import deque
from types import SimpleNamespace

import numpy as np
import pytest

from evodeap.config.settings import ExperimentConfig
from evodeap.engine.loop import evolve
from evodeap.errors import ConfigError, UserCodeError
from evodeap.evaluation.api import EvalContext, EvalResult
from evodeap.evaluation.fidelity import with_multi_fidelity
from evodeap.execution.executors import EXECUTORS, SerialExecutor, make_executor
from evodeap.execution.simulated import SimulatedExecutor, Slot
from evodeap.fitness.landscape import LandscapeFitness
from evodeap.genome.genome import Genome


def by_item(item, result) -> float:
    """Tests give each item its own duration."""
    return item


@dataclasses.dataclass(frozen=True)
class TimedLandscape:
    """The landscape, with a training time of ``epochs_run × (2 + layers)`` seconds."""

    def __call__(self, genome: Genome, context: EvalContext) -> EvalResult:
        result = LandscapeFitness()(genome, context)
        result.extra["train_seconds"] = float(result.extra["epochs_run"] * (2 + len(genome)))
        return result


def config(**changes) -> ExperimentConfig:
    return dataclasses.replace(ExperimentConfig(population_size=10, generations=3, seed=5), **changes)


def outcome(result) -> list[tuple]:
    return [(r.generation, r.index, r.genome.key(), r.result.seed, r.result.fitness, r.result.status)
            for r in result.evaluations]


def rows(result) -> list[dict]:
    return [{k: v for k, v in row.items() if k != "elapsed"} for row in result.logbook]


# -- hand-computed schedules ---------------------------------------------------------------
def test_synchronous_batch_follows_the_hand_computed_list_schedule():
    # 3 workers, durations 5 3 4 2 6 available at 0:
    # item0 w0 [0,5]; item1 w1 [0,3]; item2 w2 [0,4]; item3 -> w1 (free at 3) [3,5];
    # item4 -> w2 (free at 4, before w0 and w1 at 5) [4,10]; makespan 10
    executor = SimulatedExecutor(workers=3, duration=by_item)
    assert executor.map(lambda x: 10 * x, [5, 3, 4, 2, 6]) == [50, 30, 40, 20, 60]
    assert executor.clock == 10.0
    assert executor.timeline == [Slot(1, 0.0, 3.0, 1), Slot(2, 0.0, 4.0, 2), Slot(0, 0.0, 5.0, 0),
                                 Slot(1, 3.0, 5.0, 3), Slot(2, 4.0, 10.0, 4)]
    assert executor.busy == [5.0, 5.0, 10.0]
    assert executor.idle_shares() == [0.5, 0.5, 0.0]
    assert executor.idle_share() == pytest.approx(1 - 20 / 30)


def test_each_batch_starts_at_the_previous_makespan():
    executor = SimulatedExecutor(workers=3, duration=by_item)
    executor.map(lambda x: x, [5, 3, 4, 2, 6])
    executor.map(lambda x: x, [1, 1])
    assert executor.timeline[-2:] == [Slot(0, 10.0, 11.0, 5), Slot(1, 10.0, 11.0, 6)]
    assert executor.clock == 11.0
    assert executor.idle_share() == pytest.approx(1 - 22 / 33)


def test_async_results_come_in_completion_order_and_appended_items_start_then():
    # 2 workers, durations 4 and 1; after item1 completes at 1 the consumer appends an item of
    # 2 s: worker 1 is free, so it runs [1, 3] and completes before item0 (at 4)
    executor = SimulatedExecutor(workers=2, duration=by_item)
    queue = deque([("a", 4), ("b", 1)])
    seen = []
    for tag, result in executor.imap_queue(lambda x: x, queue):
        seen.append((tag, executor.clock))
        if tag == "b":
            queue.append(("c", 2))
    assert seen == [("b", 1.0), ("c", 3.0), ("a", 4.0)]
    assert executor.timeline[1] == Slot(1, 1.0, 3.0, 2)
    assert executor.idle_share() == pytest.approx(1 - 7 / 8)


def test_appended_item_waits_behind_those_queued_before_it():
    # 3 workers, 5 3 4 2 6 as above; an item of 1 s appended at 3 (item1's completion) goes
    # after items 3 and 4, to the first worker free: w0 at 5 -> [5, 6]
    executor = SimulatedExecutor(workers=3, duration=by_item)
    queue = deque(enumerate([5, 3, 4, 2, 6]))
    order = []
    for tag, _ in executor.imap_queue(lambda x: x, queue):
        order.append((tag, executor.clock))
        if tag == 1:
            queue.append(("new", 1))
    assert order == [(1, 3.0), (2, 4.0), (0, 5.0), (3, 5.0), ("new", 6.0), (4, 10.0)]
    assert Slot(0, 5.0, 6.0, 5) in executor.timeline


def test_makespan_lies_within_grahams_bounds():
    rng = np.random.default_rng(0)
    for _ in range(50):
        workers = int(rng.integers(1, 9))
        durations = [float(d) for d in rng.uniform(0, 10, size=int(rng.integers(1, 40)))]
        executor = SimulatedExecutor(workers=workers, duration=by_item)
        executor.map(lambda x: x, durations)
        total, longest = sum(durations), max(durations)
        assert max(total / workers, longest) - 1e-9 <= executor.clock <= total / workers + longest + 1e-9
        assert sum(executor.busy) == pytest.approx(total)


# -- durations, timeouts, bad input ----------------------------------------------------------
def test_duration_is_read_from_the_result():
    executor = SimulatedExecutor(workers=1, default_seconds=7.0, flops_per_second=100.0)
    results = [SimpleNamespace(extra={"train_seconds": 3.0, "train_flops": 1e9}),
               SimpleNamespace(extra={"train_flops": 500.0}),
               SimpleNamespace(extra={}),
               42]
    executor.map(lambda r: r, results)
    assert [s.finish - s.start for s in executor.timeline] == [3.0, 5.0, 7.0, 7.0]
    assert executor.clock == 22.0


def test_an_item_past_the_timeout_is_abandoned_at_the_timeout():
    executor = SimulatedExecutor(workers=1, duration=by_item)
    out = list(executor.imap_queue(lambda x: f"ran {x}", deque(enumerate([2, 9])), timeout=5,
                                   on_timeout=lambda x: f"timeout {x}"))
    assert out == [(0, "ran 2"), (1, "timeout 9")]
    assert executor.timeline[-1] == Slot(0, 2.0, 7.0, 1)


def test_bad_input_gets_one_clear_error():
    with pytest.raises(ConfigError, match="workers"):
        SimulatedExecutor(workers=0)
    with pytest.raises(ConfigError, match="default_seconds"):
        SimulatedExecutor(default_seconds=-1.0)
    with pytest.raises(ConfigError, match="flops_per_second"):
        SimulatedExecutor(flops_per_second=0.0)
    with pytest.raises(ConfigError, match="not taken"):
        make_executor("simulated", 4, speed=2)
    with pytest.raises(UserCodeError, match="duration"):
        SimulatedExecutor(duration=lambda item, result: float("nan")).map(lambda x: x, [1])


def test_registered_and_idle_before_any_work():
    assert EXECUTORS.get("simulated") is SimulatedExecutor
    executor = make_executor("simulated", 4, default_seconds=2.0)
    assert executor.workers == 4 and executor.clock == 0.0
    assert executor.idle_share() == 0.0 and executor.idle_shares() == [0.0] * 4


# -- the engine under the simulator ------------------------------------------------------------
def test_synchronous_run_gives_the_serial_evaluations():
    serial = evolve(config(), fitness=TimedLandscape(), executor=SerialExecutor())
    executor = SimulatedExecutor(workers=4)
    simulated = evolve(config(), fitness=TimedLandscape(), executor=executor)
    assert outcome(simulated) == outcome(serial)
    assert rows(simulated) == rows(serial)
    # one barrier per generation: the clock is the sum of the generations' makespans
    assert len(executor.timeline) == len(serial.evaluations)
    assert executor.clock == max(s.finish for s in executor.timeline)


def test_named_in_the_config_and_deterministic():
    def run() -> tuple:
        marks = []
        result = evolve(config(executor="simulated", workers=3), fitness=TimedLandscape(),
                        on_evaluation=lambda record: marks.append(record.index))
        return outcome(result), marks

    first, second = run(), run()
    assert first == second
    assert first[0] == outcome(evolve(config(), fitness=TimedLandscape()))


def test_asha_on_one_simulated_worker_matches_serial_and_many_workers_finish_sooner():
    asha = with_multi_fidelity(config(population_size=6, generations=2), min_budget=1, eta=3, max_budget=9,
                               asynchronous=True)
    serial = evolve(asha, fitness=TimedLandscape(), executor=SerialExecutor())
    one = SimulatedExecutor(workers=1)
    assert outcome(evolve(asha, fitness=TimedLandscape(), executor=one)) == outcome(serial)
    assert one.idle_share() == 0.0
    many = SimulatedExecutor(workers=8)
    evolve(asha, fitness=TimedLandscape(), executor=many)
    assert many.clock < one.clock
