"""The backend-neutral input path (DataBundle.batches / ArrayBatches) against the tf.data one."""
from __future__ import annotations

import numpy as np
import pytest

from evodeap.data import Perturbation, from_arrays
from evodeap.data.batches import ArrayBatches, epoch_order
from evodeap.errors import DataError


@pytest.fixture(scope="module")
def bundle():
    rng = np.random.default_rng(4)
    x = rng.random((11, 2, 6, 6, 1), dtype=np.float32)
    return from_arrays(x, np.arange(11) % 3, x[:5], np.arange(5) % 3)


def flat(batches) -> list[np.ndarray]:
    return [bx.reshape(len(bx), -1).sum(1).round(4) for bx, _ in batches]


def test_unshuffled_batches_equal_the_tf_data_pipeline(bundle):
    neutral = list(bundle.batches("train", 4))
    tf_data = list(bundle.dataset("train", 4).as_numpy_iterator())
    assert [len(bx) for bx, _ in neutral] == [len(bx) for bx, _ in tf_data] == [4, 4, 3]
    for (nx, ny), (tx, ty) in zip(neutral, tf_data):
        assert np.array_equal(nx, tx) and np.array_equal(ny, ty)
    assert len(bundle.batches("train", 4)) == 3 and len(bundle.batches("train", 20)) == 1


def test_shuffling_is_by_seed_and_reshuffles_every_epoch(bundle):
    x, y = bundle.arrays("train")

    def orders(seed, epochs=3):
        batches = bundle.batches("train", 4, shuffle_seed=seed)
        seen = []
        for epoch in range(epochs):
            batches.set_epoch(epoch)
            seen.append(np.concatenate([by for _, by in batches]).tolist())
        return seen, batches

    first, batches = orders(7)
    assert batches.epoch == 2
    assert first == orders(7)[0]  # the same seed: the same orders
    assert first != orders(8)[0]  # another seed: other orders
    assert len({tuple(o) for o in first}) == 3  # a new order every epoch
    for epoch, order in enumerate(first):  # each epoch visits every sample once, in epoch_order
        assert order == y[epoch_order(len(y), 7, epoch)].tolist()
        assert sorted(order) == sorted(y.tolist())
    unshuffled = bundle.batches("train", 4)
    unshuffled.set_epoch(3)
    assert np.array_equal(np.concatenate([bx for bx, _ in unshuffled]), x)


def test_perturbed_batches_equal_the_tf_data_pipelines(bundle):
    p = Perturbation(noise_sigma=0.2, occlusion_size=3, occlusion_prob=1.0, seed=3)
    neutral = np.concatenate([bx for bx, _ in bundle.batches("val", 2, perturbation=p)])
    tf_data = np.concatenate([bx for bx, _ in bundle.dataset("val", 2, perturbation=p).as_numpy_iterator()])
    assert np.array_equal(neutral, tf_data) and np.array_equal(neutral, p.apply(bundle.arrays("val")[0]))


def test_bad_batch_size_split_and_indices(bundle):
    with pytest.raises(DataError, match="batch_size"):
        bundle.batches("val", 0)
    with pytest.raises(DataError, match="no test split"):
        bundle.batches("test", 2)
    batches = bundle.batches("val", 2)
    with pytest.raises(IndexError):
        batches[3]
    with pytest.raises(ValueError, match="5 inputs but 4 labels"):
        ArrayBatches(np.zeros((5, 1)), np.zeros(4), 2)


def test_the_epoch_callback_gives_the_batches_kerass_epoch_numbers(bundle):
    batches = bundle.batches("train", 4, shuffle_seed=1)
    callback = batches.epoch_callback()
    callback.on_epoch_begin(5)
    assert batches.epoch == 5
    assert np.array_equal(np.concatenate([by for _, by in batches]), bundle.arrays("train")[1][epoch_order(11, 1, 5)])
