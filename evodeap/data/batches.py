"""``ArrayBatches``: the backend-neutral input pipeline (a ``keras.utils.PyDataset`` of NumPy batches).

The Keras fitness trains from it on JAX and PyTorch; it needs no TensorFlow. (On
TensorFlow use :meth:`evodeap.data.DataBundle.dataset`: Keras wraps a ``PyDataset`` in a
``tf.data`` pipeline there, whose prefetching may read the first batches of an epoch
before the epoch's reshuffle.) It keeps the contract of ``DataBundle.dataset``:

* batches of ``batch_size`` samples in order, the last one smaller when ``batch_size``
  does not divide ``N``;
* with a ``shuffle_seed``, a fresh order every epoch, fixed by the seed: epoch ``e``
  (0, 1, ... as Keras numbers them) visits the samples in the order
  ``default_rng([seed, e]).permutation(N)`` — when ``fit`` gets
  :meth:`ArrayBatches.epoch_callback`; without a seed, in their stored order;
* perturbed inputs are computed once by the caller, so every epoch sees the same ones.

The two pipelines shuffle with different generators (``tf.data``'s and NumPy's), so
with a shuffle seed they visit the samples in different orders; the batch sizes, the
set of samples per epoch and the unshuffled order are the same.
"""
from __future__ import annotations

import math
from typing import Iterator

import keras
import numpy as np


def epoch_order(n: int, shuffle_seed: int | None, epoch: int) -> np.ndarray:
    """The sample order of ``epoch``: ``default_rng([seed, epoch]).permutation(n)``, or ``0..n-1``."""
    if shuffle_seed is None:
        return np.arange(n)
    return np.random.default_rng([int(shuffle_seed), int(epoch)]).permutation(n)


class ArrayBatches(keras.utils.PyDataset):
    """``(x, y)`` NumPy batches of in-memory arrays, reshuffled by seed for every epoch.

    The order follows :attr:`epoch`, which :meth:`epoch_callback` — a Keras callback to
    pass to ``fit`` — sets at the start of every epoch from the epoch number Keras gives
    it. (Keras' own ``PyDataset`` hooks are not used for this: how often they are called
    per epoch differs between backends.) Batches are read lazily, after the callback, and
    a peek before the first epoch sees epoch 0's order. Iterating the object yields the
    batches of the current epoch.

    Args:
        x: inputs, ``(N, ...)``.
        y: labels, ``(N, ...)``.
        batch_size: samples per batch (``>= 1``).
        shuffle_seed: reshuffle every epoch from this seed; None keeps the stored order.
    """

    def __init__(self, x: np.ndarray, y: np.ndarray, batch_size: int, shuffle_seed: int | None = None) -> None:
        super().__init__(workers=1, use_multiprocessing=False)
        if len(x) != len(y):
            raise ValueError(f"{len(x)} inputs but {len(y)} labels")
        self.x = x
        self.y = y
        self.batch_size = int(batch_size)
        self.shuffle_seed = shuffle_seed
        #: the epoch whose order the batches follow
        self.epoch = 0
        self._order = epoch_order(len(y), shuffle_seed, 0)

    def __len__(self) -> int:
        """Batches per epoch: ``⌈N / batch_size⌉``."""
        return math.ceil(len(self.y) / self.batch_size)

    def __getitem__(self, index: int) -> tuple[np.ndarray, np.ndarray]:
        if not 0 <= index < len(self):
            raise IndexError(f"batch {index} of {len(self)}")
        rows = self._order[index * self.batch_size:(index + 1) * self.batch_size]
        return self.x[rows], self.y[rows]

    def __iter__(self) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        for index in range(len(self)):
            yield self[index]

    def set_epoch(self, epoch: int) -> None:
        """Follow ``epoch``'s order from now on (:func:`epoch_order`)."""
        self.epoch = int(epoch)
        self._order = epoch_order(len(self.y), self.shuffle_seed, self.epoch)

    def epoch_callback(self) -> keras.callbacks.Callback:
        """The Keras callback that calls :meth:`set_epoch` at the start of every epoch of ``fit``."""
        return _EpochOrder(self)


class _EpochOrder(keras.callbacks.Callback):
    """``on_epoch_begin(epoch)``: the batches take epoch ``epoch``'s order."""

    def __init__(self, batches: ArrayBatches) -> None:
        super().__init__()
        self.batches = batches

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        self.batches.set_epoch(epoch)
