"""The frame resolution a frame-downsampling family reads is a setting (``frame_size``):
it reaches the model, the plan equals the built model for every family and resolution,
and a genome or run without the setting keeps the 16-pixel frames it always had."""
from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras
import numpy as np
import pytest

from evodeap.data import TaskInfo, from_arrays
from evodeap.errors import ConfigError
from evodeap.genome.genome import Genome
from evodeap.genome.space import SearchSpace
from evodeap.kinds import FAMILIES
from evodeap.models import DEFAULT_RNN_FRAME_SIZE, build_model, plan_model

SHAPE = (3, 20, 24, 1)
TASK = TaskInfo("t", "multilabel", 2, ("a", "b"))
BUILT_IN = ("cnn", "rnn", "cnn+rnn", "lstm", "gru", "cnn+lstm", "cnn+gru")


def _rnn(layers=None) -> Genome:
    return Genome.from_dict({"family": "rnn", "layers": layers or [{"kind": "rnn", "units": 4, "activation": "tanh"}],
                             "hyperparameters": {"learning_rate": 0.01, "batch_size": 4, "optimizer": "adam",
                                                 "dropout": 0.0, "epochs": 1}})


def _assert_plan_is_model(genome: Genome, frame_size) -> None:
    plan = plan_model(genome, SHAPE, TASK, max_params=None, rnn_frame_size=frame_size)
    assert plan.valid, plan.problems
    model = build_model(genome, SHAPE, TASK, max_params=None, rnn_frame_size=frame_size, compile=False)
    built = [layer for layer in model.layers if not isinstance(layer, keras.layers.InputLayer)]
    assert [layer.name for layer in built] == [p.name for p in plan.layers]
    for layer, planned in zip(built, plan.layers):
        assert tuple(int(d) for d in layer.output.shape[1:]) == planned.output_shape, layer.name
        assert layer.count_params() == planned.params, layer.name
    assert model.count_params() == plan.n_params
    keras.backend.clear_session()


@pytest.mark.parametrize("family", BUILT_IN)
@pytest.mark.parametrize("frame_size", [None, 5, DEFAULT_RNN_FRAME_SIZE])
def test_plan_equals_built_model_for_every_family_and_resolution(family, frame_size):
    assert family in FAMILIES
    space = SearchSpace(family=family, min_layers=2, max_layers=4).with_kinds("frame_pool", "time_pool")
    rng = np.random.default_rng(3)
    checked = 0
    for _ in range(40):
        genome = space.sample_genome(rng)
        if plan_model(genome, SHAPE, TASK, max_params=None, rnn_frame_size=frame_size).valid:
            _assert_plan_is_model(genome, frame_size)
            checked += 1
        if checked == 2:
            break
    assert checked == 2


@pytest.mark.parametrize("frame_size, pooled", [(None, None), (24, None), (12, (10, 12)), (5, (4, 4)),
                                                (16, (10, 12))])
def test_the_frame_size_reaches_the_rnn_model(frame_size, pooled):
    plan = plan_model(_rnn(), SHAPE, TASK, rnn_frame_size=frame_size)
    names = [p.name for p in plan.layers]
    if pooled is None:  # full resolution: each frame flattened as it is
        assert "frame_downsample" not in names
        assert plan.layers[0].output_shape == (3, 20 * 24)
    else:  # p = ceil(max(H, W) / frame_size)
        assert plan.layers[0].name == "frame_downsample" and plan.layers[0].output_shape == (3, *pooled, 1)
        assert plan.layers[1].output_shape == (3, pooled[0] * pooled[1])
    rows = plan_model(_rnn([{"kind": "frame_pool", "mode": "rows"}, {"kind": "rnn", "units": 4, "activation": "tanh"}]),
                      SHAPE, TASK, rnn_frame_size=frame_size)
    assert rows.valid and rows.layers[-2].name == "rnn_1"  # rows at that resolution feed the rnn
    assert [p for p in rows.layers if p.name == "frame_pool_0"][0].output_shape == \
        ((3 * 20, 24) if pooled is None else (3 * pooled[0], pooled[1]))


def test_a_plan_without_the_setting_keeps_the_16_pixel_frames():
    assert DEFAULT_RNN_FRAME_SIZE == 16
    old = plan_model(_rnn(), (2, 36, 64, 1), TASK)
    assert [(p.name, p.output_shape, p.params) for p in old.layers] == \
        [(p.name, p.output_shape, p.params) for p in plan_model(_rnn(), (2, 36, 64, 1), TASK, rnn_frame_size=16).layers]
    assert old.layers[0].name == "frame_downsample" and old.layers[0].output_shape == (2, 9, 16, 1)


@pytest.mark.parametrize("bad", [0, -3, 2.5, "16", True])
def test_a_bad_frame_size_is_a_problem_of_the_plan_and_a_config_error(bad):
    plan = plan_model(_rnn(), SHAPE, TASK, rnn_frame_size=bad)
    assert not plan.valid and "frame_size must be an integer >= 1 or None" in plan.problems[-1]
    from evodeap.fitness.keras_fitness import KerasFitness

    with pytest.raises(ConfigError, match="frame_size must be"):
        KerasFitness(data=_bundle(), metric="auc", frame_size=bad)


def _bundle():
    rng = np.random.default_rng(0)
    x = [rng.random((8,) + SHAPE, dtype=np.float32) for _ in range(2)]
    y = [(rng.random((8, 2)) < 0.5).astype(np.float32) for _ in range(2)]
    return from_arrays(x[0], y[0], x[1], y[1], task=TASK)


def test_the_keras_fitness_passes_its_frame_size_and_an_old_one_keeps_16():
    from evodeap.evaluation.api import EvalContext
    from evodeap.fitness.keras_fitness import KerasFitness

    old = KerasFitness(data=_bundle(), metric="auc", perturbation=None, robustness_weight=0.0)
    assert old.frame_size == 16 and old.thresholds == "fixed"
    full = KerasFitness(data=_bundle(), metric="auc", perturbation=None, robustness_weight=0.0, frame_size=None)
    context = EvalContext(seed=1, generation=0, index=0)
    params = {}
    for name, fitness in (("old", old), ("full", full)):
        result = fitness(_rnn(), context)
        assert result.status == "ok", result.message
        params[name] = result.n_params
    # SimpleRNN(4) on D features has 4·D + 16 + 4 weights: D = 10·12 pooled (p = 2), 20·24 in full
    head = 4 * 2 + 2
    assert params["old"] == 4 * 120 + 20 + head and params["full"] == 4 * 480 + 20 + head


def test_the_new_settings_are_described_only_where_they_differ_from_an_old_runs():
    from evodeap.fitness.keras_fitness import KerasFitness

    old = KerasFitness(data=_bundle(), metric="auc").to_dict()
    assert "frame_size" not in old and "thresholds" not in old  # as a run recorded before them
    new = KerasFitness(data=_bundle(), metric="auc", frame_size=None, thresholds="validation").to_dict()
    assert new["frame_size"] is None and new["thresholds"] == "validation"
