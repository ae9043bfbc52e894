"""SMAC3's multi-fidelity and HPO facades (evodeap.baselines.smac)."""
from __future__ import annotations

import numpy as np
import pytest
from helpers_baselines import LANDSCAPE, SPACE, WeightsFitness, keys

from evodeap.baselines import smac_configspace, smac_genome, smac_hpo, smac_multi_fidelity
from evodeap.errors import ConfigError
from evodeap.genome.genome import Genome
from evodeap.genome.space import SearchSpace


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


def test_smac_hpo_searches_the_epochs_gene_at_full_fidelity():
    records = smac_hpo(SPACE, LANDSCAPE, 12, 0)
    epochs = {r.genome.hyperparameters["epochs"] for r in records}
    assert len(epochs) > 1  # epochs is an ordinary gene of the configuration, not a budget
    assert "epochs" in smac_configspace(SPACE, 0, fidelity=None)
    assert len(set(keys(records))) == len(records)  # one evaluation per configuration (deterministic)
