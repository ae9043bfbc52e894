"""Executors: how a batch of evaluations is mapped (serially or over spawned processes).

An executor is a context manager exposing ``map(fn, items) -> list``, which is what the
engine registers as ``toolbox.map``. Results come back in input order, and every
evaluation's seed comes from (run seed, generation, index), so results do not depend
on the executor or on the number of workers.
"""
from __future__ import annotations

import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from typing import Any, Callable, Iterable

from evodeap.errors import ConfigError


class SerialExecutor:
    """Evaluate in this process, one after another."""

    def __enter__(self) -> "SerialExecutor":
        return self

    def __exit__(self, *exc: Any) -> None:
        return None

    def map(self, fn: Callable, items: Iterable) -> list:
        return [fn(item) for item in items]


class ProcessExecutor:
    """Evaluate in ``workers`` spawned processes (spawn: safe with TensorFlow and threads)."""

    def __init__(self, workers: int = 2) -> None:
        self.workers = workers
        self._pool: ProcessPoolExecutor | None = None

    def __enter__(self) -> "ProcessExecutor":
        self._pool = ProcessPoolExecutor(self.workers, mp_context=multiprocessing.get_context("spawn"))
        return self

    def __exit__(self, *exc: Any) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def map(self, fn: Callable, items: Iterable) -> list:
        if self._pool is None:
            raise RuntimeError("ProcessExecutor must be used as a context manager")
        return list(self._pool.map(fn, list(items)))


def make_executor(name: str, workers: int = 1) -> SerialExecutor | ProcessExecutor:
    """``serial`` or ``process`` (with ``workers`` processes)."""
    if name == "serial":
        return SerialExecutor()
    if name == "process":
        return ProcessExecutor(workers)
    raise ConfigError(f"unknown executor {name!r}; known: serial, process")
