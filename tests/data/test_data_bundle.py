"""load(), DataSpec, DataBundle arrays and tf.data pipelines, Perturbation, bring your own data."""
from __future__ import annotations

import pickle

import numpy as np
import pytest

from evodeap.data import DataSpec, Perturbation, TaskInfo, from_arrays, from_datasets, load, write_published
from evodeap.data.captions import parse_caption
from evodeap.data.loader import videos_to_inputs
from evodeap.data.store import open_set
from evodeap.data.tasks import task_labels
from evodeap.errors import DataError, UnknownNameError

SMALL = dict(videos=(8, 4, 3), frames=6, seed=1)


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    return str(tmp_path_factory.mktemp("bundle-cache"))


# ---- DataSpec -----------------------------------------------------------------------


def test_spec_defaults_and_round_trip():
    spec = DataSpec()
    assert (spec.version, spec.task, spec.frames, spec.frame_stride, spec.downsample) == ("hard", "digits", 20, 1, 1)
    assert spec.input_shape == (20, 72, 128, 1)
    again = DataSpec.from_dict(spec.to_dict())
    assert again == spec and pickle.loads(pickle.dumps(spec)) == spec
    import json

    assert DataSpec.from_dict(json.loads(json.dumps(DataSpec(videos=10, frame_stride=3).to_dict()))).videos == (10, 2, 2)
    assert DataSpec(frames=20, frame_stride=3, downsample=4).input_shape == (7, 18, 32, 1)


@pytest.mark.parametrize(
    "kwargs,match",
    [
        (dict(version="extreme"), "unknown dataset version"),
        (dict(task="exits", version="easy"), "hard version only"),
        (dict(task="digit", version="hard"), "easy version only"),
        (dict(downsample=3), "divide 72 and 128"),
        (dict(frames=0), "frames"),
        (dict(frame_stride=-1), "frame_stride"),
        (dict(videos=(0, 1, 1)), "train >= 1"),
        (dict(videos=(1, 2)), "train >= 1"),
        (dict(seed=-3), "seed"),
        (dict(kaggle_dir="a", data_dir="b"), "not both"),
    ],
)
def test_spec_validation(kwargs, match):
    with pytest.raises(DataError, match=match):
        DataSpec(**kwargs)
    with pytest.raises(DataError, match="unknown data spec key"):
        DataSpec.from_dict({"colour": 1})


def test_unknown_task_is_the_registry_error():
    with pytest.raises(UnknownNameError, match=r"unknown task 'colour'; known: digit, digits, digits\+direction, direction, exits"):
        DataSpec(task="colour")


# ---- load ---------------------------------------------------------------------------


def test_load_shapes_labels_and_captions(cache):
    spec = DataSpec(task="digits", cache_dir=cache, **SMALL)
    b = load(spec)
    assert b.task.name == "digits" and b.input_shape == (6, 72, 128, 1) and b.spec is spec
    assert b.splits == ("train", "val", "test")
    for split, n in zip(("train", "val", "test"), SMALL["videos"]):
        x, y = b.arrays(split)
        assert x.shape == (n, 6, 72, 128, 1) and x.dtype == np.float32
        assert 0.0 <= x.min() and x.max() <= 1.0 and x.max() > 0.9
        assert y.shape == (n, 10)
        expected = task_labels("digits", "hard", [parse_caption(c) for c in b.captions(split)])
        assert np.array_equal(y, expected)
    assert b.arrays("train")[0] is b.arrays("train")[0]  # computed once
    assert not b.arrays("train")[0].flags.writeable


def test_same_spec_same_data_and_cache_reuse(cache):
    spec = DataSpec(cache_dir=cache, **SMALL)
    a, b = load(spec), load(spec)
    assert np.array_equal(a.arrays("test")[0], b.arrays("test")[0])
    other = load(DataSpec(cache_dir=cache, videos=(8, 4, 3), frames=6, seed=2))
    assert not np.array_equal(a.arrays("test")[0], other.arrays("test")[0])


def test_stride_and_downsample(cache):
    full = load(DataSpec(cache_dir=cache, **SMALL))
    small = load(DataSpec(cache_dir=cache, frame_stride=2, downsample=4, **SMALL))
    assert small.input_shape == (3, 18, 32, 1)
    x, _ = full.arrays("val")
    xs, _ = small.arrays("val")
    assert xs.shape == (4, 3, 18, 32, 1)
    expected = x[:, ::2].reshape(4, 3, 18, 4, 32, 4, 1).mean(axis=(3, 5))
    np.testing.assert_allclose(xs, expected, atol=1e-6)


def test_videos_to_inputs_exact():
    v = np.zeros((1, 3, 72, 128), np.uint8)
    v[0, 2, :2, :2] = 255
    v[0, 2, 0, 0] = 51
    x = videos_to_inputs(v, 3, 2, 2)
    assert x.shape == (1, 2, 36, 64, 1)
    assert x[0, 1, 0, 0, 0] == pytest.approx((51 + 3 * 255) / 4 / 255)
    assert x[0, 0].sum() == 0
    with pytest.raises(DataError, match="3 frames; 4 were asked"):
        videos_to_inputs(v, 4, 1, 1)


@pytest.mark.parametrize("version,task,kind,n", [("easy", "digit", "multiclass", 10), ("easy", "direction", "multiclass", 4),
                                                 ("medium", "direction", "multilabel", 8), ("hard", "exits", "binary", 1)])
def test_every_task_loads(cache, version, task, kind, n):
    b = load(DataSpec(version=version, task=task, cache_dir=cache, videos=(6, 2, 2), frames=5, seed=0))
    assert (b.task.kind, b.task.n_outputs) == (kind, n)
    _, y = b.arrays("train")
    if kind == "multiclass":
        assert y.dtype == np.int64 and y.shape == (6,) and y.max() < n
    elif kind == "multilabel":
        assert y.dtype == np.float32 and y.shape == (6, n)
    else:
        assert y.dtype == np.float32 and y.shape == (6,)


def test_no_test_split(cache):
    b = load(DataSpec(cache_dir=cache, videos=(4, 2, 0), frames=3))
    assert b.splits == ("train", "val")
    with pytest.raises(DataError, match="no test split"):
        b.arrays("test")
    with pytest.raises(DataError, match="unknown split"):
        b.arrays("holdout")


def test_load_from_data_dir_and_corrupt_data_dir(tmp_path):
    from evodeap.data.store import GenerationParams, write_set

    write_set(tmp_path / "set", GenerationParams("medium", (5, 2, 2), 4, 7))
    b = load(DataSpec(version="medium", data_dir=str(tmp_path / "set"), frames=4))
    assert b.arrays("train")[0].shape == (5, 4, 72, 128, 1)
    with pytest.raises(DataError, match="holds the medium version"):
        load(DataSpec(version="hard", data_dir=str(tmp_path / "set"), frames=4))
    with open(tmp_path / "set" / "val_videos.npy", "r+b") as f:
        f.seek(-3, 2)
        f.write(b"xyz")
    with pytest.raises(DataError, match="corrupt"):
        load(DataSpec(version="medium", data_dir=str(tmp_path / "set"), frames=4))


def test_load_published_files(tmp_path, cache):
    load(DataSpec(cache_dir=cache, **SMALL))  # fills the cache
    stored = open_set(_cache_folder(cache))
    v = np.concatenate([stored.splits[s].videos for s in ("train", "val", "test")])
    caps = sum((stored.splits[s].captions for s in ("train", "val", "test")), [])
    write_published(tmp_path / "pub", v, caps, batch_size=5)
    b = load(DataSpec(kaggle_dir=str(tmp_path / "pub"), videos=(6, 3, 2), frames=6, seed=0))
    seen = b.captions("train") + b.captions("val") + b.captions("test")
    assert len(set(seen)) == len(seen) == 11 and set(seen) <= set(caps)
    x, y = b.arrays("val")
    assert x.shape == (3, 6, 72, 128, 1) and y.shape == (3, 10)
    with pytest.raises(DataError, match="15 videos, but 16 were asked"):
        load(DataSpec(kaggle_dir=str(tmp_path / "pub"), videos=(10, 3, 3), frames=6))


def _cache_folder(cache):
    from pathlib import Path

    from evodeap.data.store import GenerationParams, cache_path

    return cache_path(GenerationParams("hard", SMALL["videos"], SMALL["frames"], SMALL["seed"]), Path(cache))


# ---- tf.data ------------------------------------------------------------------------


def test_dataset_batches_equal_arrays_and_shuffle_is_seeded(cache):
    b = load(DataSpec(cache_dir=cache, **SMALL))
    x, y = b.arrays("train")
    batches = list(b.dataset("train", 3).as_numpy_iterator())
    assert [len(bx) for bx, _ in batches] == [3, 3, 2]
    assert np.array_equal(np.concatenate([bx for bx, _ in batches]), x)
    assert np.array_equal(np.concatenate([by for _, by in batches]), y)

    def order(seed):
        ds = b.dataset("train", 8, shuffle_seed=seed)
        return [tuple(np.concatenate([bx.reshape(len(bx), -1).sum(1) for bx, _ in ds.as_numpy_iterator()]).round(3))
                for _ in range(2)]

    first, second = order(5), order(5)
    assert first == second  # same seed: same epoch orders
    assert first[0] != first[1]  # reshuffled each epoch
    assert sorted(first[0]) == sorted(x.reshape(8, -1).sum(1).round(3))


def test_dataset_with_perturbation(cache):
    b = load(DataSpec(cache_dir=cache, **SMALL))
    p = Perturbation(noise_sigma=0.2, occlusion_size=10, occlusion_prob=1.0, seed=3)
    got = np.concatenate([bx for bx, _ in b.dataset("val", 2, perturbation=p).as_numpy_iterator()])
    assert np.array_equal(got, p.apply(b.arrays("val")[0]))
    with pytest.raises(DataError, match="batch_size"):
        b.dataset("val", 0)


# ---- Perturbation -------------------------------------------------------------------


def test_perturbation_is_deterministic_and_clipped():
    x = np.random.default_rng(0).random((5, 3, 20, 30, 1), dtype=np.float32)
    p = Perturbation(noise_sigma=0.3, occlusion_size=8, occlusion_prob=0.6, seed=9)
    a, b = p.apply(x), p.apply(x)
    assert np.array_equal(a, b) and a.dtype == np.float32 and a.shape == x.shape
    assert a.min() >= 0 and a.max() <= 1
    assert not np.array_equal(a, Perturbation(noise_sigma=0.3, occlusion_size=8, occlusion_prob=0.6, seed=10).apply(x))
    assert x.max() < 1.0  # input untouched


def test_perturbation_occluder_and_noise_level():
    x = np.full((200, 2, 16, 16, 1), 0.5, np.float32)
    occ = Perturbation(noise_sigma=0.0, occlusion_size=4, occlusion_prob=0.5, seed=1).apply(x)
    zeros = (occ == 0).reshape(200, 2, -1).sum(-1)
    assert set(zeros.ravel().tolist()) <= {0, 16}
    assert (zeros[:, 0] == zeros[:, 1]).all()  # the same square in every frame
    assert 70 < (zeros[:, 0] == 16).sum() < 130
    noisy = Perturbation(noise_sigma=0.1, occlusion_prob=0.0, seed=1).apply(x)
    assert (noisy - x).std() == pytest.approx(0.1, rel=0.05)
    assert np.array_equal(Perturbation(noise_sigma=0.0, occlusion_prob=0.0).apply(x), x)


def test_perturbation_validation():
    for bad in [dict(noise_sigma=-1.0), dict(occlusion_prob=1.5), dict(occlusion_size=-2), dict(seed=-1)]:
        with pytest.raises(DataError):
            Perturbation(**bad)
    with pytest.raises(DataError, match=r"\(N, T, H, W, C\)"):
        Perturbation().apply(np.zeros((2, 3, 4)))
    p = Perturbation(occlusion_size=100, seed=2)
    assert Perturbation.from_dict(p.to_dict()) == p
    assert p.apply(np.zeros((2, 1, 5, 6, 1), np.float32)).shape == (2, 1, 5, 6, 1)


# ---- bring your own data ------------------------------------------------------------


def test_from_arrays_images_become_one_frame_videos():
    rng = np.random.default_rng(0)
    xtr = rng.integers(0, 256, (10, 8, 9), dtype=np.uint8)
    b = from_arrays(xtr, np.arange(10) % 3, xtr[:4], np.array([0, 1, 2, 0]))
    assert b.input_shape == (1, 8, 9, 1) and b.task == TaskInfo("custom", "multiclass", 3, ("0", "1", "2"))
    x, y = b.arrays("train")
    np.testing.assert_allclose(x[:, 0, :, :, 0], xtr / 255.0, atol=1e-7)
    assert y.dtype == np.int64 and b.splits == ("train", "val")
    bx, by = next(b.dataset("train", 4, shuffle_seed=0).as_numpy_iterator())
    assert bx.shape == (4, 1, 8, 9, 1) and by.shape == (4,)
    c = from_arrays(np.zeros((3, 5, 5, 3)), np.eye(3, 4), np.zeros((2, 5, 5, 3)), np.ones((2, 4)),
                    np.zeros((1, 5, 5, 3)), np.zeros((1, 4)), task="multilabel")
    assert c.input_shape == (1, 5, 5, 3) and c.task.n_outputs == 4 and c.splits == ("train", "val", "test")
    d = from_arrays(np.zeros((3, 4, 5, 5, 1)), [[0], [1], [1]], np.zeros((2, 4, 5, 5, 1)), [1, 0], task="binary")
    assert d.input_shape == (4, 5, 5, 1) and d.arrays("train")[1].tolist() == [0.0, 1.0, 1.0]


@pytest.mark.parametrize(
    "args,kwargs,match",
    [
        ((np.zeros((3, 5)), [0, 1, 2], np.zeros((1, 5)), [0]), {}, r"expected images"),
        ((np.zeros((3, 5, 5)), [0, 1], np.zeros((1, 5, 5)), [0]), {}, "2 labels for 3 inputs"),
        ((np.full((3, 5, 5), 2.0), [0, 1, 2], np.zeros((1, 5, 5)), [0]), {}, r"\[0, 1\]"),
        ((np.zeros((3, 5, 5)), [0, 1.5, 2], np.zeros((1, 5, 5)), [0]), {}, "integers"),
        ((np.zeros((3, 5, 5)), [0, 1, 2], np.zeros((1, 6, 5)), [0]), {}, "differ in shape"),
        ((np.zeros((3, 5, 5)), [0, 1, 2], np.zeros((1, 5, 5)), [0]), dict(task="binary"), "0 or 1"),
        ((np.zeros((3, 5, 5)), [0, 1, 1], np.zeros((1, 5, 5)), [0]), dict(task="multilabel"), r"\(N, K\)"),
        ((np.zeros((3, 5, 5)), [0, 1, 1], np.zeros((1, 5, 5)), [0]), dict(task="regression"), "task must be"),
        ((np.zeros((3, 5, 5)), [0, 1, 5], np.zeros((1, 5, 5)), [0]),
         dict(task=TaskInfo("custom", "multiclass", 3, ("a", "b", "c"))), "out of range"),
        ((np.zeros((3, 5, 5)), [0, 1, 1], np.zeros((1, 5, 5)), [0], np.zeros((1, 5, 5))), {}, "both x_test"),
        ((np.array([["a"] * 5] * 3), [0, 1, 1], np.zeros((1, 5, 5)), [0]), {}, "numeric"),
        ((np.full((3, 5, 5), np.nan), [0, 1, 1], np.zeros((1, 5, 5)), [0]), {}, "NaN"),
    ],
)
def test_from_arrays_errors(args, kwargs, match):
    with pytest.raises(DataError, match=match):
        from_arrays(*args, **kwargs)


def test_from_datasets():
    import tensorflow as tf

    rng = np.random.default_rng(1)
    x = rng.random((12, 2, 4, 4, 1)).astype(np.float32)
    y = (np.arange(12) % 4).astype(np.int64)
    train = tf.data.Dataset.from_tensor_slices((x, y))
    val = tf.data.Dataset.from_tensor_slices((x[:4], y[:4]))
    b = from_datasets(train, val)
    assert b.input_shape == (2, 4, 4, 1) and b.task.n_outputs == 4 and b.splits == ("train", "val")
    got = np.concatenate([bx for bx, _ in b.dataset("train", 5).as_numpy_iterator()])
    assert np.array_equal(got, x)
    assert np.array_equal(b.arrays("val")[0], x[:4])
    p = Perturbation(seed=1, occlusion_size=2)
    pert = np.concatenate([bx for bx, _ in b.dataset("val", 4, perturbation=p).as_numpy_iterator()])
    assert np.array_equal(pert, p.apply(x[:4]))
    with pytest.raises(DataError, match="unbatched"):
        from_datasets(train.batch(2), val)
    with pytest.raises(DataError, match="tf.data.Dataset"):
        from_datasets(x, val)
    with pytest.raises(DataError, match="rank 1"):
        from_datasets(train, val, task="multilabel")
    ml = tf.data.Dataset.from_tensor_slices((x, np.eye(12, 3, dtype=np.float32)))
    assert from_datasets(ml, ml, ml, task="multilabel").task.n_outputs == 3


def test_a_perturbed_split_is_computed_once_per_bundle_and_fed_to_both_pipelines():
    rng = np.random.default_rng(0)
    x = rng.random((6, 2, 8, 8, 1)).astype(np.float32)
    bundle = from_arrays(x, np.arange(6) % 3, x[:4], np.array([0, 1, 2, 0]))
    p = Perturbation(noise_sigma=0.2, occlusion_size=3, occlusion_prob=1.0, seed=5)
    first, labels = bundle.inputs("val", p)
    again, _ = bundle.inputs("val", p)
    assert again is first and not first.flags.writeable
    np.testing.assert_array_equal(first, p.apply(bundle.arrays("val")[0]))
    assert bundle.inputs("val")[0] is bundle.arrays("val")[0]
    other = Perturbation(noise_sigma=0.2, occlusion_size=3, occlusion_prob=1.0, seed=6)
    assert not np.array_equal(bundle.inputs("val", other)[0], first)
    batch_x, _ = bundle.batches("val", 4, perturbation=p)[0]
    np.testing.assert_array_equal(batch_x, first[:4])
    tf_x, _ = next(iter(bundle.dataset("val", 4, perturbation=p)))
    np.testing.assert_array_equal(tf_x.numpy(), first[:4])
