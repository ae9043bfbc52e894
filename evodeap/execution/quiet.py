"""Quiet process workers: they start without flooding stderr and leave Ctrl-C to the parent.

A spawned worker's start — loading the experiment's sources, then unpickling its first task,
which imports the fitness's modules (Keras, TensorFlow, CUDA) — prints start-up lines on
stderr, once per worker. :func:`quiet_start` sets ``TF_CPP_MIN_LOG_LEVEL`` (unless set) before
anything imports TensorFlow and sends file descriptor 2 to a temporary file for the start
(C++ libraries write there directly, past ``sys.stderr``); what was held back is shown only
when the start fails, so a broken import still says why. When the first task imported
TensorFlow, the worker lists its devices inside the quiet start too (CUDA's ``cuInit`` and its
error line on a machine without a driver), and Python's absl logging is set to errors. After
the start, stderr is the worker's own again.

Ctrl-C in a terminal sends SIGINT to every process of the foreground group, workers
included. Workers ignore it (:func:`quiet_start`, and :func:`interrupts_ignored` around the
spawn, so a worker that is still importing ignores it too: Python keeps an ignored SIGINT
ignored at start-up); the parent alone handles it — it stops the workers, saves what is
finished and prints the one "Resume with:" line.
"""
from __future__ import annotations

import os
import signal
import sys
import tempfile
import threading
from contextlib import contextmanager
from typing import Any, Callable, Iterator, Sequence

#: environment a worker gets unless it has these already (quiet C++ logging of TensorFlow and gRPC)
QUIET_ENVIRONMENT = {"TF_CPP_MIN_LOG_LEVEL": "2", "GRPC_VERBOSITY": "ERROR"}


@contextmanager
def quiet_stderr() -> Iterator[None]:
    """File descriptor 2 goes to a temporary file inside the block; its text is written to the
    real stderr only when the block raises (an ``EOFError``, the parent closing, is no failure)."""
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as held:
        os.dup2(held.fileno(), 2)
        try:
            yield
        except BaseException as exc:
            sys.stderr.flush()
            os.dup2(saved, 2)
            if not isinstance(exc, (EOFError, KeyboardInterrupt)):
                held.seek(0)
                os.write(2, held.read())
            raise
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)


@contextmanager
def interrupts_ignored() -> Iterator[None]:
    """SIGINT ignored inside the block (in the main thread; elsewhere a no-op): processes
    spawned in it start with SIGINT ignored."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def quiet_start(conn: Any, plugins: Sequence = ()) -> Callable[[], Any]:
    """Start a process worker quietly: SIGINT ignored, :data:`QUIET_ENVIRONMENT`, the plug-in
    sources loaded with stderr held back. Returns ``receive()``, which gets the next message
    from ``conn`` — the first one with stderr held back too (unpickling it imports the fitness)."""
    from evodeap.plugins import load_sources

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    for name, value in QUIET_ENVIRONMENT.items():
        os.environ.setdefault(name, value)
    with quiet_stderr():
        load_sources(plugins)  # the experiment file and modules that registered layer kinds
    started = []

    def receive() -> Any:
        if started:
            return conn.recv()
        started.append(True)
        with quiet_stderr():
            message = conn.recv()
            _settle_tensorflow()
        return message

    return receive


def _settle_tensorflow() -> None:
    """If the first task imported TensorFlow: let it look for its devices now (``cuInit`` and its
    error line on a machine without a GPU driver), and set absl's Python logging to errors.
    Listing the *physical* devices leaves their memory settings open (configure_runtime)."""
    tensorflow = sys.modules.get("tensorflow")
    if tensorflow is not None and hasattr(tensorflow, "config"):
        try:
            tensorflow.config.list_physical_devices()
        except Exception:  # noqa: BLE001 — a broken device setup shows in the first evaluation
            pass
    absl_logging = sys.modules.get("absl.logging")
    if absl_logging is not None:
        absl_logging.set_verbosity(absl_logging.ERROR)


__all__ = ["QUIET_ENVIRONMENT", "interrupts_ignored", "quiet_start", "quiet_stderr"]
