"""Executors: identical results for any executor and worker count; dead workers; recycling; GPUs; Ray."""
from __future__ import annotations

import dataclasses

import pytest

from evodeap.config.settings import ExperimentConfig
from evodeap.engine.loop import evolve
from evodeap.execution.backend import process_environment
from evodeap.execution.executors import ProcessExecutor, RayExecutor, SerialExecutor, make_executor, worker_environment
from evodeap.errors import ConfigError, UnknownNameError
from helpers_fitness import CrashingFitness, EnvironmentFitness

from evodeap.evaluation.fidelity import with_multi_fidelity


def config(**changes) -> ExperimentConfig:
    return dataclasses.replace(ExperimentConfig(population_size=10, generations=2, seed=11, refine_every=2), **changes)


def rows(result) -> list[dict]:
    return [{k: v for k, v in row.items() if k != "elapsed"} for row in result.logbook]


def outcome(result) -> list[tuple]:
    return [(r.generation, r.index, r.genome.key(), r.result.seed, r.result.fitness, r.result.status)
            for r in result.evaluations]


def test_worker_environment_pins_gpus_round_robin_and_limits_threads():
    assert worker_environment(0, None, None) == process_environment()  # the backend's GPU memory settings
    env = worker_environment(3, 2, ["0", "1"])
    assert env["CUDA_VISIBLE_DEVICES"] == "1" and env["OMP_NUM_THREADS"] == "2"
    assert env["TF_NUM_INTRAOP_THREADS"] == "2"
    assert worker_environment(2, None, [])["CUDA_VISIBLE_DEVICES"] == ""


def test_process_workers_get_their_environment():
    with ProcessExecutor(workers=2, threads_per_worker=1, gpus=["0", "1"]) as executor:
        result = evolve(config(generations=0), fitness=EnvironmentFitness(), executor=executor)
    seen = {(r.result.extra["pid"], r.result.extra["cuda"]) for r in result.evaluations}
    assert {cuda for _, cuda in seen} == {"0", "1"}
    assert len({pid for pid, _ in seen}) == 2
    assert {r.result.extra["omp"] for r in result.evaluations} == {"1"}


def test_workers_are_recycled_after_k_evaluations():
    with ProcessExecutor(workers=2, recycle_after=3) as executor:
        result = evolve(config(generations=0), fitness=EnvironmentFitness(), executor=executor)
        assert executor.started >= 2 + 10 // 3 - 1
    assert len({r.result.extra["pid"] for r in result.evaluations}) >= 4


def test_dead_worker_is_retried_once_then_recorded_as_error():
    serial_ok = evolve(config(), fitness=CrashingFitness(crash_layers=-1), executor=SerialExecutor())
    with ProcessExecutor(workers=2) as executor:
        result = evolve(config(), fitness=CrashingFitness(crash_layers=4), executor=executor)
    crashed = [r for r in result.evaluations if len(r.genome) == 4]
    assert crashed, "the test needs some 4-layer genomes"
    assert all(r.result.status == "error" and "worker died" in r.result.message for r in crashed)
    others = [r for r in result.evaluations if len(r.genome) != 4]
    assert all(r.result.ok for r in others)
    assert len(result.logbook) == 3  # the run went on
    assert outcome(serial_ok)[0][:4] == outcome(result)[0][:4]


def test_a_worker_that_dies_once_succeeds_on_the_retry(tmp_path):
    reference = evolve(config(), fitness=CrashingFitness(crash_layers=-1), executor=SerialExecutor())
    with ProcessExecutor(workers=2) as executor:
        result = evolve(config(), fitness=CrashingFitness(crash_layers=4, marker_dir=str(tmp_path)),
                        executor=executor)
    assert any(tmp_path.iterdir()), "some evaluation must have crashed once"
    assert rows(result) == rows(reference)


@pytest.mark.slow
def successor(x: int) -> int:
    return x + 1


def drain(executor, start: list[int], limit: int = 5) -> list[tuple]:
    """Run ``start`` and, for each result below ``limit``, queue its successor (like a promotion)."""
    from collections import deque

    queue = deque((f"t{i}", x) for i, x in enumerate(start))
    seen = []
    for tag, result in executor.imap_queue(successor, queue):
        seen.append((tag, result))
        if result < limit:
            queue.append((f"{tag}+", result))
    return seen


@pytest.mark.parametrize("make", [SerialExecutor, lambda: ProcessExecutor(2)], ids=["serial", "process"])
def test_a_queue_that_grows_while_it_runs_is_drained(make):
    with make() as executor:
        seen = drain(executor, [0, 3])
    assert sorted(seen) == sorted([("t0", 1), ("t0+", 2), ("t0++", 3), ("t0+++", 4), ("t0++++", 5),
                                   ("t1", 4), ("t1+", 5)])


def test_ray_local_cluster_gives_the_same_run_as_serial():
    reference = evolve(config(), executor=SerialExecutor())
    mf = with_multi_fidelity(config(population_size=4), 1, 3, 9)
    mf_reference = evolve(mf, executor=SerialExecutor())
    with RayExecutor(workers=2) as executor:
        result = evolve(config(), executor=executor)
        crashed = evolve(config(generations=0), fitness=CrashingFitness(crash_layers=4), executor=executor)
        grown = drain(executor, [0, 3])
        mf_sync = evolve(mf, executor=executor)
        mf_async = evolve(dataclasses.replace(mf, multi_fidelity={**mf.multi_fidelity, "asynchronous": True}),
                          executor=executor)
    assert len(grown) == 7 and sorted(r for _, r in grown) == [1, 2, 3, 4, 4, 5, 5]
    assert rows(mf_sync) == rows(mf_reference)  # synchronous halving: same run on Ray as serially
    assert len(mf_async.population) == 4 and all(ind.fitness.valid for ind in mf_async.population)
    full = {(r.genome.key(), r.result.fitness) for r in mf_async.evaluations if r.result.extra["budget"] == 9}
    assert all((ind.key(), tuple(ind.fitness.values)) in full for ind in mf_async.population)
    assert rows(result) == rows(reference)
    assert outcome(result) == outcome(reference)
    dead = [r for r in crashed.evaluations if len(r.genome) == 4]
    assert dead and all(r.result.status == "error" for r in dead)
    assert all(r.result.ok for r in crashed.evaluations if len(r.genome) != 4)


def test_unknown_executor_and_bad_parameters_are_clear_errors():
    with pytest.raises(UnknownNameError, match="unknown executor 'gpu'; known: process, ray, serial"):
        make_executor("gpu")
    with pytest.raises(UnknownNameError, match="unknown executor 'threads'; known: process, ray, serial"):
        config(executor="threads").validate()
    with pytest.raises(ConfigError, match="executor_params"):
        config(executor="process", executor_params={"bogus": 1}).validate()
