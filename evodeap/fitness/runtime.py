"""Per-evaluation Keras helpers that work on every backend: precision, OOM detection, memory.

The process-wide setup (GPU memory, determinism) per backend is :mod:`evodeap.execution.backend`.
"""
from __future__ import annotations

import os
from contextlib import contextmanager
from typing import Iterator

import keras

from evodeap.errors import ConfigError

#: ``mixed_precision`` settings of the Keras fitness -> Keras dtype policy.
PRECISION_POLICIES = {False: "float32", True: "mixed_float16", "float16": "mixed_float16",
                      "bfloat16": "mixed_bfloat16"}


def precision_policy_name(mixed: bool | str) -> str:
    """The Keras dtype policy of a ``mixed_precision`` setting.

    ``False`` -> ``float32``; ``True`` or ``"float16"`` -> ``mixed_float16`` (NVIDIA GPUs);
    ``"bfloat16"`` -> ``mixed_bfloat16`` (TPUs, recent GPUs and CPUs with bfloat16 units).

    Raises:
        ConfigError: any other value.
    """
    if isinstance(mixed, bool) or mixed in ("float16", "bfloat16"):
        return PRECISION_POLICIES[mixed]
    raise ConfigError(f"mixed_precision must be true, false, 'float16' or 'bfloat16', got {mixed!r}")


@contextmanager
def precision_policy(mixed: bool | str) -> Iterator[None]:
    """Use the :func:`precision_policy_name` policy inside the block; restore afterwards.

    Keras applies dtype policies on every backend; the model's head computes in float32.
    """
    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy(precision_policy_name(mixed))
    try:
        yield
    finally:
        keras.config.set_dtype_policy(previous)


def is_out_of_memory(exc: BaseException) -> bool:
    """True for out-of-memory failures of any backend (TF ``ResourceExhaustedError``,
    JAX/XLA ``RESOURCE_EXHAUSTED``, PyTorch ``OutOfMemoryError`` / "CUDA out of memory",
    Python ``MemoryError``)."""
    if isinstance(exc, MemoryError):
        return True
    if type(exc).__name__ in ("ResourceExhaustedError", "OutOfMemoryError"):
        return True
    text = str(exc)
    return "RESOURCE_EXHAUSTED" in text or "out of memory" in text.lower()


def resident_memory_mb() -> float:
    """Resident set size of this process in MB (Linux ``/proc``; ``nan`` elsewhere)."""
    try:
        with open("/proc/self/statm") as fh:
            pages = int(fh.read().split()[1])
        return pages * os.sysconf("SC_PAGE_SIZE") / 2**20
    except (OSError, ValueError, IndexError):
        return float("nan")


_FROZEN = False


def release_models() -> None:
    """Free the Keras state of an evaluation that just ended, without a full collection.

    ``keras.backend.clear_session(free_memory=False)`` drops Keras' global state; one
    ``gc.collect()`` then frees the model's reference cycles. A full collection walks every
    tracked object of the process — with TensorFlow loaded about 475,000, 0.24 s on the
    2-core development machine (``experiments/bench_evaluation_ideas.py``) — so after the process's first evaluation has been released
    this way, :func:`gc.freeze` moves everything alive then (modules, the data, the
    backend's runtime) to the permanent generation, and every later collection walks only
    what evaluations made since. Only what the first evaluation left alive is frozen, never
    what a later one creates, so the memory an evaluation leaves behind is freed as before (``experiments/bench_memory.py``). Call
    :func:`gc.unfreeze` to undo it in an interactive session.
    """
    global _FROZEN
    import gc

    keras.backend.clear_session(free_memory=False)
    gc.collect()
    if not _FROZEN:
        gc.freeze()
        _FROZEN = True
