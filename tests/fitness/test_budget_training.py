"""Budgets, continuation, inheritance and early termination in real (tiny) Keras trainings and runs."""
from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from fitness_fixtures import cnn_genome, tiny_bundle, tiny_cnn_space

from evodeap.config.settings import ExperimentConfig
from evodeap.evaluation.api import EvalContext, run_evaluation
from evodeap.evaluation.fidelity import with_multi_fidelity
from evodeap.fitness import KerasFitness
from evodeap.genome.genes import ConvBlock, DenseLayer
from evodeap.genome.genome import Genome
from evodeap.runs.lifecycle import RunInterrupted, resume, run
from evodeap.evaluation.weights import WeightStore


@pytest.fixture(scope="module")
def fitness():
    return KerasFitness(tiny_bundle("multiclass"), robustness_weight=0.0, perturbation=None)


def evaluate(fitness, genome, **context):
    return run_evaluation(fitness, genome, EvalContext(seed=5, **context))


def test_budget_overrides_the_epochs_gene_and_continuation_trains_only_the_difference(fitness):
    genome = cnn_genome(epochs=1)
    first = evaluate(fitness, genome, budget=2, return_weights=True)
    assert first.ok and first.extra["epochs_run"] == 2 and first.extra["epochs_total"] == 2
    assert first.weights and "weights" not in first.to_dict()
    more = evaluate(fitness, genome, budget=5, weights=first.weights, weights_genome=genome.to_dict(),
                    trained_epochs=2)
    assert more.ok and more.extra["epochs_run"] == 3 and more.extra["epochs_total"] == 5
    assert more.extra["continued_from_epochs"] == 2
    # accounting counts this evaluation's epochs; the cost term T covers the whole training
    assert more.extra["train_flops"] == pytest.approx(first.extra["train_flops"] * 3 / 2)
    scratch = evaluate(fitness, genome, budget=5)
    assert more.components["T"] == pytest.approx(scratch.components["T"])


def test_inherited_weights_change_the_start(fitness):
    parent = cnn_genome()
    trained = evaluate(fitness, parent, budget=3, return_weights=True)
    child = Genome([ConvBlock(4, 3, "relu", "max"), DenseLayer(6, "relu")], parent.hyperparameters, family="cnn")
    inherited = evaluate(fitness, child, weights=trained.weights, weights_genome=parent.to_dict())
    assert inherited.extra["inherited_layers"] == ["conv_0"]
    assert set(inherited.extra["fresh_layers"]) == {"dense_1", "head"}
    fresh = evaluate(fitness, child)
    assert inherited.extra["losses"] != fresh.extra["losses"]


def test_early_termination_stops_a_curve_that_cannot_reach_the_threshold(fitness):
    genome = cnn_genome()
    stopped = evaluate(fitness, genome, budget=5, stop_threshold=10.0)  # beyond any bound v_e + remaining·s ≤ 1 + 3
    assert stopped.ok and stopped.extra["terminated_early"] is True
    assert stopped.extra["epochs_run"] == 2 and len(stopped.extra["val_curve"]) == 2
    kept = evaluate(fitness, genome, budget=5, stop_threshold=-1.0)
    assert kept.extra["terminated_early"] is False and kept.extra["epochs_run"] == 5
    assert stopped.extra["val_curve"] == kept.extra["val_curve"][:2]  # same training until the stop
    plain = evaluate(fitness, genome, budget=5)
    assert "terminated_early" not in plain.extra and plain.extra["epochs_run"] == 5


# -- runs ------------------------------------------------------------------------------------
SPACE = tiny_cnn_space()


def tiny_run_config(**changes) -> ExperimentConfig:
    return ExperimentConfig(
        name="tiny", space=SPACE, population_size=4, generations=2, seed=2, cxpb=0.5,
        fitness=KerasFitness(tiny_bundle("multiclass"), robustness_weight=0.0, perturbation=None),
        mutation_rate={"name": "constant", "value": 0.3}, **changes)


def comparable_rows(result):
    return [{k: v for k, v in row.items() if k != "elapsed"} for row in result.logbook]


def test_inheritance_run_keeps_weights_of_the_living_and_resumes_exactly(tmp_path):
    config = tiny_run_config(inheritance=True)
    whole = run(config, tmp_path / "whole")
    store = WeightStore(tmp_path / "whole" / "weights")
    assert store.keys() == {ind.key() for ind in whole.population}
    inherited = [r for r in whole.evaluations if r.result.extra.get("started_from") == "parent"]
    assert inherited and all("inherited_layers" in r.result.extra for r in inherited)

    seen = []

    def stop_in_generation_2(record):
        seen.append(record)
        if record.generation == 2:
            raise KeyboardInterrupt

    with pytest.raises(RunInterrupted):
        run(config, tmp_path / "cut", on_evaluation=stop_in_generation_2)
    resumed = resume(tmp_path / "cut", config)
    assert comparable_rows(resumed) == comparable_rows(whole)
    assert WeightStore(tmp_path / "cut" / "weights").keys() == store.keys()
    for key in store.keys():
        a, _ = store.get(key)
        b, _ = WeightStore(tmp_path / "cut" / "weights").get(key)
        assert a == b


def test_multi_fidelity_with_inheritance_and_early_termination_in_a_run(tmp_path):
    config = with_multi_fidelity(tiny_run_config(inheritance=True, early_termination={"top_k": 1, "min_epochs": 2}),
                                 min_budget=2, eta=2, max_budget=4)
    config = dataclasses.replace(config, generations=1, population_size=2, elitism=0)
    result = run(config, tmp_path / "mf")
    by_gen = [r for r in result.evaluations if r.generation == 0]
    budgets = sorted(r.result.extra["budget"] for r in by_gen)
    assert budgets.count(2) == 4 and budgets.count(4) == 2
    continued = [r for r in by_gen if r.result.extra["budget"] == 4 and r.result.ok]
    assert continued and all(r.result.extra.get("continued_from_epochs") for r in continued)
    assert all(r.result.extra["epochs_run"] <= r.result.extra["budget"] // 2 for r in continued)
    later = [r for r in result.evaluations if r.generation == 1 and r.result.extra["budget"] == 2]
    assert any(r.result.extra.get("started_from") == "parent" for r in later)
    # early termination ran with a threshold in generation 1 (top-1 of generation 0's rung-4 results)
    rung4 = [r for r in result.evaluations if r.generation == 1 and r.result.extra["budget"] == 4 and r.result.ok]
    assert all("val_curve" in r.result.extra for r in rung4)
    assert np.all([r.result.extra["epochs_total"] <= 4 for r in result.evaluations if r.result.ok])


def test_efficient_search_experiment_runs_from_the_command_line(tmp_path, capsys):
    from pathlib import Path

    from evodeap.cli import main
    from evodeap.results.queries import compute_per_generation
    from evodeap.results.storage import ResultsDB

    experiment = Path(__file__).resolve().parents[2] / "experiments" / "efficient_search.py"
    out = tmp_path / "efficient"
    code = main(["run", str(experiment), "--out", str(out), "--quiet", "--set", "generations=1",
                 "--set", "population_size=2", "--set", "multi_fidelity.max_budget=2",
                 "--set", "space.epochs.low=2", "--set", "space.epochs.high=2"])
    assert code == 0, capsys.readouterr().err
    with ResultsDB(out / "results.sqlite") as db:
        rows = list(db.iter_evaluations())
    # generation 0 fills 2 places: 4 candidates at 1 epoch, the better 2 continue to 2;
    # generation 1 fills 1 (one elite): 2 candidates, the better one continues
    assert len(rows) == 6 + 3
    assert [r.extra["budget"] for _, _, _, r in rows].count(2) == 2 + 1
    spent = [sum(r.extra.get("epochs_run", 0) for g, _, _, r in rows if g == gen) for gen in (0, 1)]
    assert list(compute_per_generation(out)["epochs"]) == spent
    assert spent[0] <= 4 * 1 + 2 * (2 - 1) and spent[1] <= 2 * 1 + 1 * (2 - 1)
    assert (out / "weights").is_dir()
