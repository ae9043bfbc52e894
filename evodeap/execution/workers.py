"""What runs inside a process worker of :class:`evodeap.execution.executors.ProcessExecutor`.

A worker is spawned with :func:`worker_environment` (set before it imports a Keras
backend), loads the experiment's sources, then answers ``(fn, item)`` messages on its pipe:
first :class:`WorkerBegan` (the item's timeout counts from here), then ``fn(item)`` — or, when
``fn`` raised or its result cannot be pickled, a :class:`WorkerFailed` with the real cause, so the
master records that cause instead of a "worker died" (the worker lives on).
"""
from __future__ import annotations

import os
from multiprocessing.reduction import ForkingPickler
from typing import Any, Callable, Sequence

from evodeap.execution.backend import process_environment
from evodeap.execution.quiet import quiet_start


def worker_environment(index: int, threads: int | None, gpus: Sequence[str] | None) -> dict[str, str]:
    """Environment of worker ``index``: its Keras backend's GPU memory settings
    (:func:`evodeap.execution.backend.process_environment`), thread limits and its GPU (round robin
    over ``gpus``), all set before the worker imports the backend."""
    env = process_environment()
    if threads:
        for var in ("OMP_NUM_THREADS", "TF_NUM_INTRAOP_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
            env[var] = str(threads)
        env["TF_NUM_INTEROP_THREADS"] = "1"
    if gpus:
        env["CUDA_VISIBLE_DEVICES"] = str(gpus[index % len(gpus)])
    elif gpus is not None:
        env["CUDA_VISIBLE_DEVICES"] = ""
    return env


class WorkerBegan:
    """What a process worker sends when it takes an item, before the result: the item's
    timeout counts from here, not from the moment it was sent to a worker still starting."""


class WorkerFailed:
    """What a process worker sends instead of a result when ``fn`` raised or its result cannot
    be pickled: the real cause, recorded through ``on_lost`` (the worker lives on; no retry)."""

    def __init__(self, message: str) -> None:
        self.message = message


def sendable(fn: Callable, item: Any) -> bytes:
    """``fn(item)`` pickled for the pipe, or a pickled :class:`WorkerFailed` naming why it is not."""
    try:
        return bytes(ForkingPickler.dumps(fn(item)))
    except KeyboardInterrupt:
        raise
    except BaseException as exc:
        try:
            text = str(exc)[:2000]
        except Exception:
            text = "?"
        return bytes(ForkingPickler.dumps(WorkerFailed(f"{type(exc).__name__}: {text}")))


def worker_main(conn, env: dict[str, str], plugins: Sequence = ()) -> None:
    os.environ.update(env)  # before anything imports TensorFlow
    receive = quiet_start(conn, plugins)  # Ctrl-C is the parent's; start-up lines on stderr held back
    while True:
        try:
            message = receive()
        except EOFError:
            return
        if message is None:
            return
        fn, item = message
        conn.send(WorkerBegan())
        conn.send_bytes(sendable(fn, item))
