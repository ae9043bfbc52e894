"""A fitness that never returns is abandoned after evaluation_timeout on every executor and
recorded with status ``timeout``; the run goes on."""
from __future__ import annotations

import dataclasses
import threading
import time

import pytest

from evodeap.config.settings import ExperimentConfig
from evodeap.engine.loop import evolve
from evodeap.errors import ConfigError
from evodeap.execution.executors import ProcessExecutor, RayExecutor, SerialExecutor
from evodeap.execution.timeouts import call_with_timeout
from helpers_fitness import HangingFitness


def config(**changes) -> ExperimentConfig:
    return dataclasses.replace(ExperimentConfig(population_size=6, generations=1, seed=12), **changes)


def statuses(result) -> list[tuple[int, int, str]]:
    return [(r.generation, r.index, r.result.status) for r in result.evaluations]


def expect_one_timeout(result, timeout: float) -> None:
    timed_out = [r for r in result.evaluations if r.result.status == "timeout"]
    assert [(r.generation, r.index) for r in timed_out] == [(0, 0)]
    assert f"evaluation_timeout={timeout:g} s" in timed_out[0].result.message
    assert timed_out[0].result.fitness == (-1.0,)
    assert {r.result.status for r in result.evaluations} == {"ok", "timeout"}
    assert [row["failures"] for row in result.logbook][0] == 1


def evaluation_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "evodeap-evaluation"]


def test_serial_abandons_the_evaluation_and_stops_its_thread():
    start = time.monotonic()
    result = evolve(config(evaluation_timeout=1.0), fitness=HangingFitness(), executor=SerialExecutor())
    assert time.monotonic() - start < 30  # not the fitness's 120 s
    expect_one_timeout(result, 1.0)
    deadline = time.monotonic() + 5
    while evaluation_threads() and time.monotonic() < deadline:  # stopped at its next Python instruction
        time.sleep(0.05)
    assert evaluation_threads() == []


@pytest.mark.slow
def test_process_kills_and_replaces_the_worker_and_gives_the_serial_result():
    with ProcessExecutor(workers=2) as executor:
        result = evolve(config(evaluation_timeout=5.0), fitness=HangingFitness(), executor=executor)
        assert executor.started == 3  # the hanging worker was killed and replaced
    expect_one_timeout(result, 5.0)
    serial = evolve(config(evaluation_timeout=1.0), fitness=HangingFitness(), executor=SerialExecutor())
    assert statuses(result) == statuses(serial)


@pytest.mark.slow
def test_a_process_workers_slow_start_does_not_count_against_the_timeout(tmp_path, monkeypatch):
    import collections
    import sys

    from evodeap import plugins

    slow = tmp_path / "slow_start_plugin.py"
    slow.write_text("import time\ntime.sleep(3.0)\n")  # a worker imports it before its first item
    monkeypatch.setattr(plugins, "_SOURCES", dict(plugins._SOURCES))
    monkeypatch.delitem(sys.modules, "slow_start_plugin", raising=False)
    plugins.load_file(slow, "slow_start_plugin")
    start = time.monotonic()
    with ProcessExecutor(workers=1) as executor:
        results = list(executor.imap_queue(abs, collections.deque([(0, -3), (1, -4)]), timeout=1.5,
                                           on_timeout=lambda item: "timeout"))
        assert executor.started == 1  # never killed
    assert time.monotonic() - start > 3.0  # the start took longer than the timeout …
    assert results == [(0, 3), (1, 4)]  # … and neither item timed out


@pytest.mark.slow
def test_ray_cancels_the_task():
    with RayExecutor(workers=2) as executor:
        result = evolve(config(evaluation_timeout=20.0), fitness=HangingFitness(), executor=executor)
    expect_one_timeout(result, 20.0)


def test_a_plain_map_cannot_time_out_and_says_so():
    with pytest.raises(ConfigError, match="evaluation_timeout needs an executor that can abandon"):
        evolve(config(evaluation_timeout=1.0), fitness=HangingFitness(index=99), map_fn=map)


@pytest.mark.parametrize("value", [0, -1, float("inf"), "10", True])
def test_a_bad_timeout_is_a_config_error(value):
    with pytest.raises(ConfigError, match="evaluation_timeout must be a number of seconds"):
        config(evaluation_timeout=value).validate()


def test_call_with_timeout_returns_results_and_raises_errors():
    assert call_with_timeout(lambda x: x + 1, 1, 5.0) == (True, 2)
    with pytest.raises(KeyError):
        call_with_timeout(lambda x: {}[x], "missing", 5.0)
    assert call_with_timeout(time.sleep, 0.5, 0.05) == (False, None)
