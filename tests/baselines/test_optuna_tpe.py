"""Optuna TPE, plain and with Hyperband pruning (evodeap.baselines.optuna_tpe)."""
from __future__ import annotations

import numpy as np
import pytest
from helpers_baselines import LANDSCAPE, SPACE, WeightsFitness, keys

from evodeap.baselines import epoch_rungs, optuna_tpe, optuna_tpe_hyperband
from evodeap.errors import ConfigError
from evodeap.genome.genome import Genome
from evodeap.genome.space import SearchSpace
from evodeap.genome.genes import ConvBlock, DenseLayer, DropoutLayer


def test_optuna_genome_maps_a_trial_to_a_repaired_genome():
    import optuna

    from evodeap.baselines import optuna_genome

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

    from evodeap.baselines import optuna_genome

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


def test_epoch_rungs_are_geometric_and_end_at_the_maximum():
    assert epoch_rungs(1, 9, 3) == [1, 3, 9]
    assert epoch_rungs(1, 10, 3) == [1, 3, 9, 10]
    assert epoch_rungs(2, 8, 2) == [2, 4, 8]


def test_tpe_hyperband_trains_each_trial_up_its_rungs_continuing_from_its_weights():
    fitness = WeightsFitness()
    records = optuna_tpe_hyperband(SPACE, fitness, 60, 0, min_epochs=1, max_epochs=9, eta=3)
    by_trial: dict[int, list] = {}
    for r, context in zip(records, fitness.contexts):
        by_trial.setdefault(r.result.extra["optuna_trial"], []).append((r, context))
    steps = [[r.result.extra["optuna_step"] for r, _ in rungs] for rungs in by_trial.values()]
    assert all(s == [1, 3, 9][:len(s)] for s in steps)  # every trial climbs the rungs from the first
    assert any(len(s) == 1 for s in steps), "the pruner stops some trials at the first rung"
    assert any(len(s) > 1 for s in steps), "and lets some go on"
    for rungs in by_trial.values():
        first = rungs[0][0].genome
        for (r, context), (before, _) in zip(rungs[1:], rungs):
            assert list(r.genome) == list(first)  # the same model, trained further
            key, epochs = context.weights.decode().rsplit("@", 1)
            assert key == before.genome.key() and int(epochs) == context.trained_epochs
            assert Genome.from_dict(context.weights_genome) == before.genome
    assert [r.genome.hyperparameters["epochs"] for r in records] == [r.result.extra["optuna_step"] for r in records]


def test_tpe_hyperband_needs_an_epochs_gene_and_a_budget_range():
    hyper = {k: v for k, v in SPACE.hyperparameters.items() if k != "epochs"}
    with pytest.raises(ConfigError, match="epochs"):
        optuna_tpe_hyperband(SearchSpace(hyperparameters=hyper), LANDSCAPE, 3, 0)
    with pytest.raises(ConfigError, match="min_epochs"):
        optuna_tpe_hyperband(SPACE, LANDSCAPE, 3, 0, min_epochs=9, max_epochs=9)
