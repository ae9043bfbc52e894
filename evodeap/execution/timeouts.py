"""Per-evaluation timeouts: how each executor abandons an evaluation that runs too long.

``ExperimentConfig.evaluation_timeout`` is the wall-clock time in seconds one evaluation
may take (``None``: no limit). An evaluation past it is recorded with status
``timeout`` and the failure fitness, and the run goes on. The time counts from when the
evaluation is handed to a worker, so it includes a fresh worker's start-up (importing
TensorFlow, building the data set): give it a margin above that. Each executor abandons
an evaluation its own way:

* ``serial`` — the evaluation runs in a daemon thread of the master; at the deadline the
  master stops waiting, asks the thread to stop (it raises :class:`EvaluationAbandoned`
  the next time the thread runs Python code) and goes on, with the random states and working
  directory the evaluation started from (:func:`evodeap.execution.global_random.abandon`:
  the thread, should it wake up later, can no longer restore them). *Limits:* Python cannot kill
  a thread. One stuck inside native code — a TensorFlow kernel, ``time.sleep`` — keeps
  its CPU and memory until that call returns, and then stops; its result is discarded.
  Use the ``process`` executor for a fitness that may hang inside native code.
* ``process`` — the worker process is killed (SIGKILL) and replaced: a true stop.
* ``ray`` — the task is cancelled with ``ray.cancel(ref, force=True)``, which kills its
  worker process. With a timeout at most as many tasks are in flight as the cluster has
  slots for (``CPU / num_cpus``, and ``GPU / num_gpus``), so a task's time counts from
  its start, not from its wait in Ray's queue.

A plain ``map`` (``evolve(map_fn=...)``) cannot abandon an evaluation, so a timeout with
one is a :class:`~evodeap.errors.ConfigError`.
"""
from __future__ import annotations

import ctypes
import inspect
import math
import numbers
import threading
from typing import Any, Callable

from evodeap.errors import ConfigError
from evodeap.execution.global_random import ProcessState, abandon


class EvaluationAbandoned(BaseException):
    """Raised inside an abandoned serial evaluation's thread to stop it (a ``BaseException``,
    so a fitness's ``except Exception`` cannot swallow it)."""


def check_timeout(value: Any) -> float | None:
    """``evaluation_timeout`` checked: ``None`` or a number of seconds > 0."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not (value > 0 and math.isfinite(value)):
        raise ConfigError(f"evaluation_timeout must be a number of seconds > 0 or null, got {value!r}")
    return float(value)


def timeout_message(timeout: float) -> str:
    """The message of a ``timeout`` result."""
    return f"the evaluation took longer than evaluation_timeout={timeout:g} s and was abandoned"


def call_with_timeout(fn: Callable[[Any], Any], item: Any, timeout: float) -> tuple[bool, Any]:
    """``(True, fn(item))`` if it returns within ``timeout`` seconds, else ``(False, None)``.

    ``fn`` runs in a daemon thread; an exception it raises is raised here. An abandoned
    thread is asked to stop (see the module docstring for what that can and cannot do), and
    this process's random states and working directory are set back to what they were
    before ``fn`` began.
    """
    outcome: dict[str, Any] = {}

    def target() -> None:
        try:
            outcome["result"] = fn(item)
        except EvaluationAbandoned:
            pass
        except BaseException as exc:  # handed to the caller's thread
            outcome["error"] = exc

    before = ProcessState()
    thread = threading.Thread(target=target, name="evodeap-evaluation", daemon=True)
    thread.start()
    thread.join(timeout)
    if thread.is_alive():
        abandon(thread, before)
        _interrupt(thread)
        return False, None
    if "error" in outcome:
        raise outcome["error"]
    return True, outcome.get("result")


def _interrupt(thread: threading.Thread) -> None:
    """Ask ``thread`` to raise :class:`EvaluationAbandoned` at its next Python instruction."""
    if thread.ident is not None:
        ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(thread.ident), ctypes.py_object(EvaluationAbandoned))


def check_executor_timeout(executor: Any, timeout: float | None) -> None:
    """A :class:`ConfigError` when ``timeout`` is set but ``executor`` cannot abandon an evaluation
    (its ``imap_queue`` takes no ``timeout``, as a plain ``map_fn`` cannot)."""
    if timeout is None:
        return
    try:
        accepts = "timeout" in inspect.signature(executor.imap_queue).parameters
    except (AttributeError, TypeError, ValueError):
        accepts = False
    if not accepts:
        raise ConfigError(f"evaluation_timeout needs an executor that can abandon an evaluation (serial, process "
                          f"or ray); {type(executor).__name__} cannot (a plain map_fn never can)")
