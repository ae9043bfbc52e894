"""One Registry type for every name -> object table, one error for every unknown name, and
researchers' own fitnesses and executors named in an experiment."""
from __future__ import annotations

import dataclasses
from collections import deque
from pathlib import Path

import pytest

from evodeap.cli import main
from evodeap.config.settings import ExperimentConfig
from evodeap.data.tasks import TASKS
from evodeap.engine.loop import evolve
from evodeap.errors import ConfigError, UnknownNameError
from evodeap.evaluation.api import EvalResult
from evodeap.execution.executors import EXECUTORS, Executor, SerialExecutor, make_executor
from evodeap.fitness import FITNESSES, make_fitness
from evodeap.fitness.landscape import LandscapeFitness
from evodeap.operators.registry import CROSSOVERS, MUTATIONS, SCHEDULES, SELECTIONS
from evodeap.registry import Registry
from evodeap.config.resolve import plan_run
from evodeap.runs.lifecycle import run

ALL = {"crossover": CROSSOVERS, "mutation": MUTATIONS, "selection": SELECTIONS, "schedule": SCHEDULES,
       "fitness": FITNESSES, "executor": EXECUTORS, "task": TASKS}


def small(**changes) -> ExperimentConfig:
    return dataclasses.replace(ExperimentConfig(population_size=6, generations=2, seed=3), **changes)


@pytest.fixture
def scratch_registries(monkeypatch):
    """Registrations made by a test vanish with it."""
    for registry in (FITNESSES, EXECUTORS):
        monkeypatch.setattr(registry, "_items", dict(registry._items))


@pytest.mark.parametrize("family", ALL)
def test_every_table_is_a_registry_with_the_same_unknown_name_error(family):
    registry = ALL[family]
    assert isinstance(registry, Registry) and registry.family == family
    with pytest.raises(UnknownNameError) as info:
        registry.get("no-such-name")
    assert str(info.value) == f"unknown {family} 'no-such-name'; known: {', '.join(registry.names())}"


def test_built_in_names():
    assert FITNESSES.names() == ["fcnet", "hpobench_nn", "keras", "landscape", "lcbench", "nasbench201"]
    assert EXECUTORS.names() == ["process", "ray", "serial", "simulated"]
    assert TASKS.names() == ["digit", "digits", "digits+direction", "direction", "exits"]


@pytest.mark.parametrize("changes, message", [
    ({"fitness": "bogus"}, "unknown fitness 'bogus'; known: fcnet, hpobench_nn, keras, landscape, lcbench, nasbench201"),
    ({"executor": "bogus"}, "unknown executor 'bogus'; known: process, ray, serial"),
    ({"crossover": "bogus"}, "unknown crossover 'bogus'; known: one_point, two_point, uniform"),
    ({"survival": "bogus"}, "unknown selection 'bogus'; known: aging, best, boltzmann, nsga2, tournament"),
    ({"mutation_rate": {"name": "bogus"}}, "unknown schedule 'bogus'; known: constant, convergence"),
])
def test_validate_checks_every_name(changes, message):
    with pytest.raises(UnknownNameError, match=message.replace("(", r"\(")):
        small(**changes).validate()


def test_a_fitness_that_is_neither_name_nor_callable_is_a_config_error():
    with pytest.raises(ConfigError, match="fitness must be a registered name or a callable"):
        small(fitness=3).validate()


@dataclasses.dataclass(frozen=True)
class ConstantFitness:
    value: float = 0.5

    def __call__(self, genome, context):
        return EvalResult(fitness=(self.value,), seed=context.seed)


def test_a_registered_fitness_is_named_in_a_config(scratch_registries):
    FITNESSES.register("constant")(ConstantFitness)
    config = small(fitness="constant", fitness_params={"value": 0.25}).validate()
    result = evolve(config)
    assert {r.result.fitness for r in result.evaluations} == {(0.25,)}
    assert config.to_dict()["fitness"] == "constant"
    assert make_fitness("landscape", noise=0.1) == LandscapeFitness(noise=0.1)


def test_bad_fitness_params_are_refused_before_the_run_directory_is_written(tmp_path, scratch_registries):
    FITNESSES.register("constant")(ConstantFitness)
    with pytest.raises(ConfigError, match="bad parameters for fitness 'constant'"):
        run(small(fitness="constant", fitness_params={"colour": 1}), tmp_path / "run")
    assert not (tmp_path / "run").exists()


def test_cli_refuses_unknown_fitness_and_bad_fitness_params_without_writing(tmp_path, capsys):
    demo = str(Path(__file__).resolve().parents[1] / "experiments" / "landscape_demo.py")
    for setting, message in (("fitness=bogus", "unknown fitness 'bogus'; known: fcnet, hpobench_nn, keras, landscape, lcbench, nasbench201"),
                             ("fitness_params.colour=1", "bad parameters for fitness 'landscape'")):
        out = tmp_path / setting.split("=")[0]
        assert main(["run", demo, "--set", setting, "--out", str(out)]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and message in err
        assert not out.exists()


class CountingExecutor(SerialExecutor):
    """A researcher's executor: serial, counting the evaluations it runs."""

    runs: list[int] = []

    def __init__(self, workers: int = 1, label: str = "") -> None:
        super().__init__(workers)
        self.label = label

    def imap_queue(self, fn, queue: deque, on_lost=None):
        for tag, result in super().imap_queue(fn, queue):
            CountingExecutor.runs.append(tag)
            yield tag, result


def test_a_registered_executor_is_named_in_a_config(scratch_registries):
    EXECUTORS.register("counting")(CountingExecutor)
    CountingExecutor.runs = []
    result = evolve(small(executor="counting", executor_params={"label": "mine"}).validate())
    assert len(CountingExecutor.runs) == len(result.evaluations) > 0
    with pytest.raises(ConfigError, match=r"executor_params \['colour'\] are not taken by the counting executor; "
                                          r"it takes \['label'\]"):
        small(executor="counting", executor_params={"colour": 1}).validate()
    assert isinstance(make_executor("counting", 2, label="x"), Executor)


def test_resolution_gives_the_objects_the_engine_uses():
    ops = plan_run(small(selection="tournament", selection_params={"tournsize": 2}).validate())
    assert ops.mate is CROSSOVERS.get("one_point") and ops.select is SELECTIONS.get("tournament")
    assert ops.survive is None and isinstance(ops.fitness, LandscapeFitness)
    assert ops.objectives.weights == (1.0,) and ops.objectives.failure == (-1.0,)
    assert ops.individual.fitness.weights == (1.0,)
