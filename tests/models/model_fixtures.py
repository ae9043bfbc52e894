"""Tiny tasks and inputs shared by the model tests (imported as ``model_fixtures``)."""
from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np

from evodeap.data import TaskInfo

#: (T, H, W, C) of the tiny videos: 3 frames of 8×8 pixels, 1 channel.
TINY_SHAPE = (3, 8, 8, 1)

TASKS = {
    "multiclass": TaskInfo("tiny", "multiclass", 3, ("a", "b", "c")),
    "multilabel": TaskInfo("tiny", "multilabel", 2, ("a", "b")),
    "binary": TaskInfo("tiny", "binary", 1, ("yes",)),
}


def tiny_labels(kind: str, n: int, rng: np.random.Generator) -> np.ndarray:
    if kind == "multiclass":
        return rng.integers(0, 3, n)
    if kind == "multilabel":
        return (rng.random((n, 2)) < 0.5).astype(np.float32)
    return (rng.random(n) < 0.5).astype(np.float32)


def tiny_videos(n: int = 6, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).random((n,) + TINY_SHAPE, dtype=np.float32)
