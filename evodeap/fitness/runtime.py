"""Process-wide Keras/TensorFlow setup for evaluations: determinism, GPU memory, precision.

Everything here is idempotent and backend-aware: TensorFlow calls are made only when
Keras runs on the TensorFlow backend (the GPU machine runs Keras on JAX).
"""
from __future__ import annotations

import os
from contextlib import contextmanager
from typing import Iterator

import keras

_CONFIGURED: dict[str, bool] = {}


def configure_runtime(deterministic: bool = True) -> None:
    """Enable GPU memory growth and (optionally) op determinism, once per process.

    * TensorFlow: ``tf.config.experimental.set_memory_growth(gpu, True)`` for every GPU
      (so several workers can share one GPU), and
      ``tf.config.experimental.enable_op_determinism()`` when ``deterministic``.
    * JAX: ``XLA_PYTHON_CLIENT_PREALLOCATE=false`` (takes effect only if set before JAX
      initialises its backend; set it in the environment of worker processes to be sure).
    """
    backend = keras.backend.backend()
    key = f"{backend}:{deterministic}"
    if _CONFIGURED.get(key):
        return
    if backend == "tensorflow":
        import tensorflow as tf

        for gpu in tf.config.list_physical_devices("GPU"):
            try:
                tf.config.experimental.set_memory_growth(gpu, True)
            except (RuntimeError, ValueError):  # already initialised: keep its setting
                pass
        if deterministic:
            tf.config.experimental.enable_op_determinism()
    elif backend == "jax":
        os.environ.setdefault("XLA_PYTHON_CLIENT_PREALLOCATE", "false")
    _CONFIGURED[key] = True


@contextmanager
def precision_policy(mixed: bool) -> Iterator[None]:
    """Use ``mixed_float16`` (GPU) or ``float32`` inside the block; restore afterwards."""
    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy("mixed_float16" if mixed else "float32")
    try:
        yield
    finally:
        keras.config.set_dtype_policy(previous)


def is_out_of_memory(exc: BaseException) -> bool:
    """True for out-of-memory failures of any backend (TF ``ResourceExhaustedError``,
    JAX/XLA ``RESOURCE_EXHAUSTED``, Python ``MemoryError``)."""
    if isinstance(exc, MemoryError):
        return True
    if type(exc).__name__ == "ResourceExhaustedError":
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
