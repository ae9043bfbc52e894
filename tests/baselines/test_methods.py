"""Every registered baseline (evodeap.baselines.methods): budget, compute, validity, seeds, failures."""
from __future__ import annotations

import sys

import pytest
from helpers_baselines import LANDSCAPE, SPACE, CostedFitness, EveryThirdRaises, keys

from evodeap.baselines import BASELINES, run_baseline
from evodeap.baselines.dehb_driver import DEHB_PYTHON_VARIABLE
from evodeap.errors import ConfigError, UnknownNameError
from evodeap.evaluation.api import evaluation_seed
from evodeap.fitness.landscape import landscape_value

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")  # keras_tuner's threading calls

#: Every baseline runnable in this environment; DEHB needs its own Python (tested in test_dehb_driver
#: with a stand-in worker, and here as well where ``EVODEAP_DEHB_PYTHON`` names one).
METHODS = [m for m in BASELINES if m != "dehb"] + (["dehb"] if DEHB_PYTHON_VARIABLE in __import__("os").environ else [])
SMALL = {"regularized_evolution": {"population_size": 4, "sample_size": 2}}


def run(name, fitness, budget, seed, **params):
    return run_baseline(name, SPACE, fitness, budget, seed, **SMALL.get(name, {}), **params)


def test_the_registry_holds_every_peer():
    assert set(BASELINES) == {
        "random", "grid", "regularized_evolution", "optuna_tpe", "optuna_tpe_hyperband", "keras_tuner_hyperband",
        "smac_multi_fidelity", "smac_hpo", "nevergrad_ngopt", "nevergrad_de", "nevergrad_discrete_one_plus_one",
        "dehb"}


@pytest.mark.parametrize("name", METHODS)
@pytest.mark.parametrize("budget", [0, 9])
def test_budget_is_exact_and_genomes_are_valid(name, budget):
    records = run(name, LANDSCAPE, budget, 3)
    assert len(records) == budget
    assert [(r.generation, r.index) for r in records] == [(0, i) for i in range(budget)]
    assert [r.result.seed for r in records] == [evaluation_seed(3, 0, i) for i in range(budget)]
    for r in records:
        assert SPACE.violations(r.genome) == []
        assert r.result.ok and r.result.fitness[0] == pytest.approx(landscape_value(r.genome))


@pytest.mark.parametrize("name", METHODS)
def test_a_compute_budget_stops_at_the_evaluation_that_crosses_it(name):
    compute_budget = 150.0  # cost units: 10 per epoch trained
    records = run(name, CostedFitness(), 10_000, 0, compute_budget=compute_budget)
    costs = [r.result.extra["train_flops"] for r in records]
    assert sum(costs[:-1]) < compute_budget <= sum(costs)
    assert [r.result.extra["compute_total"] for r in records] == pytest.approx(
        [sum(costs[:i + 1]) for i in range(len(costs))])


@pytest.mark.parametrize("name", METHODS)
def test_same_seed_same_search_other_seed_other_search(name):
    first, again, other = (run(name, LANDSCAPE, 8, seed) for seed in (0, 0, 1))
    assert keys(first) == keys(again)
    assert [r.result.fitness for r in first] == [r.result.fitness for r in again]
    assert keys(first) != keys(other)


@pytest.mark.parametrize("name", METHODS)
def test_a_raising_fitness_is_recorded_as_error_and_the_search_goes_on(name):
    records = run(name, EveryThirdRaises(), 20, 1)
    assert len(records) == 20
    for r in records:
        if r.index % 3 == 1:
            assert r.result.status == "error" and "every third evaluation fails" in r.result.message
            assert r.result.fitness == (-2.0,)  # the fitness's own failure value
        else:
            assert r.result.ok and SPACE.violations(r.genome) == []


def test_unknown_method_and_bad_budget_are_clear_errors():
    with pytest.raises(UnknownNameError, match="unknown baseline 'annealing'"):
        run_baseline("annealing", SPACE, LANDSCAPE, 3, 0)
    with pytest.raises(ConfigError, match="budget"):
        run_baseline("random", SPACE, LANDSCAPE, -1, 0)
    with pytest.raises(ConfigError, match="compute_budget"):
        run_baseline("random", SPACE, LANDSCAPE, 3, 0, compute_budget=0)


@pytest.mark.parametrize("name", [m for m in BASELINES if BASELINES.get(m).requires])
def test_missing_peer_names_the_extra(monkeypatch, name):
    for module in BASELINES.get(name).requires:
        monkeypatch.setitem(sys.modules, module, None)  # makes `import module` raise ImportError
    with pytest.raises(ConfigError, match=r"pip install 'evodeap\[peers\]'"):
        BASELINES.get(name).check()
    with pytest.raises(ConfigError, match=r"pip install 'evodeap\[peers\]'"):
        run(name, LANDSCAPE, 2, 0)
