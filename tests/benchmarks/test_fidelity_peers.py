"""The multi-fidelity peers on a suite problem with a fidelity (evodeap.benchmarks.fidelity_peers):
one adapter, the same cost accounting as every other method, and no change for the others."""
from __future__ import annotations

import csv
import dataclasses
import json
import math
import os
import sys
from pathlib import Path

import pytest

from evodeap.baselines import dehb_driver
from evodeap.benchmarks.analysis import anytime_curves, build_grid, paired_tests, rank_groups, ranks_at
from evodeap.benchmarks.fidelity_peers import MF_PEERS, EpochsGeneFitness, fidelity_space
from evodeap.benchmarks.jobs import JobResult, read_job
from evodeap.benchmarks.report import write_report
from evodeap.benchmarks.methods import PEERS
from evodeap.benchmarks.problem import METHODS, SuiteProblem, runs_on, suite_problem
from evodeap.benchmarks.suite import pending_jobs, run_job, run_suite
from evodeap.errors import ConfigError
from evodeap.evaluation.api import EvalContext
from evodeap.fitness.benchmarks.lcbench import lcbench_genome
from evodeap.genome.genome import Genome
from evodeap.genome.space import Integer, SearchSpace

#: an LCBench problem of the standard suite at a tiny budget (epochs)
BUDGET = 150.0
LCBENCH = suite_problem("lcbench/167168", budget=BUDGET)
#: a problem without a fidelity (its fitness is never called here)
TABULAR = SuiteProblem("toy/tabular", "landscape", {}, SearchSpace(family="cnn"), budget=10.0, score_metric="v")
CONFIG = {"num_layers": 3, "batch_size": 64, "learning_rate": 0.01, "momentum": 0.9, "weight_decay": 1e-4,
          "max_units": 256, "max_dropout": 0.2}

#: DEHB's stand-in worker where no DEHB Python is configured: the same JSON-lines protocol,
#: configurations from ConfigSpace's sampler, fidelities cycling 2, 6, 17, 52.
STAND_IN = '''
import json, sys
sys.path.insert(0, {here!r})
from evodeap.baselines.dehb_worker import configspace
setup = json.loads(sys.stdin.readline())
cs = configspace(setup["parameters"], setup["seed"])
for k, config in enumerate(cs.sample_configuration(1000)):
    values = {{n: (v.item() if hasattr(v, "item") else v) for n, v in dict(config).items()}}
    print(json.dumps({{"config": values, "fidelity": [2.0, 6.0, 17.0, 52.0][k % 4]}}), flush=True)
    if json.loads(sys.stdin.readline()).get("stop"):
        break
'''


@pytest.fixture
def dehb_python(tmp_path, monkeypatch):
    """The configured DEHB Python, else the stand-in worker run by this Python."""
    if os.environ.get(dehb_driver.DEHB_PYTHON_VARIABLE):
        return "dehb"
    script = tmp_path / "worker.py"
    script.write_text(STAND_IN.format(here=str(Path(dehb_driver.__file__).resolve().parents[2])))
    monkeypatch.setattr(dehb_driver, "WORKER", script)
    monkeypatch.setenv(dehb_driver.DEHB_PYTHON_VARIABLE, sys.executable)
    return "stand-in"


def test_the_adapter_space_is_the_problems_space_plus_an_epochs_gene():
    space = fidelity_space(LCBENCH)
    assert space.hyperparameters == {**LCBENCH.space.hyperparameters, "epochs": Integer(1, 52)}
    assert (space.family, space.layers, space.min_layers, space.max_layers) == (
        LCBENCH.space.family, LCBENCH.space.layers, LCBENCH.space.min_layers, LCBENCH.space.max_layers)
    assert "epochs" not in LCBENCH.space.hyperparameters  # the problem's own space is unchanged
    with pytest.raises(ConfigError, match="has no fidelity"):
        fidelity_space(TABULAR)
    with pytest.raises(ConfigError, match="already has an 'epochs' gene"):
        fidelity_space(dataclasses.replace(LCBENCH, space=space))


def test_the_adapter_fitness_trains_to_the_gene_and_continues_the_problems_own_training():
    fitness = LCBENCH.make_fitness()
    adapted = EpochsGeneFitness(fitness)
    plain = lcbench_genome(CONFIG)
    with_gene = Genome(plain, {**plain.hyperparameters, "epochs": 9}, family=plain.family)
    at_9 = adapted(with_gene, EvalContext(seed=1, return_weights=True))
    direct = fitness(plain, EvalContext(seed=1, budget=9))
    assert at_9.fitness == direct.fitness and at_9.extra["train_flops"] == 9.0 == at_9.extra["epochs_total"]
    assert adapted(with_gene, EvalContext(seed=1, budget=3)).extra["epochs_total"] == 3  # a budget comes first
    assert adapted(plain, EvalContext(seed=1)).extra["epochs_total"] == 52  # no gene: the full fidelity
    # continuing from its own 9-epoch state to 27 epochs costs 18 epochs, as evodeap's own rungs do
    at_27 = Genome(plain, {**plain.hyperparameters, "epochs": 27}, family=plain.family)
    continued = adapted(at_27, EvalContext(seed=1, weights=at_9.weights, trained_epochs=9))
    assert continued.extra["train_flops"] == 18.0 and continued.extra["epochs_total"] == 27
    assert continued.fitness == fitness(plain, EvalContext(seed=1, budget=27)).fitness
    assert (adapted.n_objectives, adapted.failure_fitness) == (fitness.n_objectives, fitness.failure_fitness)


@pytest.mark.parametrize("name", sorted(MF_PEERS))
def test_each_multi_fidelity_peer_respects_the_budget_and_its_costs_are_the_epochs_it_trained(name, dehb_python):
    records = METHODS.get(name)(LCBENCH, 0)
    costs = [r.result.extra["train_flops"] for r in records]
    assert sum(costs[:-1]) < BUDGET <= sum(costs)  # the evaluation that crosses the budget is the last
    assert all(r.result.ok and r.result.extra["epochs_run"] == r.result.extra["train_flops"] for r in records)
    gene = [r.genome.hyperparameters["epochs"] for r in records]
    assert [r.result.extra["epochs_total"] for r in records] == gene  # trained to the epochs gene
    space = fidelity_space(LCBENCH)
    assert all(space.violations(r.genome) == [] for r in records)
    started = [g - c for g, c in zip(gene, costs)]  # epochs already trained on that genome
    if name == "dehb":  # every DEHB job trains from scratch
        assert started == [0] * len(records)
    else:  # a promotion continues from the same genome's own earlier training
        assert any(s > 0 for s in started) and min(started) == 0
        earlier: dict[str, int] = {}
        for record, start in zip(records, started):
            key = json.dumps({k: v for k, v in record.genome.hyperparameters.items() if k != "epochs"},
                             sort_keys=True) + str(len(record.genome))
            if start:
                assert earlier.get(key, 0) >= start
            earlier[key] = max(earlier.get(key, 0), record.genome.hyperparameters["epochs"])
    job = run_job(LCBENCH, name, 0)
    assert job.spent == sum(costs) and job.evaluations == len(records)


def test_the_dehb_suite_method_is_seeded(dehb_python):
    keys = [[r.genome.key() for r in METHODS.get("dehb")(LCBENCH, seed)] for seed in (0, 0, 1)]
    assert keys[0] == keys[1] and keys[0] != keys[2]


def test_full_fidelity_methods_search_the_problems_own_space():
    for name in ("random", "regularized_evolution", "optuna_tpe"):
        assert name in PEERS and runs_on(name, TABULAR)
        records = METHODS.get(name)(LCBENCH, 0)
        assert records and all(set(r.genome.hyperparameters) == set(LCBENCH.space.hyperparameters)
                               and LCBENCH.space.violations(r.genome) == [] for r in records)
        assert {r.result.extra["train_flops"] for r in records} == {52.0}  # every evaluation at full fidelity


def test_a_suite_runs_the_multi_fidelity_peers_only_where_there_is_a_fidelity(tmp_path):
    assert all(runs_on(name, LCBENCH) and not runs_on(name, TABULAR) for name in MF_PEERS)
    assert runs_on("random", TABULAR) and runs_on("evodeap_mf", TABULAR)
    assert [(p.name, m) for p, m, _ in pending_jobs(tmp_path, [TABULAR, LCBENCH], ["random", "smac_multi_fidelity"],
                                                     [0])] == [("toy/tabular", "random"), ("lcbench/167168", "random"),
                                                               ("lcbench/167168", "smac_multi_fidelity")]
    with pytest.raises(ConfigError, match="has no fidelity"):
        METHODS.get("optuna_tpe_hyperband")(TABULAR, 0)
    tiny = dataclasses.replace(LCBENCH, budget=20.0)
    results = run_suite(tmp_path, [TABULAR, tiny], ["optuna_tpe_hyperband"], [0], jobs=1)
    assert [(r.problem, r.method) for r in results] == [("lcbench/167168", "optuna_tpe_hyperband")]
    assert not (tmp_path / "jobs" / "toy__tabular").exists()
    assert read_job(tmp_path / "jobs" / "lcbench__167168" / "optuna_tpe_hyperband-0.json").spent >= 20.0


# -- the report when a method did not run on every problem -------------------------------------------
def _job(problem: str, method: str, seed: int, first: float, last: float) -> JobResult:
    return JobResult(problem, method, seed, 10.0, 10.0, 2, 0.1, ((1.0, first, first, math.nan),
                                                                 (5.0, last, last, math.nan)))


#: a, b and d ran everywhere, c (a multi-fidelity peer) only on p3 and p4; (first, final) score
SCORES = {"a": (0.2, 0.9), "b": (0.3, 0.5), "c": (0.1, 0.7), "d": (0.15, 0.6)}
PARTIAL = [_job(p, m, s, *SCORES[m]) for p in ("p1", "p2", "p3", "p4") for m in "abcd" for s in range(3)
           if m != "c" or p in ("p3", "p4")]


def test_a_method_that_ran_on_some_problems_is_ranked_on_those_problems_with_every_method_there():
    grid = build_grid(PARTIAL)
    assert grid.absent == {("p1", "c"), ("p2", "c")} and grid.seeds == (0, 1, 2)
    assert grid.methods_on() == ("a", "b", "d") and grid.methods_on(("p3",)) == ("a", "b", "c", "d")
    overall = ranks_at(grid)
    assert overall[1.0].methods == ("a", "b", "d") and overall[1.0].problems == 4
    assert overall[1.0].mean_ranks == (1.0, 3.0, 2.0)
    assert rank_groups(grid) == [("p3", "p4")]
    group = ranks_at(grid, problems=("p3", "p4"))
    assert group[1.0].methods == ("a", "b", "c", "d") and group[1.0].mean_ranks == (1.0, 4.0, 2.0, 3.0)
    assert group[0.25].mean_ranks == (2.0, 1.0, 4.0, 3.0) and group[0.25].problems == 2  # 25 %: first values only
    tested = {(row["problem"], row["method"]) for row in paired_tests(grid, "a")}
    assert tested == {(p, m) for p in ("p1", "p2", "p3", "p4") for m in "bcd" if m != "c" or p in ("p3", "p4")}
    assert set(anytime_curves(grid)) == {(p, m) for p in grid.problems for m in grid.methods_on((p,))}
    assert build_grid([j for j in PARTIAL if (j.problem, j.method, j.seed) != ("p3", "c", 1)]).seeds == (0, 2)


def test_the_report_ranks_the_group_again_and_marks_what_did_not_run(tmp_path):
    grid = build_grid(PARTIAL)
    written = {path.name for path in write_report(tmp_path, grid, "a")}
    assert {"suite_cd_100.png", "suite_cd_100_group1.png", "suite_cd_25_group1.png"} <= written
    rows = list(csv.DictReader((tmp_path / "ranks.csv").open()))
    assert {(r["method"], r["problems"]) for r in rows if r["budget_fraction"] == "1.0"} == {
        ("a", "4"), ("b", "4"), ("d", "4"), ("a", "2"), ("b", "2"), ("c", "2"), ("d", "2")}
    text = (tmp_path / "suite.md").read_text()
    assert "## Mean ranks on p3, p4: every method that ran there" in text and "| p1 | nan | nan | – | nan |" in text
    assert "c did not run on every problem" in text
