"""The standard offline benchmarks as fitnesses: the package's own values, spaces that cover
each benchmark exactly, cost in the benchmark's units, determinism, and runs end to end."""
from __future__ import annotations

import itertools
import json
import sqlite3
from pathlib import Path

import numpy as np
import pytest

from evodeap.cli import main
from evodeap.config.settings import ExperimentConfig
from evodeap.domains import Choice
from evodeap.engine.loop import evolve
from evodeap.errors import ConfigError
from evodeap.evaluation.api import EvalContext, run_evaluation
from evodeap.evaluation.curves import should_terminate
from evodeap.fitness import FITNESSES, make_fitness
from evodeap.fitness.benchmarks import PROBLEMS, fcnet, hpobench, lcbench, nasbench201
from evodeap.fitness.benchmarks.tabular import load_benchmark, row_key
from evodeap.genome.genome import Genome
from evodeap.testing import check_json_round_trip, check_mutation, check_sampling

ROOT = Path(__file__).resolve().parents[2]
TABULAR = [
    ("nasbench201", "cifar10", "NASBench201", nasbench201),
    ("hpobench_nn", "car", "HPOBench", hpobench),
    ("fcnet", "protein_structure", "HPOLib", fcnet),
]
SPACES = {"nasbench201": nasbench201.nasbench201_space, "hpobench_nn": hpobench.hpobench_space,
          "fcnet": fcnet.fcnet_space}
TO_GENOME = {"nasbench201": nasbench201.nasbench201_genome, "hpobench_nn": hpobench.hpobench_genome,
             "fcnet": fcnet.fcnet_genome}
TO_CONFIG = {"nasbench201": nasbench201.nasbench201_config, "hpobench_nn": hpobench.hpobench_config,
             "fcnet": fcnet.fcnet_config}


def table_configs(benchmark: str, dataset: str, n: int, seed: int = 0) -> list[dict]:
    """``n`` configurations drawn from the package's search space (every choice list)."""
    space = load_benchmark(benchmark, dataset).search_space
    rng = np.random.default_rng(seed)
    return [{name: choices[int(rng.integers(len(choices)))] for name, choices in space.items()} for _ in range(n)]


def test_the_four_benchmarks_are_registered_fitnesses():
    assert {"nasbench201", "hpobench_nn", "fcnet", "lcbench"} <= set(FITNESSES.names())
    assert isinstance(make_fitness("nasbench201", dataset="cifar100"), nasbench201.NASBench201Fitness)
    with pytest.raises(ConfigError, match="unknown dataset 'mnist'"):
        make_fitness("hpobench_nn", dataset="mnist")
    with pytest.raises(ConfigError, match="unknown task"):
        make_fitness("lcbench", task="1")
    with pytest.raises(ConfigError, match="epochs must be an integer"):
        make_fitness("lcbench", epochs=53)


def test_problems_list_every_benchmark_and_data_set():
    names = PROBLEMS.names()
    assert len(names) == 3 + 8 + 4 + 34
    for name in ("nasbench201/imagenet", "hpobench_nn/credit_g", "fcnet/naval_propulsion", "lcbench/189906"):
        problem = PROBLEMS.get(name)
        fitness = make_fitness(problem.fitness, **problem.fitness_params)
        genome = problem.space().sample_genome(np.random.default_rng(0))
        assert run_evaluation(fitness, genome, EvalContext(seed=3)).ok


def test_nasbench201_gives_the_packages_best_cell():
    table = load_benchmark("NASBench201", "cifar10")
    key = max(table._dataset, key=lambda k: np.mean(table._dataset[k]["val_acc"]))
    ops = table.search_space["Op0"]
    config = {f"Op{i}": ops[int(d)] for i, d in enumerate(key)}
    fitness = nasbench201.NASBench201Fitness("cifar10")
    result = fitness(nasbench201.nasbench201_genome(config), EvalContext(seed=11))
    assert round(result.metrics["val_accuracy_mean"], 3) == 91.607
    assert result.metrics["best_val_accuracy_mean"] == result.metrics["val_accuracy_mean"]
    table.reseed(11)
    package = table(config)
    assert result.fitness == (package["val_acc"],) and result.metrics["val_accuracy"] == package["val_acc"]
    assert result.extra["train_flops"] == package["train_time"] > 0
    assert result.extra["cost_unit"] == "recorded training seconds"


@pytest.mark.parametrize("name, dataset, benchmark, module", TABULAR, ids=[t[0] for t in TABULAR])
def test_tabular_values_are_the_packages_and_deterministic(name, dataset, benchmark, module):
    fitness = make_fitness(name, dataset=dataset)
    table = load_benchmark(benchmark, dataset)
    for seed, config in enumerate(table_configs(benchmark, dataset, 20)):
        genome = TO_GENOME[name](config)
        result = fitness(genome, EvalContext(seed=seed))
        table.reseed(seed)
        package = table(config)
        main = fitness.main_metric
        assert result.metrics[fitness.main_name] == package[main]
        assert result.fitness == ((package[main],) if fitness.maximise else (-package[main],))
        assert result.extra["train_flops"] == package["train_time"]
        assert fitness(genome, EvalContext(seed=seed)).to_dict() == result.to_dict()
        assert result.fitness > fitness.failure_fitness
        runs = table._dataset[row_key(table.search_space, config)][main]
        assert result.metrics[f"{fitness.main_name}_mean"] == pytest.approx(np.mean(runs))
    genome = TO_GENOME[name](table_configs(benchmark, dataset, 1, seed=5)[0])
    drawn = {fitness(genome, EvalContext(seed=s)).extra["recorded_run"] for s in range(40)}
    assert len(drawn) > 1  # the seed chooses among the recorded runs


@pytest.mark.parametrize("name, dataset, benchmark, module", TABULAR, ids=[t[0] for t in TABULAR])
def test_tabular_spaces_cover_the_benchmark_exactly(name, dataset, benchmark, module):
    space = SPACES[name]()
    choices = load_benchmark(benchmark, dataset).search_space
    domains = {path: space.domain(path) for path in space.gene_paths()}
    if name == "nasbench201":
        assert domains == {"nb201_edge.op": Choice(tuple(choices["Op0"]))}
        assert all(choices[f"Op{i}"] == choices["Op0"] for i in range(6))
        assert space.min_layers == space.max_layers == 6
    elif name == "hpobench_nn":
        assert {k: d for k, d in domains.items() if "." not in k} == {
            k: Choice(tuple(v)) for k, v in choices.items() if k != "depth"}
        assert (space.min_layers, space.max_layers) == (min(choices["depth"]), max(choices["depth"]))
    else:
        for field, prefix in fcnet.LAYER_FIELDS.items():
            assert domains[f"fcnet_layer.{field}"] == Choice(tuple(choices[f"{prefix}_1"])) == Choice(
                tuple(choices[f"{prefix}_2"]))
        assert {k: d for k, d in domains.items() if "." not in k} == {k: Choice(tuple(choices[k])) for k in fcnet.SHARED}
        assert space.min_layers == space.max_layers == 2
    for config in table_configs(benchmark, dataset, 200, seed=1):
        genome = TO_GENOME[name](config)
        assert space.contains(genome), space.violations(genome)
        back = Genome.from_json(genome.to_json())
        assert back == genome and back.key() == genome.key()
        assert TO_CONFIG[name](back) == config
    rng = np.random.default_rng(2)
    table = load_benchmark(benchmark, dataset)
    for _ in range(100):  # every genome of the space is a configuration of the table
        assert row_key(table.search_space, TO_CONFIG[name](space.sample_genome(rng))) in table._dataset


def test_a_genome_of_another_space_is_a_recorded_error():
    genome = hpobench.hpobench_genome(table_configs("HPOBench", "car", 1)[0])
    result = run_evaluation(make_fitness("nasbench201"), genome, EvalContext(seed=0))
    assert result.status == "error" and "NAS-Bench-201 genome is 6 nb201_edge genes" in result.message


LCBENCH_CONFIG = {"num_layers": 3, "batch_size": 64, "learning_rate": 1e-2, "momentum": 0.9,
                  "weight_decay": 1e-3, "max_units": 256, "max_dropout": 0.2}


def direct_surrogate(task: str, epoch: int, config: dict) -> list[float]:
    """The surrogate queried as the shared README does, without evodeap's code."""
    import onnxruntime

    data = ROOT / "evodeap" / "fitness" / "benchmarks" / "data" / "lcbench"
    session = onnxruntime.InferenceSession(str(data / "model.onnx"), providers=["CPUExecutionProvider"])
    code = json.loads((data / "encoding.json").read_text())["OpenML_task_id"]
    x_cont = np.array([[epoch, config["batch_size"], config["learning_rate"], config["momentum"],
                        config["weight_decay"], config["num_layers"], config["max_units"], config["max_dropout"]]],
                      np.float32)
    return [float(v) for v in session.run(None, {"x_cat": np.array([[code[task]]], np.int32),
                                                 "x_cont": x_cont})[0][0]]


def test_lcbench_gives_the_surrogates_values_and_cost():
    fitness = make_fitness("lcbench", task="167168")
    genome = lcbench.lcbench_genome(LCBENCH_CONFIG)
    result = fitness(genome, EvalContext(seed=0))
    time_s, val_acc, val_ce, val_bacc, test_ce, test_bacc = direct_surrogate("167168", 52, LCBENCH_CONFIG)
    assert result.fitness == pytest.approx((val_acc,), rel=1e-6)
    assert result.metrics["test_balanced_accuracy"] == pytest.approx(test_bacc, rel=1e-6)
    assert result.metrics["val_cross_entropy"] == pytest.approx(val_ce, rel=1e-6)
    assert result.extra["train_seconds"] == pytest.approx(time_s, rel=1e-6)
    assert result.extra["train_flops"] == result.extra["epochs_run"] == 52 and len(result.extra["val_curve"]) == 52
    assert result.metrics["best_val_accuracy_sampled"] >= result.metrics["worst_val_accuracy_sampled"]
    assert fitness(genome, EvalContext(seed=99)).to_dict() == {**result.to_dict(), "seed": 99}


def test_lcbench_continuation_costs_only_the_new_epochs():
    fitness = make_fitness("lcbench", task="189906")
    genome = lcbench.lcbench_genome(LCBENCH_CONFIG)
    low = fitness(genome, EvalContext(seed=1, budget=8, return_weights=True))
    assert low.extra["epochs_run"] == 8 and low.weights is not None
    more = fitness(genome, EvalContext(seed=1, budget=24, weights=low.weights, trained_epochs=8))
    full = fitness(genome, EvalContext(seed=1, budget=24))
    assert more.fitness == full.fitness and more.extra["epochs_run"] == 16
    assert more.extra["train_seconds"] == pytest.approx(full.extra["train_seconds"] - low.extra["train_seconds"],
                                                        rel=1e-5)
    assert more.extra["train_flops"] == full.extra["train_flops"] - low.extra["train_flops"] == 16
    other = lcbench.lcbench_genome({**LCBENCH_CONFIG, "num_layers": 4})  # a parent's state is not a start
    fresh = fitness(other, EvalContext(seed=1, budget=24, weights=low.weights, trained_epochs=8))
    assert fresh.extra["epochs_run"] == 24


def test_lcbench_early_termination_stops_on_the_curve():
    fitness = make_fitness("lcbench", task="167168")
    genome = lcbench.lcbench_genome(LCBENCH_CONFIG)
    curve = fitness(genome, EvalContext(seed=0, budget=40)).extra["val_curve"]
    first = next(e for e in range(1, 41) if should_terminate(curve[:e], 40 - e, 101.0, 3))
    stopped = fitness(genome, EvalContext(seed=0, budget=40, stop_threshold=101.0, stop_min_epochs=3))
    assert stopped.extra["terminated_early"] and stopped.extra["epochs_run"] == first < 40
    assert stopped.extra["val_curve"] == curve[:first]
    assert stopped.fitness == (stopped.extra["val_curve"][-1],)
    kept = fitness(genome, EvalContext(seed=0, budget=40, stop_threshold=0.0))
    assert not kept.extra["terminated_early"] and kept.extra["epochs_run"] == 40


def test_lcbench_space_is_the_surrogates():
    space = lcbench.lcbench_space()
    records = lcbench.config_space()
    assert (space.min_layers, space.max_layers) == (records["num_layers"]["lower"], records["num_layers"]["upper"])
    for name in lcbench.SHARED:
        domain, record = space.hyperparameters[name], records[name]
        assert (domain.low, domain.high, domain.log) == (record["lower"], record["upper"], record["log"])
    assert len(lcbench.tasks()) == 34
    rng = np.random.default_rng(0)
    for _ in range(50):
        genome = space.sample_genome(rng)
        config = lcbench.lcbench_config(genome)
        back = Genome.from_json(genome.to_json())
        assert lcbench.lcbench_config(back) == config and lcbench.lcbench_genome(config) == genome.plain()


@pytest.mark.parametrize("kind", ["nb201_edge", "shared_dense", "fcnet_layer"])
def test_benchmark_kinds_pass_the_contract_without_keras(kind):
    check_sampling(kind)
    check_json_round_trip(kind)
    check_mutation(kind)


def test_evolve_on_a_benchmark_records_its_cost_and_repeats():
    config = ExperimentConfig(name="nb", space=nasbench201.nasbench201_space(), fitness="nasbench201",
                              fitness_params={"dataset": "cifar10"}, population_size=8, generations=3, seed=4)
    first, again = evolve(config), evolve(config)
    assert all(r.result.ok for r in first.evaluations)
    spent = sum(r.result.extra["train_flops"] for r in first.evaluations)
    assert first.logbook[-1]["train_flops_total"] == pytest.approx(spent) and spent > 0
    def outcome(run):  # everything but the wall-clock time
        return [{**r.result.to_dict(), "wall_time": None} for r in run.evaluations]

    assert outcome(first) == outcome(again)


def test_multi_fidelity_on_lcbench_continues_trainings():
    config = ExperimentConfig(name="lc", space=lcbench.lcbench_space(), fitness="lcbench",
                              fitness_params={"task": "167168"}, population_size=9, generations=1, seed=1,
                              multi_fidelity={"min_budget": 4, "eta": 3, "max_budget": 36})
    records = evolve(config).evaluations
    continued = [r.result.extra for r in records if r.result.extra.get("started_from") == "own"]
    assert continued and all(e["epochs_run"] == e["budget"] - e["budget"] // 3 for e in continued)


def test_benchmark_demo_runs_from_the_cli(tmp_path):
    out = tmp_path / "run"
    assert main(["run", str(ROOT / "experiments" / "benchmark_demo.py"), "--out", str(out), "--quiet",
                 "--set", "generations=2", "--set", "population_size=6",
                 "--set", "fitness_params.dataset=cifar100"]) == 0
    with sqlite3.connect(out / "results.sqlite") as db:
        tables = {row[0] for row in db.execute("select name from sqlite_master where type='table'")}
    assert "evaluations" in tables
    config = json.loads((out / "config.json").read_text())
    assert "cifar100" in json.dumps(config)
    assert list(itertools.islice((out / "logbook.csv").read_text().splitlines(), 1))[0].endswith("train_flops_total")
