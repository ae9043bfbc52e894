"""KerasFitness's failure value is below every trained model for every weight, and the engine
gives it to crashes too (not a config's −1): a crash never outranks a trained model."""
from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evodeap.config.settings import ExperimentConfig
from evodeap.engine.loop import evolve
from evodeap.evaluation.api import EvalContext, EvalResult, Objectives, run_evaluation
from evodeap.fitness import KerasFitness
from evodeap.fitness.scoring import saturate
from evodeap.operators.selection import boltzmann_probabilities
from evodeap.genome.space import SearchSpace

unit = st.floats(0.0, 1.0)
costs = st.floats(0.0, 1e40)
references = st.floats(1e-3, 1e20)


@settings(max_examples=400, deadline=None)
@given(alpha=st.floats(0.0, 10.0), beta=st.floats(0.0, 1000.0), gamma=st.floats(0.0, 10.0),
       A=unit, R=unit, cost=costs, reference=references, multi=st.booleans())
def test_every_trained_value_outranks_the_failure_value(alpha, beta, gamma, A, R, cost, reference, multi):
    fitness = KerasFitness(None, accuracy_weight=alpha, cost_weight=beta, robustness_weight=gamma,
                           multi_objective=multi)
    T = saturate(cost, reference)
    assert 0.0 <= T < 1.0
    value = fitness.combine(A, T, R)
    assert Objectives.of(fitness).outranks_failure(value)
    if not multi:
        assert value[0] > fitness.failure_fitness[0]


class UntrainedKeras(KerasFitness):
    """KerasFitness's objectives and failure value, with A, T, R drawn from the genome key
    instead of training; genomes of 4 layers crash, like a model whose build raises."""

    def __call__(self, genome, context):
        if len(genome) == 4:
            raise RuntimeError("the model could not be built")
        rng = np.random.default_rng(int(genome.key()[:12], 16))
        A, R, T = rng.random() * 0.3, rng.random() * 0.3, 0.5 + 0.49 * rng.random()
        return EvalResult(fitness=self.combine(A, T, R), components={"A": A, "T": T, "R": R}, seed=context.seed)


@pytest.mark.parametrize("cost_weight", [0.1, 1.0, 3.0])
def test_a_crash_ranks_below_every_trained_model_in_a_run(cost_weight):
    fitness = UntrainedKeras(None, cost_weight=cost_weight, robustness_weight=0.5)
    config = ExperimentConfig(fitness=fitness, population_size=12, generations=3, seed=1,
                              space=SearchSpace(min_layers=3, max_layers=5))
    result = evolve(config)
    crashed = [r.result.fitness[0] for r in result.evaluations if r.result.status == "error"]
    trained = [r.result.fitness[0] for r in result.evaluations if r.result.ok]
    assert crashed and trained
    assert set(crashed) == {fitness.failure_fitness[0]}
    assert max(crashed) < min(trained)
    if cost_weight > 1.0:  # trained models below −1 exist: the old fixed −1 would have outranked them
        assert min(trained) < -1.0 and fitness.failure_fitness[0] < min(trained)
    assert all(ind.fitness.values != fitness.failure_fitness for ind in result.hall_of_fame)
    values = [ind.fitness.wvalues[0] for ind in result.population]
    p = boltzmann_probabilities(values, 5.0)
    failed = [i for i, v in enumerate(values) if v == fitness.failure_fitness[0]]
    for i in failed:
        assert all(p[i] < p[j] for j in range(len(values)) if j not in failed)


def test_a_crash_in_multi_objective_mode_is_dominated_by_every_trained_model():
    fitness = UntrainedKeras(None, multi_objective=True)
    crash = SearchSpace(min_layers=4, max_layers=4).sample_genome(np.random.default_rng(0))
    result = run_evaluation(fitness, crash, EvalContext(seed=0))
    assert result.status == "error" and result.fitness == (-1.0, -1.0, -1.0)
    config = ExperimentConfig(fitness=fitness, population_size=8, generations=1, seed=2, selection="tournament",
                              selection_params={}, survival="nsga2")
    run = evolve(dataclasses.replace(config, space=SearchSpace(min_layers=3, max_layers=5)))
    trained = [r.result.fitness for r in run.evaluations if r.result.ok]
    assert trained and all(all(v > f for v, f in zip(t, result.fitness)) for t in trained)
