"""Tiny data bundles and genomes shared by the fitness tests (imported as ``fitness_fixtures``)."""
from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np

from evodeap.data import from_arrays
from evodeap.genome.genes import ConvBlock, DenseLayer, RecurrentLayer
from evodeap.genome.genome import Genome

#: (T, H, W, C): 3 frames of 8×8 pixels, 1 channel.
SHAPE = (3, 8, 8, 1)
SPLITS = {"train": 12, "val": 8, "test": 6}


def _labels(kind: str, n: int, rng: np.random.Generator) -> np.ndarray:
    if kind == "multiclass":
        y = rng.integers(0, 3, n)
        y[:3] = [0, 1, 2]
        return y
    if kind == "multilabel":
        y = (rng.random((n, 2)) < 0.5).astype(np.float32)
        y[0], y[1] = 0, 1
        return y
    y = (rng.random(n) < 0.5).astype(np.float32)
    y[0], y[1] = 0, 1
    return y


def tiny_bundle(kind: str = "multiclass", seed: int = 0, test: bool = True):
    """A ``DataBundle`` of random videos whose label is learnable (mean brightness)."""
    rng = np.random.default_rng(seed)
    arrays = []
    for split, n in SPLITS.items():
        if split == "test" and not test:
            continue
        y = _labels(kind, n, rng)
        signal = np.asarray(y, dtype=np.float32).reshape(n, -1).mean(axis=1)
        x = 0.5 * rng.random((n,) + SHAPE, dtype=np.float32) + 0.4 * signal[:, None, None, None, None] / max(1.0, signal.max())
        arrays += [np.clip(x, 0, 1).astype(np.float32), y]
    return from_arrays(*arrays, task=kind)


HP = {"learning_rate": 0.01, "batch_size": 4, "optimizer": "adam", "dropout": 0.1, "epochs": 2}


def cnn_genome(**hp) -> Genome:
    return Genome([ConvBlock(4, 3, "relu", "max"), DenseLayer(8, "relu")], {**HP, **hp}, family="cnn")


def rnn_genome(**hp) -> Genome:
    return Genome([RecurrentLayer(6, "tanh"), DenseLayer(4, "relu")], {**HP, **hp}, family="rnn")


def cnn_rnn_genome(**hp) -> Genome:
    return Genome(
        [ConvBlock(3, 3, "relu", "avg"), RecurrentLayer(4, "tanh")], {**HP, **hp}, family="cnn+rnn"
    )


class NaNInputs:
    """A bundle whose training inputs are all NaN (injects a diverging training)."""

    def __init__(self, bundle) -> None:
        self._bundle = bundle
        self.task, self.input_shape, self.splits = bundle.task, bundle.input_shape, bundle.splits

    def size(self, split):
        return self._bundle.size(split)

    def dataset(self, split, batch_size, **kwargs):
        ds = self._bundle.dataset(split, batch_size, **kwargs)
        if split != "train":
            return ds
        return ds.map(lambda x, y: (x * float("nan"), y))


def tiny_cnn_space():
    """A cnn search space of 2–3 tiny layers (2–4 filters, batch 4, 1–2 epochs) for runs
    that train real Keras models on :func:`tiny_bundle`."""
    from evodeap.genome.space import Choice, Integer, Real, SearchSpace

    return SearchSpace(
        family="cnn",
        hyperparameters={"learning_rate": Real(1e-3, 3e-2, log=True), "batch_size": Choice((4,)),
                         "optimizer": Choice(("adam",)), "dropout": Real(0.0, 0.2), "epochs": Integer(1, 2)},
        layers={"conv": {"filters": Integer(2, 4), "kernel_size": Choice((3,)), "activation": Choice(("relu",)),
                         "pooling": Choice(("max",))},
                "dense": {"units": Integer(4, 8), "activation": Choice(("relu",))},
                "dropout": {"rate": Real(0.0, 0.2)}},
        min_layers=2, max_layers=3,
    )
