"""Weight inheritance: the pairing rule exactly, transfers on real tiny models, byte round trips."""
from __future__ import annotations

import os
import random
import tempfile
import warnings

import keras
import numpy as np
import pytest
from fitness_fixtures import HP, tiny_bundle

from evodeap.fitness.inheritance import (
    LayerInfo,
    describe,
    inherit_weights,
    layer_kind,
    load_weights_bytes,
    match_layers,
    transfer_weights,
    weights_to_bytes,
)
from evodeap.genome.genes import ConvBlock, DenseLayer, DropoutLayer
from evodeap.genome.genome import Genome
from evodeap.models import build_model


# -- pure core ----------------------------------------------------------------------
@pytest.mark.parametrize(
    "name, kind",
    [("conv_3", "conv"), ("dense_0", "dense"), ("rnn_12", "rnn"), ("head", "head"),
     ("head_dropout", "head_dropout"), ("frame_flatten", "frame_flatten"), ("a_1_2", "a_1"), ("x_", "x_")],
)
def test_layer_kind_strips_one_trailing_ordinal(name, kind):
    assert layer_kind(name) == kind


def info(name: str, *shapes: tuple[int, ...]) -> LayerInfo:
    return LayerInfo(name, layer_kind(name), tuple(shapes))


# conv(4, k3) -> conv(4, k3) -> dense(8) -> head(3), frames 8x8 pooled once to 4x4
PARENT = [
    info("conv_0", (1, 3, 3, 1, 4), (4,)),
    info("conv_1", (1, 3, 3, 4, 4), (4,)),
    info("dense_2", (64, 8), (8,)),
    info("head", (8, 3), (3,)),
]


def test_identical_layers_are_all_paired():
    assert match_layers(PARENT, PARENT) == [(i.name, i.name) for i in PARENT]


def test_a_wider_conv_and_the_layer_reading_it_are_not_paired():
    child = [
        info("conv_0", (1, 3, 3, 1, 6), (6,)),  # 4 -> 6 filters
        info("conv_1", (1, 3, 3, 6, 4), (4,)),  # its input depth changed
        info("dense_2", (64, 8), (8,)),
        info("head", (8, 3), (3,)),
    ]
    assert match_layers(PARENT, child) == [("dense_2", "dense_2"), ("head", "head")]


def test_a_layer_of_another_kind_does_not_shift_ordinals():
    child = [
        info("conv_0", (1, 3, 3, 1, 4), (4,)),
        info("rnn_1", (64, 5), (5, 5), (5,)),  # inserted: every later name shifts
        info("conv_2", (1, 3, 3, 4, 4), (4,)),
        info("dense_3", (64, 8), (8,)),
        info("head", (8, 3), (3,)),
    ]
    assert match_layers(PARENT, child) == [
        ("conv_0", "conv_0"), ("conv_1", "conv_2"), ("dense_2", "dense_3"), ("head", "head"),
    ]


def test_pairing_is_by_ordinal_only():
    # an extra conv at the front shifts the conv ordinals: conv k of the child faces conv k
    # of the parent, and a fitting conv elsewhere is never searched for
    child = [
        info("conv_0", (1, 3, 3, 1, 4), (4,)),
        info("conv_1", (1, 3, 3, 4, 4), (4,)),
        info("conv_2", (1, 3, 3, 4, 4), (4,)),  # no 2nd conv in the parent
        info("dense_3", (64, 8), (8,)),
        info("head", (8, 3), (3,)),
    ]
    assert match_layers(PARENT, child) == [
        ("conv_0", "conv_0"), ("conv_1", "conv_1"), ("dense_2", "dense_3"), ("head", "head"),
    ]
    swapped = [info("dense_0", (64, 5), (5,)), info("dense_1", (64, 8), (8,))]
    assert match_layers([info("dense_0", (64, 8), (8,)), info("dense_1", (64, 5), (5,))], swapped) == []


def test_different_variable_counts_are_not_paired():
    no_bias = [info("dense_0", (64, 8))]
    with_bias = [info("dense_0", (64, 8), (8,))]
    assert match_layers(with_bias, no_bias) == []
    assert match_layers(no_bias, with_bias) == []
    assert match_layers(no_bias, no_bias) == [("dense_0", "dense_0")]


def test_head_is_paired_only_when_its_shapes_match():
    wider_dense = [info("dense_0", (64, 6), (6,)), info("head", (6, 3), (3,))]
    more_classes = [info("dense_0", (64, 8), (8,)), info("head", (8, 2), (2,))]
    parent = [info("dense_0", (64, 8), (8,)), info("head", (8, 3), (3,))]
    assert match_layers(parent, wider_dense) == []
    assert match_layers(parent, more_classes) == [("dense_0", "dense_0")]
    assert match_layers(parent, parent[::-1][:1]) == [("head", "head")]


def test_kinds_never_cross_and_missing_sources_are_unpaired():
    assert match_layers([info("rnn_0", (8, 8), (8,))], [info("dense_0", (8, 8), (8,))]) == []
    assert match_layers([], PARENT) == [] and match_layers(PARENT, []) == []


# -- real models ----------------------------------------------------------------------
@pytest.fixture(scope="module")
def bundle():
    return tiny_bundle("multiclass")


PARENT_GENOME = Genome(
    [ConvBlock(4, 3, "relu", "max"), ConvBlock(4, 3, "relu", "none"), DenseLayer(8, "relu")], HP, family="cnn"
)


def mutated(genome: Genome, index: int, gene) -> Genome:
    child = Genome(genome, genome.hyperparameters, genome.family)
    child[index] = gene
    return child


def trained(genome: Genome, bundle, seed: int = 1) -> keras.Model:
    """The genome's model after one SGD step (so its weights are not an initialisation)."""
    keras.utils.set_random_seed(seed)
    model = build_model(genome, bundle.input_shape, bundle.task)
    model.train_on_batch(*batch(bundle, "train", 4))
    return model


def batch(bundle, split: str, n: int) -> tuple[np.ndarray, np.ndarray]:
    x, y = next(iter(bundle.dataset(split, n)))
    return x.numpy(), y.numpy()


def weights_of(model: keras.Model) -> dict[str, list[np.ndarray]]:
    return {layer.name: layer.get_weights() for layer in model.layers if layer.weights}


def same(a: list[np.ndarray], b: list[np.ndarray]) -> bool:
    return len(a) == len(b) and all(x.shape == y.shape and np.array_equal(x, y) for x, y in zip(a, b))


def test_describe_lists_the_layers_with_weights_in_order(bundle):
    model = build_model(PARENT_GENOME, bundle.input_shape, bundle.task, compile=False)
    assert describe(model) == [
        LayerInfo("conv_0", "conv", ((1, 3, 3, 1, 4), (4,))),
        LayerInfo("conv_1", "conv", ((1, 3, 3, 4, 4), (4,))),
        LayerInfo("dense_2", "dense", ((64, 8), (8,))),
        LayerInfo("head", "head", ((8, 3), (3,))),
    ]


def test_transfer_copies_matched_layers_and_leaves_the_others_fresh(bundle):
    source = trained(PARENT_GENOME, bundle)
    target = build_model(mutated(PARENT_GENOME, 0, ConvBlock(6, 3, "relu", "max")), bundle.input_shape, bundle.task)
    src, before = weights_of(source), weights_of(target)
    assert not same(before["dense_2"], src["dense_2"])  # the copy below is observable

    report = transfer_weights(source, target)

    assert report == {"inherited": ["dense_2", "head"], "fresh": ["conv_0", "conv_1"]}
    after = weights_of(target)
    for name in report["inherited"]:
        assert same(after[name], src[name])
    for name in report["fresh"]:
        assert same(after[name], before[name])
        assert not any(a.shape == b.shape and np.array_equal(a, b) for a, b in zip(after[name], src[name]))
    assert all(same(w, src[n]) for n, w in weights_of(source).items())  # source untouched


def test_weight_bytes_round_trip_into_a_fresh_model(bundle, tmp_path, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # see what the helpers leave behind
    source = trained(PARENT_GENOME, bundle)
    data = weights_to_bytes(source)
    assert isinstance(data, bytes) and data == weights_to_bytes(source)
    fresh = build_model(PARENT_GENOME, bundle.input_shape, bundle.task)  # compiled, optimizer unbuilt
    assert not same(fresh.get_weights()[0], source.get_weights()[0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no warning about the (skipped) optimizer state
        load_weights_bytes(fresh, data)
    assert same(fresh.get_weights(), source.get_weights())
    x, _ = batch(bundle, "val", 8)
    np.testing.assert_array_equal(fresh.predict(x, verbose=0), source.predict(x, verbose=0))
    assert os.listdir(tmp_path) == []


def test_loading_bytes_of_another_architecture_raises(bundle):
    data = weights_to_bytes(build_model(PARENT_GENOME, bundle.input_shape, bundle.task, compile=False))
    other = build_model(mutated(PARENT_GENOME, 2, DenseLayer(5, "relu")), bundle.input_shape, bundle.task)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(ValueError):
            load_weights_bytes(other, data)


def test_inherit_weights_end_to_end_from_parent_bytes(bundle):
    parent = trained(PARENT_GENOME, bundle)
    data = weights_to_bytes(parent)
    # mutate: a dropout gene inserted in front (every later layer renamed) and the second
    # conv's kernel widened (same bias shape, different kernel shape)
    child_genome = Genome(
        [ConvBlock(4, 3, "relu", "max"), DropoutLayer(0.2), ConvBlock(4, 5, "relu", "none"), DenseLayer(8, "relu")],
        HP, family="cnn",
    )
    child = build_model(child_genome, bundle.input_shape, bundle.task)
    before = weights_of(child)
    python_state, numpy_state = random.getstate(), np.random.get_state()

    report = inherit_weights(child, PARENT_GENOME, data, bundle.input_shape, bundle.task, max_params=None)

    assert report == {"inherited": ["conv_0", "dense_3", "head"], "fresh": ["conv_2"]}
    src, after = weights_of(parent), weights_of(child)
    assert same(after["conv_0"], src["conv_0"])
    assert same(after["dense_3"], src["dense_2"])
    assert same(after["head"], src["head"])
    assert same(after["conv_2"], before["conv_2"])
    # building the parent drew initializer seeds from Python's random; the state is restored
    assert random.getstate() == python_state
    restored = np.random.get_state()
    assert restored[0] == numpy_state[0] and np.array_equal(restored[1], numpy_state[1]) and restored[2:] == numpy_state[2:]
    # the child still trains after inheriting
    assert np.isfinite(child.train_on_batch(*batch(bundle, "train", 4)))


def test_inherit_weights_of_an_identical_genome_reproduces_the_parent(bundle):
    parent = trained(PARENT_GENOME, bundle)
    child = build_model(PARENT_GENOME, bundle.input_shape, bundle.task)
    report = inherit_weights(child, PARENT_GENOME, weights_to_bytes(parent), bundle.input_shape, bundle.task)
    assert report == {"inherited": ["conv_0", "conv_1", "dense_2", "head"], "fresh": []}
    assert same(child.get_weights(), parent.get_weights())
