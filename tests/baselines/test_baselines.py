"""Baseline search methods (evodeap.baselines.peers) and experiments/baselines.py."""
from __future__ import annotations

import math
import os
import runpy
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np
import pytest

from evodeap.baselines import peers as baselines
from evodeap.baselines.peers import (
    best_so_far_curve, grid_axes, grid_point, grid_points, grid_search, grid_size, keras_tuner_hyperband,
    optuna_tpe, quantise, random_search, save_records, smac_configspace, smac_genome, smac_multi_fidelity,
    structure_template,
)
from evodeap.errors import ConfigError
from evodeap.evaluation.api import EvalContext, EvalResult, evaluation_seed
from evodeap.genome.genes import ConvBlock, DenseLayer, DropoutLayer
from evodeap.genome.genome import Genome
from evodeap.fitness.landscape import LandscapeFitness, landscape_value
from evodeap.genome.space import Choice, Integer, Real, SearchSpace
from evodeap.results.queries import evaluations, generations

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")  # keras_tuner's threading calls

SCRIPT = Path(__file__).resolve().parents[2] / "experiments" / "baselines.py"
SPACE = SearchSpace(family="cnn")
LANDSCAPE = LandscapeFitness()
CHEAP = {"random": random_search, "grid": grid_search, "optuna_tpe": optuna_tpe}
ALL = {**CHEAP, "keras_tuner_hyperband": keras_tuner_hyperband, "smac_multi_fidelity": smac_multi_fidelity}


class RaisingFitness:
    """Raises for genomes with exactly 4 layers; the landscape otherwise."""

    failure_fitness = (-2.0,)

    def __call__(self, genome: Genome, context: EvalContext) -> EvalResult:
        if len(genome) == 4:
            raise RuntimeError("four layers are forbidden")
        return EvalResult(fitness=(landscape_value(genome),), seed=context.seed)


def keys(records) -> list[str]:
    return [r.genome.key() for r in records]


# -- every method: budget, validity, seeds, failures ----------------------------------------------
@pytest.mark.parametrize("name", ALL)
@pytest.mark.parametrize("budget", [0, 13])
def test_budget_is_exact_and_genomes_are_valid(name, budget):
    records = ALL[name](SPACE, LANDSCAPE, budget, 3)
    assert len(records) == budget
    assert [(r.generation, r.index) for r in records] == [(0, i) for i in range(budget)]
    assert [r.result.seed for r in records] == [evaluation_seed(3, 0, i) for i in range(budget)]
    for r in records:
        assert SPACE.violations(r.genome) == []
        assert r.result.ok and r.result.fitness[0] == pytest.approx(landscape_value(r.genome))


@pytest.mark.parametrize("name", ALL)
def test_same_seed_same_search_other_seed_other_search(name):
    first, again, other = (ALL[name](SPACE, LANDSCAPE, 12, seed) for seed in (0, 0, 1))
    assert keys(first) == keys(again)
    assert [r.result.fitness for r in first] == [r.result.fitness for r in again]
    assert keys(first) != keys(other)


@pytest.mark.parametrize("name", ALL)
def test_a_raising_fitness_is_recorded_as_error_and_the_search_goes_on(name):
    records = ALL[name](SPACE, RaisingFitness(), 30, 1)
    assert len(records) == 30
    failed = [r for r in records if len(r.genome) == 4]
    assert failed, "the seed should produce some four-layer genomes"
    for r in failed:
        assert r.result.status == "error" and "four layers are forbidden" in r.result.message
        assert r.result.fitness == (-2.0,)  # the fitness's own failure value
    assert all(r.result.ok for r in records if len(r.genome) != 4)


def test_unknown_method_and_bad_budget_are_config_errors():
    with pytest.raises(ConfigError, match="unknown baseline"):
        baselines.run_baseline("annealing", SPACE, LANDSCAPE, 3, 0)
    with pytest.raises(ConfigError, match="budget"):
        random_search(SPACE, LANDSCAPE, -1, 0)


@pytest.mark.parametrize("module, method", [("optuna", optuna_tpe), ("keras_tuner", keras_tuner_hyperband),
                                            ("smac", smac_multi_fidelity)])
def test_missing_peer_names_the_extra(monkeypatch, module, method):
    monkeypatch.setitem(sys.modules, module, None)  # makes `import module` raise ImportError
    with pytest.raises(ConfigError, match=r"pip install 'evodeap\[peers\]'"):
        method(SPACE, LANDSCAPE, 2, 0)


# -- the grid ---------------------------------------------------------------------------------------
def test_quantise_takes_cell_centres_and_all_options():
    assert quantise(Choice(("a", "b", "c")), 2) == ["a", "b", "c"]
    assert quantise(Integer(1, 3), 5) == [1, 2, 3]
    assert quantise(Integer(1, 10), 3) == [2, 6, 8]  # 2.5, 5.5, 8.5 rounded half to even
    assert quantise(Real(0.0, 0.5), 5) == pytest.approx([0.05, 0.15, 0.25, 0.35, 0.45])
    assert quantise(Real(1e-4, 1e-1, log=True), 3) == pytest.approx([10**-3.5, 10**-2.5, 10**-1.5])
    assert quantise(Real(0.2, 0.2), 4) == [0.2]


def test_structure_template_spreads_layers_over_stages():
    assert structure_template(SearchSpace(family="cnn"), 5) == ["conv"] * 3 + ["dense"] * 2
    assert structure_template(SearchSpace(family="cnn+rnn", min_layers=2), 4) == ["conv", "conv", "rnn", "dense"]
    assert structure_template(SearchSpace(family="cnn+rnn", min_layers=2), 2) == ["conv", "rnn"]
    assert structure_template(SearchSpace(family="rnn", min_layers=1), 1) == ["rnn"]


def tiny_space() -> SearchSpace:
    layers = {
        "conv": {"filters": Integer(8, 8), "kernel_size": Choice((3,)), "activation": Choice(("relu",)),
                 "pooling": Choice(("max",))},
        "dense": {"units": Integer(16, 16), "activation": Choice(("relu", "tanh"))},
        "dropout": {"rate": Real(0.0, 0.5)},
    }
    hyper = {"learning_rate": Real(1e-3, 1e-1, log=True), "optimizer": Choice(("adam", "sgd"))}
    return SearchSpace(family="cnn", hyperparameters=hyper, layers=layers, min_layers=1, max_layers=2)


def test_grid_enumeration_is_exact_on_a_tiny_space():
    space = tiny_space()
    axes = grid_axes(space, levels=2)
    assert [name for name, _ in axes] == [
        "n_layers", "conv.filters", "conv.kernel_size", "conv.activation", "conv.pooling",
        "dense.units", "dense.activation", "learning_rate", "optimizer"]
    assert grid_size(axes) == 2 * 2 * 2 * 2
    conv = ConvBlock(8, 3, "relu", "max")
    lr_low, lr_high = 10**-2.5, 10**-1.5
    expected = []
    for n in (1, 2):
        for act in ("relu", "tanh"):
            for lr in (lr_low, lr_high):
                for opt in ("adam", "sgd"):
                    layers = [conv] if n == 1 else [conv, DenseLayer(16, act)]
                    expected.append((layers, lr, opt))
    points = grid_points(space, levels=2)
    assert len(points) == len(expected)
    for genome, (layers, lr, opt) in zip(points, expected):
        assert list(genome) == layers
        assert genome.hyperparameters["learning_rate"] == pytest.approx(lr)
        assert genome.hyperparameters["optimizer"] == opt
        assert space.violations(genome) == []


def test_grid_search_visits_distinct_grid_points_then_starts_over():
    space = tiny_space()
    axes = grid_axes(space, levels=2)
    records = grid_search(space, LANDSCAPE, 20, 0, levels=2)
    assert len(records) == 20
    indices = [r.result.extra["grid_index"] for r in records]
    assert sorted(indices[:16]) == list(range(16))  # the whole grid first, each point once
    assert len(set(indices[16:])) == 4
    for r, index in zip(records, indices):
        assert r.genome == grid_point(space, axes, index)


def test_grid_search_on_the_default_space_draws_distinct_points():
    records = grid_search(SPACE, LANDSCAPE, 50, 0)
    indices = [r.result.extra["grid_index"] for r in records]
    assert len(set(indices)) == 50 and max(indices) < grid_size(grid_axes(SPACE))
    assert len({len(r.genome) for r in records}) > 1


# -- optional peers -----------------------------------------------------------------------------------
def test_optuna_genome_maps_a_trial_to_a_repaired_genome():
    import optuna

    from evodeap.baselines.peers import optuna_genome

    params = {"n_layers": 3, "layer0.kind": "dense", "layer0.dense.units": 32, "layer0.dense.activation": "elu",
              "layer1.kind": "dropout", "layer1.dropout.rate": 0.25,
              "layer2.kind": "conv", "layer2.conv.filters": 16, "layer2.conv.kernel_size": 5,
              "layer2.conv.activation": "tanh", "layer2.conv.pooling": "avg",
              "learning_rate": 0.003, "batch_size": 64, "optimizer": "sgd", "dropout": 0.1, "epochs": 7}
    genome = optuna_genome(optuna.trial.FixedTrial(params), SPACE, np.random.default_rng(0))
    # stage order restored (conv before dense); the dropout layer keeps its position
    assert list(genome) == [ConvBlock(16, 5, "tanh", "avg"), DropoutLayer(0.25), DenseLayer(32, "elu")]
    assert genome.hyperparameters == {"learning_rate": 0.003, "batch_size": 64, "optimizer": "sgd",
                                      "dropout": 0.1, "epochs": 7}
    assert SPACE.violations(genome) == []


def test_optuna_genome_repairs_a_missing_required_kind():
    import optuna

    from evodeap.baselines.peers import optuna_genome

    params = {"n_layers": 3, "learning_rate": 0.003, "batch_size": 64, "optimizer": "sgd", "dropout": 0.1,
              "epochs": 7}
    for i in range(3):
        params |= {f"layer{i}.kind": "dense", f"layer{i}.dense.units": 32, f"layer{i}.dense.activation": "elu"}
    genome = optuna_genome(optuna.trial.FixedTrial(params), SPACE, np.random.default_rng(0))
    assert SPACE.violations(genome) == [] and genome[0].kind == "conv"


def test_optuna_passes_sampler_parameters_to_tpe():
    plain = optuna_tpe(SPACE, LANDSCAPE, 8, 0)
    early = optuna_tpe(SPACE, LANDSCAPE, 8, 0, n_startup_trials=3)
    assert keys(plain)[:3] == keys(early)[:3] and keys(plain) != keys(early)


def test_hyperband_sets_epochs_from_its_rungs_and_promotes_trials():
    records = keras_tuner_hyperband(SPACE, LANDSCAPE, 14, 0)
    info = [r.result.extra["hyperband"] for r in records]
    for r, hb in zip(records, info):
        assert r.genome.hyperparameters["epochs"] == hb["tuner/epochs"]
    # bracket 2 of max_epochs=10, η=3: nine trials at ⌈10/9⌉ = 2 epochs, then promotions at ⌈10/3⌉ = 4
    assert [hb["tuner/epochs"] for hb in info[:9]] == [2] * 9
    promoted = [(r, hb) for r, hb in zip(records, info) if "tuner/trial_id" in hb]
    assert promoted and all(hb["tuner/epochs"] == 4 for _, hb in promoted[:3])
    by_trial = {r.result.extra["keras_tuner_trial"]: r for r in records}
    for r, hb in promoted:
        parent = by_trial[hb["tuner/trial_id"]]
        assert list(parent.genome) == list(r.genome)  # same model, larger epoch budget
        assert {**parent.genome.hyperparameters, "epochs": 0} == {**r.genome.hyperparameters, "epochs": 0}


def test_keras_tuner_seed_is_never_falsy_and_depends_on_the_run_seed():
    from evodeap.baselines.peers import keras_tuner_seed

    seeds = [keras_tuner_seed(s) for s in range(50)]
    assert all(1 <= s < 2**31 for s in seeds) and len(set(seeds)) == 50
    assert keras_tuner_seed(0) == keras_tuner_seed(0)


def test_hyperband_needs_an_epochs_gene():
    hyper = {k: v for k, v in SPACE.hyperparameters.items() if k != "epochs"}
    with pytest.raises(ConfigError, match="epochs"):
        keras_tuner_hyperband(SearchSpace(hyperparameters=hyper), LANDSCAPE, 3, 0)


def test_hyperband_trains_real_keras_models_through_keras_fitness():
    from evodeap.data import from_arrays
    from evodeap.fitness import KerasFitness

    rng = np.random.default_rng(0)

    def split(n):
        y = np.arange(n) % 2
        x = 0.5 * rng.random((n, 2, 8, 8, 1), dtype=np.float32) + 0.4 * y[:, None, None, None, None]
        return x.astype(np.float32), y

    bundle = from_arrays(*split(8), *split(6))
    fitness = KerasFitness(bundle, robustness_weight=0.0, perturbation=None, evaluate_test=False)
    layers = {
        "conv": {"filters": Integer(2, 4), "kernel_size": Choice((3,)), "activation": Choice(("relu",)),
                 "pooling": Choice(("max",))},
        "dense": {"units": Integer(2, 4), "activation": Choice(("relu",))},
        "dropout": {"rate": Real(0.0, 0.2)},
    }
    hyper = {"learning_rate": Real(1e-3, 1e-2, log=True), "batch_size": Choice((4,)),
             "optimizer": Choice(("adam",)), "epochs": Integer(1, 2)}
    space = SearchSpace(family="cnn", hyperparameters=hyper, layers=layers, min_layers=1, max_layers=2)
    records = keras_tuner_hyperband(space, fitness, 3, 0)
    assert len(records) == 3
    for r in records:
        assert r.result.status == "ok", r.result.message
        assert r.result.n_params > 0 and 0.0 <= r.result.metrics["val_accuracy"] <= 1.0
        assert r.result.extra["epochs_run"] == r.genome.hyperparameters["epochs"]


# -- SMAC3's multi-fidelity facade -------------------------------------------------------------------
def test_smac_configspace_is_conditional_on_layer_count_and_kind():
    cs = smac_configspace(SPACE, seed=0)
    assert "epochs" not in cs  # the fidelity is SMAC's budget
    for config in cs.sample_configuration(40):
        values = dict(config)
        n = values["n_layers"]
        assert {k for k in values if k.endswith(".kind")} == {f"layer{i}.kind" for i in range(n)}
        for name in values:
            if name.count(".") == 2:  # layer<i>.<kind>.<field>: active only where position i has that kind
                position, kind, _ = name.split(".")
                assert values[f"{position}.kind"] == kind
        genome = smac_genome(values, 3.0, SPACE, np.random.default_rng(0))
        assert SPACE.violations(genome) == [] and genome.hyperparameters["epochs"] == 3


class WeightsFitness:
    """The landscape, and 'weights' that say which epochs they were trained to."""

    def __init__(self) -> None:
        self.contexts: list[EvalContext] = []

    def __call__(self, genome: Genome, context: EvalContext) -> EvalResult:
        self.contexts.append(context)
        return EvalResult(fitness=(landscape_value(genome),), seed=context.seed,
                          weights=f"{genome.key()}@{genome.hyperparameters['epochs']}".encode())


def test_smac_uses_hyperband_budgets_and_continues_a_configuration_from_its_own_weights():
    fitness = WeightsFitness()
    records = smac_multi_fidelity(SPACE, fitness, 40, 0, min_epochs=1, max_epochs=9, eta=3)
    budgets = [r.result.extra["smac_budget"] for r in records]
    assert set(round(b) for b in budgets) <= {1, 3, 9} and {1, 3, 9} <= set(round(b) for b in budgets)
    assert [r.genome.hyperparameters["epochs"] for r in records] == [round(b) for b in budgets]
    continued = [(r, c) for r, c in zip(records, fitness.contexts) if c.weights is not None]
    assert continued, "Hyperband promotes configurations to larger budgets"
    for r, c in continued:
        key, epochs = c.weights.decode().rsplit("@", 1)
        earlier = Genome.from_dict(c.weights_genome)
        assert key == earlier.key() and int(epochs) == c.trained_epochs < r.genome.hyperparameters["epochs"]
        assert list(earlier) == list(r.genome)  # the same model, trained further
        assert {**earlier.hyperparameters, "epochs": 0} == {**r.genome.hyperparameters, "epochs": 0}
    assert all(r.result.weights is None for r in records)  # kept by the adapter, not in the records


def test_smac_needs_an_epochs_gene_and_a_budget_range():
    hyper = {k: v for k, v in SPACE.hyperparameters.items() if k != "epochs"}
    with pytest.raises(ConfigError, match="epochs"):
        smac_multi_fidelity(SearchSpace(hyperparameters=hyper), LANDSCAPE, 3, 0)
    with pytest.raises(ConfigError, match="min_epochs"):
        smac_multi_fidelity(SPACE, LANDSCAPE, 3, 0, min_epochs=9, max_epochs=9)


# -- storage ------------------------------------------------------------------------------------------
def test_save_records_writes_a_run_database_batched_like_generations(tmp_path):
    records = random_search(SPACE, RaisingFitness(), 11, 2)
    save_records(tmp_path, records, name="random", seed=2, space=SPACE, batch=4)
    frame = evaluations(tmp_path)
    assert list(zip(frame["generation"], frame["idx"])) == [(i // 4, i % 4) for i in range(11)]
    assert frame["key"].tolist() == keys(records)
    assert frame["status"].tolist() == [r.result.status for r in records]
    gens = generations(tmp_path)
    curve = best_so_far_curve(records)
    assert gens["best"].tolist() == pytest.approx([curve[3], curve[7], curve[10]])
    assert gens["nevals"].tolist() == [4, 4, 3]


def test_best_so_far_curve_is_the_running_maximum():
    records = random_search(SPACE, LANDSCAPE, 6, 0)
    values = [r.result.fitness[0] for r in records]
    assert best_so_far_curve(records).tolist() == [max(values[:i + 1]) for i in range(6)]


# -- the experiment script --------------------------------------------------------------------------
def load_script() -> dict:
    return runpy.run_path(str(SCRIPT), run_name="baselines_under_test")


def test_script_is_an_experiment_file_and_main_does_not_run_on_import(tmp_path, monkeypatch):
    from evodeap.config.experiment import load_experiment

    monkeypatch.chdir(tmp_path)
    namespace = load_experiment(SCRIPT)
    assert namespace["CONFIG"].fitness == "landscape"
    assert list(tmp_path.iterdir()) == []


def test_evaluations_to_reach():
    reach = load_script()["evaluations_to_reach"]
    assert reach([0.1, 0.5, 0.7], 0.5) == 2
    assert reach([0.1, 0.5, 0.7], 0.1) == 1
    assert math.isnan(reach([0.1, 0.5, 0.7], 0.9))


def test_script_main_writes_table_figure_and_databases(tmp_path, capsys):
    main = load_script()["main"]
    out = tmp_path / "bl"
    argv = ["--out", str(out), "--seeds", "2", "--peers", "--set", "population_size=4", "--set", "generations=2"]
    assert main(argv) == 0
    table = (out / "tables" / "baselines.md").read_text()
    for method in ("evodeap", "random", "grid", "optuna_tpe", "keras_tuner_hyperband"):
        assert f"| {method} |" in table
        for seed in (0, 1):
            assert (out / method / f"seed{seed}" / "results.sqlite").is_file()
    assert table in capsys.readouterr().out
    assert (out / "tables" / "baselines.csv").is_file() and (out / "tables" / "curves.csv").is_file()
    for suffix in ("png", "svg"):
        assert (out / "figures" / f"best_so_far.{suffix}").stat().st_size > 1000
    for seed in (0, 1):  # every method got the EA's budget on that seed
        budget = len(evaluations(out / "evodeap" / f"seed{seed}"))
        assert 0 < budget <= 4 * 3
        for method in ("random", "grid", "optuna_tpe", "keras_tuner_hyperband"):
            assert len(evaluations(out / method / f"seed{seed}")) == budget
    assert main(argv) == 2  # the output directory is not empty any more
    assert "not empty" in capsys.readouterr().err
