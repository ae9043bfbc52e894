"""Every family, layer kind, pooling and task head builds and trains one step on tiny data."""
from __future__ import annotations

import keras
import numpy as np
import pytest
from model_fixtures import TASKS, TINY_SHAPE, tiny_labels, tiny_videos

from evodeap.genome.genes import ConvBlock, DenseLayer, DropoutLayer, RecurrentLayer
from evodeap.genome.genome import Genome
from evodeap.models import build_model, plan_model

HP = {"learning_rate": 0.05, "batch_size": 6, "optimizer": "sgd", "dropout": 0.1, "epochs": 1}

GENOMES = {
    # every layer kind and every pooling, across the three families
    "cnn": [ConvBlock(3, 3, "relu", "max"), DropoutLayer(0.2), ConvBlock(4, 5, "elu", "avg"),
            ConvBlock(2, 3, "tanh", "none"), DenseLayer(5, "relu"), DropoutLayer(0.1)],
    "rnn": [DropoutLayer(0.1), RecurrentLayer(4, "tanh"), RecurrentLayer(3, "relu"), DenseLayer(4, "elu")],
    "cnn+rnn": [ConvBlock(3, 3, "relu", "max"), RecurrentLayer(4, "tanh"), DropoutLayer(0.2),
                RecurrentLayer(3, "tanh"), DenseLayer(4, "tanh")],
}

CASES = [(family, "multiclass") for family in GENOMES] + [("cnn+rnn", "multilabel"), ("rnn", "binary")]


@pytest.mark.parametrize("family, kind", CASES)
def test_trains_one_step(family, kind):
    keras.utils.set_random_seed(7)
    genome = Genome(GENOMES[family], HP, family=family)
    assert plan_model(genome, TINY_SHAPE, TASKS[kind]).valid
    model = build_model(genome, TINY_SHAPE, TASKS[kind])
    x = tiny_videos()
    y = tiny_labels(kind, len(x), np.random.default_rng(1))
    before = [w.copy() for w in model.get_weights()]
    loss = model.train_on_batch(x, y)
    after = model.get_weights()
    assert np.isfinite(loss)
    assert any(not np.array_equal(a, b) for a, b in zip(before, after)), "one step changed no weight"
    assert model.predict(x, verbose=0).shape == (len(x), TASKS[kind].n_outputs)
    keras.backend.clear_session()


def test_binary_head_accepts_flat_labels_like_the_data_layer_gives():
    genome = Genome([RecurrentLayer(3, "tanh")], HP, family="rnn")
    model = build_model(genome, TINY_SHAPE, TASKS["binary"])
    flat = np.array([0, 1, 0, 1, 1, 0], dtype=np.float32)
    loss_flat = model.evaluate(tiny_videos(), flat, verbose=0)
    loss_column = model.evaluate(tiny_videos(), flat[:, None], verbose=0)
    assert loss_flat == pytest.approx(loss_column, rel=1e-6)


@pytest.mark.parametrize("kind", ["binary", "multiclass"])
def test_saved_model_round_trips(kind, tmp_path):
    genome = Genome([ConvBlock(2, 3, "relu", "max"), RecurrentLayer(3, "tanh")], HP, family="cnn+rnn")
    model = build_model(genome, TINY_SHAPE, TASKS[kind])
    model.save(tmp_path / "best_model.keras")
    loaded = keras.models.load_model(tmp_path / "best_model.keras")
    x = tiny_videos()
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-6)
    assert type(loaded.loss) is type(model.loss)
