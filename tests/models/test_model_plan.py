"""The shape walk (parameters, FLOPs, validity) agrees with the Keras models it predicts."""
from __future__ import annotations

import pathlib
import re

import keras
import numpy as np
import pytest
from model_fixtures import TASKS, TINY_SHAPE, tiny_videos

from evodeap.genome.genes import ConvBlock, DenseLayer, DropoutLayer, RecurrentLayer
from evodeap.genome.genome import Genome
from evodeap.genome.space import SearchSpace
from evodeap.models import InvalidModelError, build_model, parameter_steps, plan_model, training_flops

HP = {"learning_rate": 1e-3, "batch_size": 4, "optimizer": "adam", "dropout": 0.2, "epochs": 1}


def genome(layers, family, **hp):
    return Genome(layers, {**HP, **hp}, family=family)


@pytest.mark.parametrize("family", ["cnn", "rnn", "cnn+rnn"])
def test_planned_parameters_equal_keras_count(family):
    rng = np.random.default_rng(123)
    space = SearchSpace(family=family)
    checked = 0
    for kind, task in TASKS.items():
        for _ in range(3):
            g = space.sample_genome(rng)
            plan = plan_model(g, (3, 16, 16, 2), task)
            if not plan.valid:
                continue
            model = build_model(g, (3, 16, 16, 2), task)
            assert model.count_params() == plan.n_params, g.describe()
            assert tuple(model.output_shape[1:]) == plan.layers[-1].output_shape
            checked += 1
            keras.backend.clear_session()
    assert checked >= 6


def test_plan_counts_flops_and_params_by_hand():
    g = genome(
        [ConvBlock(4, 3, "relu", "max"), RecurrentLayer(5, "tanh"), DenseLayer(6, "relu")], "cnn+rnn",
        dropout=0.0,
    )
    plan = plan_model(g, (2, 8, 8, 1), TASKS["multiclass"])
    conv_macs = 2 * 8 * 8 * 3 * 3 * 1 * 4  # T·H·W·k²·C·F
    d = 4 * 4 * 4  # pooled 4×4 frames, 4 channels, flattened
    rnn_macs = 2 * (d * 5 + 5 * 5)
    assert plan.n_params == (9 * 4 + 4) + (d * 5 + 25 + 5) + (5 * 6 + 6) + (6 * 3 + 3)
    assert plan.forward_flops == 2 * (conv_macs + rnn_macs + 5 * 6 + 6 * 3)
    assert training_flops(plan, samples_seen=10) == 3 * plan.forward_flops * 10
    assert parameter_steps(plan, optimizer_steps=7) == 7 * plan.n_params
    names = [layer.name for layer in plan.layers]
    assert names == ["conv_0", "pool_0", "frame_flatten", "rnn_1", "dense_2", "head"]


def test_rnn_family_downsamples_frames_to_the_frame_size():
    g = genome([RecurrentLayer(4, "tanh")], "rnn", dropout=0.0)
    plan = plan_model(g, (2, 64, 40, 3), TASKS["binary"], rnn_frame_size=16)
    assert plan.layers[0].name == "frame_downsample" and plan.layers[0].output_shape == (2, 16, 10, 3)
    model = build_model(g, (2, 64, 40, 3), TASKS["binary"], rnn_frame_size=16)
    assert model.count_params() == plan.n_params == (16 * 10 * 3) * 4 + 16 + 4 + 5


@pytest.mark.parametrize(
    "g, reason",
    [
        (genome([ConvBlock(4, 3, "relu", "max")] * 4, "cnn"), "shrink below 1"),
        (genome([DenseLayer(8, "relu"), ConvBlock(4, 3, "relu", "none")], "cnn"), "comes after"),
        (genome([ConvBlock(4, 3, "relu", "none"), RecurrentLayer(4, "tanh")], "cnn"), "not allowed"),
        (genome([DenseLayer(8, "relu")], "rnn"), "needs at least one rnn"),
        (genome([RecurrentLayer(8, "relu")], "transformer"), "unknown model family"),
        (genome([RecurrentLayer(8, "softmaxx")], "rnn"), "unknown activation"),
        (genome([RecurrentLayer(8, "relu")], "rnn", optimizer="adagrad"), "optimizer"),
        (genome([RecurrentLayer(8, "relu")], "rnn", learning_rate=-1.0), "learning_rate"),
        (genome([ConvBlock(4, 3, "relu", "max"), DropoutLayer(1.5)], "cnn"), "dropout rate"),
        (genome([ConvBlock(64, 5, "relu", "none"), DenseLayer(256, "relu")], "cnn"), "exceed the cap"),
    ],
)
def test_invalid_genomes_are_caught_before_building(g, reason):
    plan = plan_model(g, TINY_SHAPE, TASKS["multiclass"], max_params=50_000)
    assert not plan.valid
    assert any(reason in p for p in plan.problems), plan.problems
    with pytest.raises(InvalidModelError, match=re.escape(reason)):
        build_model(g, TINY_SHAPE, TASKS["multiclass"], max_params=50_000)


def test_parameter_cap_is_configurable_and_can_be_disabled():
    g = genome([ConvBlock(64, 5, "relu", "none"), DenseLayer(256, "relu")], "cnn")
    assert not plan_model(g, TINY_SHAPE, TASKS["binary"], max_params=1000).valid
    assert plan_model(g, TINY_SHAPE, TASKS["binary"], max_params=None).valid


def test_unknown_task_kind_is_invalid():
    class Regression:
        kind, n_outputs = "regression", 1

    plan = plan_model(genome([RecurrentLayer(4, "tanh")], "rnn"), TINY_SHAPE, Regression())
    assert any("unknown task kind" in p for p in plan.problems)


@pytest.mark.parametrize("kind, activation, loss", [
    ("multiclass", "softmax", keras.losses.SparseCategoricalCrossentropy),
    ("multilabel", "sigmoid", keras.losses.BinaryCrossentropy),
    ("binary", "sigmoid", keras.losses.BinaryCrossentropy),
])
def test_heads_and_losses_per_task(kind, activation, loss):
    g = genome([ConvBlock(2, 3, "relu", "avg"), DenseLayer(4, "elu")], "cnn")
    model = build_model(g, TINY_SHAPE, TASKS[kind])
    head = model.get_layer("head")
    assert head.activation.__name__ == activation
    assert isinstance(model.loss, loss)
    out = model.predict(tiny_videos(), verbose=0)
    assert out.shape == (6, TASKS[kind].n_outputs)
    if kind == "multiclass":
        np.testing.assert_allclose(out.sum(axis=1), 1.0, rtol=1e-5)
    assert np.all((out >= 0) & (out <= 1))


@pytest.mark.parametrize("name, cls", [("adam", "Adam"), ("sgd", "SGD"), ("rmsprop", "RMSprop")])
def test_optimizer_and_learning_rate_come_from_the_genes(name, cls):
    g = genome([RecurrentLayer(4, "tanh")], "rnn", optimizer=name, learning_rate=0.0125)
    model = build_model(g, TINY_SHAPE, TASKS["binary"])
    assert type(model.optimizer).__name__ == cls
    assert float(keras.ops.convert_to_numpy(model.optimizer.learning_rate)) == pytest.approx(0.0125)


def test_dropout_genes_and_dropout_hyperparameter_become_layers():
    g = genome([DropoutLayer(0.1), RecurrentLayer(4, "tanh"), DropoutLayer(0.3)], "rnn", dropout=0.25)
    model = build_model(g, TINY_SHAPE, TASKS["binary"])
    rates = {layer.name: layer.rate for layer in model.layers if isinstance(layer, keras.layers.Dropout)}
    assert rates == {"dropout_0": 0.1, "dropout_2": 0.3, "head_dropout": 0.25}
    no_head = build_model(genome([RecurrentLayer(4, "tanh")], "rnn", dropout=0.0), TINY_SHAPE, TASKS["binary"])
    assert "head_dropout" not in [layer.name for layer in no_head.layers]


def test_per_frame_conv3d_equals_time_distributed_conv2d():
    """The CNN uses Conv3D with a (1, k, k) kernel: the same model as TimeDistributed(Conv2D)."""
    g = genome([ConvBlock(3, 3, "relu", "none")], "cnn")
    model = build_model(g, TINY_SHAPE, TASKS["binary"])
    conv = model.get_layer("conv_0")
    kernel, bias = conv.get_weights()
    conv2d = keras.layers.Conv2D(3, 3, padding="same", activation="relu")
    reference = keras.layers.TimeDistributed(conv2d)
    reference.build((None,) + TINY_SHAPE)
    conv2d.set_weights([kernel[0], bias])
    videos = tiny_videos()
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(conv(videos)),
        keras.ops.convert_to_numpy(reference(videos)),
        rtol=1e-5, atol=1e-6,
    )


def test_models_package_uses_only_the_public_keras_api():
    root = pathlib.Path(__file__).resolve().parents[2] / "models"
    for path in root.glob("*.py"):
        text = path.read_text()
        assert not re.search(r"^\s*(import|from)\s+tensorflow", text, re.M), path
        assert not re.search(r"\btf\.", text), path
        assert "keras.src" not in text, path
