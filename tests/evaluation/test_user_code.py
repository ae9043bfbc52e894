"""User code that misbehaves quietly: it runs against copies, its outputs are made plain and
bounded before storage, process-wide state it changes does not leak into the run, and each
failure is recorded with its real cause (issue 25, §4)."""
from __future__ import annotations

import dataclasses
import json
import math
import os
import random
import sqlite3
import sys
import threading
import time

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evodeap.config.settings import ExperimentConfig
from evodeap.engine.loop import evolve
from evodeap.evaluation.api import EvalContext, EvalResult, run_evaluation
from evodeap.evaluation.plain import CIRCULAR, MAX_DEPTH, MAX_VALUES, TOO_DEEP, plain_json
from evodeap.execution.executors import ProcessExecutor, SerialExecutor
from evodeap.execution.global_random import GlobalRandom
from evodeap.execution.timeouts import call_with_timeout
from evodeap.fitness.landscape import landscape_value
from evodeap.runs.lifecycle import RunInterrupted, run

GENOME = ExperimentConfig().space.sample_genome(np.random.default_rng(0))


def small(**changes) -> ExperimentConfig:
    return dataclasses.replace(ExperimentConfig(population_size=6, generations=2, seed=5), **changes)


def stored(out) -> list[tuple]:
    with sqlite3.connect(out / "results.sqlite") as conn:
        return conn.execute("SELECT generation, idx, key, genome, status, message, fitness, extra "
                            "FROM evaluations ORDER BY generation, idx").fetchall()


# -- sys.exit and other BaseExceptions --------------------------------------------------------
def exiting_fitness(genome, context):
    if context.index == 1:
        sys.exit(3)
    return landscape_value(genome)


def interrupting_fitness(genome, context):
    if context.generation == 1:
        raise KeyboardInterrupt
    return landscape_value(genome)


def test_sys_exit_in_a_fitness_is_a_failed_evaluation_with_its_cause_and_the_run_finishes(tmp_path):
    out = tmp_path / "run"
    result = run(small(fitness=exiting_fitness), out)
    failed = [r.result for r in result.evaluations if not r.result.ok]
    assert failed and all(r.status == "error" and r.message.startswith("SystemExit(3) at ") for r in failed)
    assert "test_user_code.py" in failed[0].message and failed[0].fitness == (-1.0,)
    with sqlite3.connect(out / "results.sqlite") as conn:
        assert conn.execute("SELECT status FROM runs").fetchone()[0] == "finished"
        messages = [m for (m,) in conn.execute("SELECT message FROM evaluations WHERE status = 'error'")]
    assert messages and all(m.startswith("SystemExit(3)") for m in messages)


def test_a_keyboard_interrupt_in_a_fitness_still_stops_the_run(tmp_path):
    with pytest.raises(RunInterrupted):
        run(small(fitness=interrupting_fitness), tmp_path / "run")
    with sqlite3.connect(tmp_path / "run" / "results.sqlite") as conn:
        assert conn.execute("SELECT status FROM runs").fetchone()[0] == "interrupted"


class Unprintable(Exception):
    def __str__(self):
        raise RuntimeError("no")


class HugeMessage(Exception):
    def __str__(self):
        return "x" * 10_000_000


@pytest.mark.parametrize("exc, start", [
    (Unprintable(), "Unprintable: <Unprintable whose str() raised RuntimeError>"),
    (HugeMessage(), "HugeMessage: xxxx"),
    (GeneratorExit.__mro__[1]("a BaseException"), "BaseException: a BaseException"),
])
def test_any_exception_is_recorded_with_a_bounded_message(exc, start):
    def fitness(genome, context):
        raise exc

    result = run_evaluation(fitness, GENOME, EvalContext(seed=1))
    assert result.status == "error" and result.message.startswith(start) and len(result.message) < 5_000


# -- outputs: plain, bounded JSON --------------------------------------------------------------
class Opaque:
    def __str__(self):
        return "opaque"


def test_circular_deep_huge_and_odd_values_in_extra_are_normalised():
    loop: list = [1]
    loop.append(loop)
    table: dict = {"a": 1}
    table["self"] = table
    deep: list = []
    node = deep
    for _ in range(MAX_DEPTH + 50):
        node.append([])
        node = node[0]
    extra = {"loop": loop, "table": table, "deep": deep, "huge": 10**5000, "big": 2**70, "small": -(2**63),
             "nan": float("nan"), "inf": np.float32("inf"), "set": {3, 1, 2}, "object": Opaque(),
             "bytes": b"\x00", "numpy": np.arange(3), 7: "seven"}
    plain = plain_json(extra)
    text = json.dumps(plain)  # storable, and read back the same
    assert json.dumps(json.loads(text)) == text
    assert plain["loop"] == [1, CIRCULAR] and plain["table"] == {"a": 1, "self": CIRCULAR}
    assert plain["huge"] == "<integer of 16610 bits>" and plain["big"] == float(2**70) and plain["small"] == -(2**63)
    assert math.isnan(plain["nan"]) and plain["inf"] == math.inf and plain["set"] == [1, 2, 3]
    assert plain["object"] == "opaque" and plain["bytes"] == "b'\\x00'" and plain["numpy"] == [0, 1, 2]
    assert plain["7"] == "seven"
    depth, node = 0, plain["deep"]
    while isinstance(node, list) and node:
        node, depth = node[0], depth + 1
    assert node == TOO_DEEP and depth == MAX_DEPTH - 1


json_like = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=5), children, max_size=4)
    | st.frozensets(st.integers(), max_size=4) | st.tuples(children, children),
    max_leaves=30)


@settings(max_examples=200, deadline=None)
@given(json_like)
def test_plain_json_is_storable_json_and_a_fixed_point(value):
    plain = plain_json({"v": value})
    text = json.dumps(plain)
    assert json.dumps(plain_json(json.loads(text))) == text


def test_an_oversized_extra_fails_the_evaluation_saying_why():
    def fitness(genome, context):
        return EvalResult((0.5,), extra={"values": list(range(MAX_VALUES + 1))}, seed=context.seed)

    result = run_evaluation(fitness, GENOME, EvalContext(seed=1))
    assert result.status == "error" and f"extra holds more than {MAX_VALUES} values" in result.message


@pytest.mark.parametrize("returned, cause", [
    (EvalResult((0.5,), n_params=2**70), "n_params = 1180591620717411303424 is not a whole number in [0, 2**63)"),
    (EvalResult((0.5,), metrics={"m": 10**400}), "metrics['m'] is an integer of 1329 bits, too large to be a number"),
    ((10**400,), "the fitness value is an integer of 1329 bits, too large to be a number"),
])
def test_numbers_no_float_can_hold_are_refused_with_their_cause(returned, cause):
    result = run_evaluation(lambda genome, context: returned, GENOME, EvalContext(seed=1))
    assert result.status == "error" and cause in result.message


def odd_extra_fitness(genome, context):
    loop: list = []
    loop.append(loop)
    return EvalResult((landscape_value(genome),), seed=context.seed,
                      extra={"loop": loop, "huge": 10**5000, "lock": threading.Lock(), "fn": lambda: 1})


def test_a_run_stores_what_a_fitness_returns_in_extra_identically_serial_and_in_processes(tmp_path):
    run(small(fitness=odd_extra_fitness), tmp_path / "serial", executor=SerialExecutor())
    with ProcessExecutor(workers=2) as executor:
        run(small(fitness=odd_extra_fitness), tmp_path / "process", executor=executor)
    serial, process = stored(tmp_path / "serial"), stored(tmp_path / "process")
    assert {row[4] for row in serial} == {"ok"}
    assert [row[:7] for row in serial] == [row[:7] for row in process]
    extra = json.loads(serial[0][7])
    assert extra["loop"] == [CIRCULAR] and extra["huge"] == "<integer of 16610 bits>"
    assert extra["lock"].startswith("<unlocked _thread.lock")


def unpicklable_result(item):
    return lambda: item


def exiting_task(item):
    raise SystemExit(item)


def test_a_process_worker_reports_an_unpicklable_result_or_an_exit_and_lives_on():
    with ProcessExecutor(workers=1) as executor:
        lost = dict(executor.imap_unordered(unpicklable_result, [1, 2], on_lost=lambda item, message: message))
        exited = dict(executor.imap_unordered(exiting_task, [4], on_lost=lambda item, message: message))
        assert executor.started == 1  # never "worker died": the same worker did all three
    assert all(message.startswith("the worker could not evaluate it: ") for message in lost.values())
    assert all("pickle" in message for message in lost.values())
    assert exited == {0: "the worker could not evaluate it: SystemExit: 4"}


# -- copies: a fitness that edits its genome ---------------------------------------------------
def editing_fitness(genome, context):
    value = landscape_value(genome)
    genome.hyperparameters["learning_rate"] = 0.5  # edits what it was given
    genome.append(genome[0])
    genome.family = "edited"
    return EvalResult((value,), seed=context.seed)


def test_a_fitness_editing_its_genome_changes_nothing_stored_and_serial_equals_process(tmp_path):
    run(small(fitness=editing_fitness), tmp_path / "serial", executor=SerialExecutor())
    with ProcessExecutor(workers=2) as executor:
        run(small(fitness=editing_fitness), tmp_path / "process", executor=executor)
    serial, process = stored(tmp_path / "serial"), stored(tmp_path / "process")
    assert [row[:7] for row in serial] == [row[:7] for row in process]
    from evodeap.genome.genome import Genome

    for row in serial:
        genome = Genome.from_json(row[3])
        assert genome.key() == row[2] and genome.family != "edited"
    plain = evolve(small(fitness=lambda g, c: EvalResult((landscape_value(g),), seed=c.seed)))
    edited = evolve(small(fitness=editing_fitness))
    assert [(r.genome.key(), r.result.fitness) for r in plain.evaluations] == \
           [(r.genome.key(), r.result.fitness) for r in edited.evaluations]
    assert [ind.key() for ind in plain.population] == [ind.key() for ind in edited.population]


# -- process-wide state: the working directory and the random states --------------------------
def wandering_fitness(genome, context):
    os.makedirs("elsewhere", exist_ok=True)
    os.chdir("elsewhere")
    return landscape_value(genome)


def test_a_fitness_that_changes_folder_leaves_the_runs_relative_paths_working(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    run(small(fitness=wandering_fitness), "runs/relative")
    assert os.getcwd() == str(tmp_path)
    assert (tmp_path / "runs" / "relative" / "hall_of_fame.json").is_file()
    assert not (tmp_path / "elsewhere" / "elsewhere").exists()  # each evaluation started here


def test_an_abandoned_thread_cannot_restore_the_random_states_later():
    release = threading.Event()
    random.seed(1)
    np.random.seed(1)
    before = GlobalRandom().get_state()

    def reseed_then_block(item):
        random.seed(99)
        np.random.seed(99)
        os.chdir("/")
        release.wait()  # in native code when abandoned, as a TensorFlow kernel would be
        return item

    cwd = os.getcwd()
    from evodeap.evaluation.api import run_evaluation as _  # noqa: F401  (the isolation under test)
    from evodeap.execution.global_random import isolated_user_code

    def evaluation(item):
        with isolated_user_code():
            return reseed_then_block(item)

    assert call_with_timeout(evaluation, 1, 0.2) == (False, None)
    assert GlobalRandom().get_state() == before and os.getcwd() == cwd  # the master got its states back
    random.seed(7)  # the master goes on drawing
    np.random.seed(7)
    during = GlobalRandom().get_state()
    release.set()  # the thread wakes up, is stopped, and must not restore anything
    deadline = time.monotonic() + 5
    while any(t.name == "evodeap-evaluation" for t in threading.enumerate()) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert GlobalRandom().get_state() == during and os.getcwd() == cwd


class ReseedingFitness:
    """Reseeds the global states (as Keras does) and, for one evaluation of generation 1,
    outlives ``evaluation_timeout``: asleep in native code (``sleep``) or spinning in Python."""

    def __init__(self, sleep: bool) -> None:
        self.sleep = sleep

    def __call__(self, genome, context):
        random.seed(12345)
        np.random.seed(12345)
        if (context.generation, context.index) == (1, 0):
            if self.sleep:
                time.sleep(0.6)  # wakes while the master selects generation 2's parents
            while True:
                pass
        return landscape_value(genome)


def slow_tournament(individuals, k, tournsize=3):
    """DEAP's tournament (draws from the global ``random``), slowed so a thread that wakes
    during a selection would change its draws."""
    chosen = []
    for _ in range(k):
        time.sleep(0.1)
        aspirants = [random.choice(individuals) for _ in range(tournsize)]
        chosen.append(max(aspirants, key=lambda ind: ind.fitness.wvalues))
    return chosen


def test_same_seed_runs_with_abandoned_evaluations_are_identical():
    config = small(generations=3, evaluation_timeout=0.2, selection=slow_tournament)

    def evaluations(sleep: bool):
        result = evolve(config, fitness=ReseedingFitness(sleep), executor=SerialExecutor())
        return [(r.generation, r.index, r.genome.key(), r.result.status, r.result.fitness) for r in result.evaluations]

    reference = evaluations(sleep=False)  # abandoned at once: nothing can wake up later
    assert ("timeout" in {status for *_, status, _ in reference})
    for _ in range(3):
        assert evaluations(sleep=True) == reference
