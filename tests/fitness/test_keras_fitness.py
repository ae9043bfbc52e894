"""KerasFitness: F = α·A − β·T + γ·R on real (tiny) training runs, and every failure status."""
from __future__ import annotations

import math
import pickle

import keras
import numpy as np
import pytest
from fitness_fixtures import NaNInputs, cnn_genome, cnn_rnn_genome, rnn_genome, tiny_bundle

import evodeap.fitness.keras_fitness as keras_fitness
from evodeap.data import DataSpec
from evodeap.errors import ConfigError, UnknownNameError
from evodeap.evaluation.api import EvalContext, EvalResult, run_evaluation
from evodeap.fitness import DEFAULT_COST_REFERENCES, KerasFitness, make_fitness
from evodeap.genome.genes import ConvBlock, DenseLayer

METRICS = ("accuracy", "precision", "recall", "f1", "auc")


@pytest.fixture(scope="module")
def multiclass():
    return tiny_bundle("multiclass")


def evaluate(fitness, genome, seed=3) -> EvalResult:
    return run_evaluation(fitness, genome, EvalContext(seed=seed))


def test_ok_result_records_metrics_components_and_costs(multiclass):
    fitness = KerasFitness(multiclass, accuracy_weight=1.0, cost_weight=0.2, robustness_weight=0.5)
    result = evaluate(fitness, cnn_genome())
    assert result.status == "ok", result.message
    for split in ("val", "val_perturbed", "test"):
        for name in METRICS:
            assert 0.0 <= result.metrics[f"{split}_{name}"] <= 1.0
    c = result.components
    assert c["A"] == result.metrics["val_accuracy"] and c["R"] == result.metrics["val_perturbed_accuracy"]
    assert c["T"] == c["T_flops"] and all(0.0 <= c[k] < 1.0 for k in ("T_flops", "T_wall_time", "T_param_steps"))
    assert result.fitness == pytest.approx((c["A"] - 0.2 * c["T"] + 0.5 * c["R"],))
    extra = result.extra
    assert extra["epochs_run"] == 2 and extra["optimizer_steps"] == 2 * math.ceil(12 / 4)
    assert extra["train_flops"] == 3 * extra["forward_flops"] * 12 * 2
    assert extra["param_steps"] == result.n_params * extra["optimizer_steps"]
    assert extra["train_seconds"] > 0 and result.wall_time >= extra["train_seconds"]
    reference = DEFAULT_COST_REFERENCES["flops"]
    assert c["T_flops"] == pytest.approx(extra["train_flops"] / (extra["train_flops"] + reference))
    assert result.seed == 3 and result.n_params > 0
    EvalResult.from_dict(result.to_dict())  # JSON-able, round-trips


@pytest.mark.parametrize("measure, raw", [("wall_time", "train_seconds"), ("param_steps", "param_steps")])
def test_cost_measure_selects_T(multiclass, measure, raw):
    fitness = KerasFitness(multiclass, cost_measure=measure, cost_reference=2.0, evaluate_test=False)
    result = evaluate(fitness, rnn_genome(epochs=1))
    assert result.status == "ok", result.message
    cost = result.extra[raw]
    assert result.components["T"] == pytest.approx(cost / (cost + 2.0))
    assert result.components[f"T_{measure}"] == result.components["T"]
    assert "test_accuracy" not in result.metrics


def test_multi_objective_returns_A_minus_T_R(multiclass):
    fitness = KerasFitness(multiclass, multi_objective=True, metric="f1")
    assert fitness.n_objectives == 3 and fitness.weights == (1.0, 1.0, 1.0)
    result = evaluate(fitness, cnn_rnn_genome(epochs=1))
    assert result.status == "ok", result.message
    c = result.components
    assert result.fitness == (c["A"], -c["T"], c["R"])
    assert c["A"] == result.metrics["val_f1"]
    # every trained model outranks the failure value in every objective
    assert all(v > p for v, p in zip(result.fitness, fitness.failure_fitness))


@pytest.mark.parametrize("kind", ["multilabel", "binary"])
def test_multilabel_and_binary_tasks(kind):
    result = evaluate(KerasFitness(tiny_bundle(kind), evaluate_test=False), cnn_genome(epochs=1))
    assert result.status == "ok", result.message
    assert 0.0 <= result.metrics["val_f1"] <= 1.0
    if kind == "multilabel":
        assert "val_label_accuracy" in result.metrics


def test_same_seed_same_metrics_and_different_seed_differs(multiclass):
    fitness = KerasFitness(multiclass, cost_measure="flops")
    genome = cnn_rnn_genome(epochs=2)
    first, second = evaluate(fitness, genome, seed=11), evaluate(fitness, genome, seed=11)
    other = evaluate(fitness, genome, seed=12)
    assert first.status == second.status == other.status == "ok"
    assert first.metrics == second.metrics
    assert first.extra["losses"] == second.extra["losses"]
    assert first.fitness == second.fitness  # T from FLOPs: machine-independent
    assert other.extra["losses"] != first.extra["losses"]


def test_invalid_genome_is_recorded_not_trained(multiclass, monkeypatch):
    monkeypatch.setattr(keras.Model, "fit", lambda *a, **k: pytest.fail("an invalid genome was trained"))
    fitness = KerasFitness(multiclass)
    shrinking = cnn_genome()
    shrinking[:] = [ConvBlock(4, 3, "relu", "max")] * 4 + [DenseLayer(4, "relu")]  # 8→4→2→1→0
    wrong_order = cnn_genome()
    wrong_order[:] = [DenseLayer(4, "relu"), ConvBlock(4, 3, "relu", "max")]
    for genome, reason in ((shrinking, "below 1"), (wrong_order, "comes after")):
        result = evaluate(fitness, genome)
        assert result.status == "invalid" and reason in result.message
        assert result.fitness == fitness.failure_fitness == (-1.0,)
    capped = evaluate(KerasFitness(multiclass, max_params=100), cnn_genome())
    assert capped.status == "invalid" and "exceed the cap of 100" in capped.message


def test_predicted_activation_memory_over_the_cap_is_oom(multiclass):
    result = evaluate(KerasFitness(multiclass, max_activation_mb=1e-3), cnn_genome())
    assert result.status == "oom" and "max_activation_mb" in result.message
    assert result.fitness == (-1.0,)


def test_nan_training_is_status_nan(multiclass):
    fitness = KerasFitness(NaNInputs(multiclass))
    genome = rnn_genome(epochs=3)
    genome[1] = DenseLayer(4, "tanh")  # TensorFlow's relu maps NaN to 0 and would hide it
    result = evaluate(fitness, genome)
    assert result.status == "nan", result.message
    assert result.fitness == fitness.failure_fitness
    assert result.extra["epochs_run"] == 1  # TerminateOnNaN stopped the first epoch


def test_exploding_learning_rate_is_status_nan():
    result = evaluate(KerasFitness(tiny_bundle("binary")), cnn_genome(learning_rate=1e12, optimizer="sgd"), seed=1)
    assert result.status == "nan", (result.status, result.message)


def test_out_of_memory_and_other_errors_are_results(multiclass, monkeypatch):
    import tensorflow as tf

    cleared = []
    real_clear = keras.backend.clear_session
    monkeypatch.setattr(keras.backend, "clear_session", lambda **kw: (cleared.append(1), real_clear(**kw)))

    def oom(*args, **kwargs):
        raise tf.errors.ResourceExhaustedError(None, None, "OOM when allocating tensor")

    monkeypatch.setattr(keras.Model, "fit", oom)
    fitness = KerasFitness(multiclass)
    result = evaluate(fitness, cnn_genome())
    assert result.status == "oom" and "OOM when allocating" in result.message

    def broken(*args, **kwargs):
        raise RuntimeError("cuDNN exploded")

    monkeypatch.setattr(keras.Model, "fit", broken)
    result = evaluate(fitness, cnn_genome())
    assert result.status == "error" and "RuntimeError: cuDNN exploded" in result.message
    assert result.fitness == (-1.0,)
    assert len(cleared) == 2  # the session is cleared after every evaluation, failed or not


def test_epoch_cap_and_early_stopping(multiclass):
    capped = evaluate(KerasFitness(multiclass, max_epochs=1, evaluate_test=False), cnn_genome(epochs=5))
    assert capped.extra["epochs_planned"] == capped.extra["epochs_run"] == 1
    # lr = 0: the validation loss never improves, so patience 0 stops after the first epoch
    stopped = evaluate(
        KerasFitness(multiclass, early_stopping_patience=0, evaluate_test=False),
        cnn_genome(epochs=4, optimizer="sgd", learning_rate=1e-30),
    )
    assert stopped.status == "ok", stopped.message
    assert stopped.extra["epochs_planned"] == 4 and stopped.extra["epochs_run"] < 4


def test_failure_fitness_is_below_every_trained_fitness():
    assert KerasFitness(None, robustness_weight=0.0, perturbation=None).failure_fitness == (-1.0,)
    heavy = KerasFitness(None, cost_weight=3.0)
    assert heavy.failure_fitness == (-4.0,)
    assert heavy.combine(0.0, 0.999, 0.0)[0] > heavy.failure_fitness[0]


@pytest.mark.parametrize("params, message", [
    ({"cost_weight": -1.0}, "cost_weight"),
    ({"accuracy_weight": float("nan")}, "accuracy_weight"),
    ({"metric": "top5"}, "unknown metric"),
    ({"cost_measure": "joules"}, "unknown cost_measure"),
    ({"cost_reference": 0.0}, "cost_reference"),
    ({"perturbation": None}, "needs a perturbation"),
    ({"max_epochs": 0}, "max_epochs"),
    ({"early_stopping_patience": -2}, "early_stopping_patience"),
])
def test_bad_parameters_are_config_errors(params, message):
    with pytest.raises(ConfigError, match=message):
        KerasFitness(None, **params)


def test_spec_fitness_pickles_and_loads_data_once_per_process(tmp_path, monkeypatch):
    spec = DataSpec(version="easy", task="digit", videos=(8, 4, 0), frames=3, downsample=8,
                    cache_dir=str(tmp_path))
    fitness = make_fitness("keras", data=spec.to_dict(), cost_weight=0.05, max_epochs=1)
    assert isinstance(fitness, KerasFitness) and fitness.data == spec
    clone = pickle.loads(pickle.dumps(fitness))
    assert clone.to_dict() == fitness.to_dict()

    import evodeap.data

    loads = []
    original = evodeap.data.load
    monkeypatch.setattr(evodeap.data, "load", lambda s: (loads.append(s), original(s))[1])
    monkeypatch.setattr(keras_fitness, "_BUNDLES", {})
    genome = cnn_genome(epochs=1, batch_size=4)
    first = evaluate(clone, genome)
    second = evaluate(fitness, genome)
    assert first.status == second.status == "ok", first.message
    assert len(loads) == 1
    assert first.metrics == second.metrics
    assert "test_accuracy" not in first.metrics  # spec with no test videos


def test_registry():
    with pytest.raises(UnknownNameError, match="unknown fitness 'nope'"):
        make_fitness("nope")
    with pytest.raises(ConfigError, match="bad parameters for fitness 'keras'"):
        make_fitness("keras", data=None, colour="red")


def test_mixed_precision_code_path_runs_and_restores_the_policy(multiclass):
    before = keras.config.dtype_policy().name
    # an rnn genome: TensorFlow has no float16 CPU kernel for 3-D pooling (GPU only)
    result = evaluate(KerasFitness(multiclass, mixed_precision=True, evaluate_test=False), rnn_genome(epochs=1))
    assert result.status == "ok", result.message
    assert keras.config.dtype_policy().name == before == "float32"


def test_a_metric_the_task_lacks_fails_fast():
    with pytest.raises(ConfigError, match="needs a multilabel task"):
        KerasFitness(tiny_bundle("binary"), metric="label_accuracy").prepare()


@pytest.mark.slow
def test_a_keras_evaluation_leaves_the_masters_global_random_states_alone(multiclass):
    import random

    from evodeap.execution.global_random import GlobalRandom

    random.seed(21)
    np.random.seed(21)
    before = GlobalRandom().get_state()  # keras.utils.set_random_seed(context.seed) reseeds both in the fitness
    assert evaluate(KerasFitness(multiclass), cnn_genome(epochs=1)).status == "ok"
    assert GlobalRandom().get_state() == before
