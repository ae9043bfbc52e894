"""Executors: how a batch of evaluations is run — serially, in spawned processes, or on Ray.

Every executor is a context manager with
``imap_unordered(fn, items, on_lost) -> iterator of (index, result)``, yielding each
result as soon as it completes (so the engine can store it at once), ``map`` for
DEAP (ordered list), and ``imap_queue(fn, queue, on_lost) -> iterator of (tag, result)``
for work that grows while it runs: ``queue`` is a ``collections.deque`` of
``(tag, item)`` pairs that the caller may append to between results (asynchronous
successive halving promotes candidates that way); it ends when the queue is empty and
nothing is in flight. Evaluation seeds come from (run seed, generation, index), never from
the worker, so results are identical whichever executor and however many workers.

A worker that dies mid-evaluation (segfault, OOM kill, ``kill -9``) costs one retry;
if the retry dies too, ``on_lost(item, message)`` supplies the recorded result. A process
worker whose ``fn`` raises, or whose result cannot be pickled, lives on and reports the real
cause, which ``on_lost`` records at once (no retry: it is not a lost worker).

``imap_queue(..., timeout=T, on_timeout=f)``: an item still running ``T`` seconds after its
evaluation began is abandoned — serial: its thread is left behind; process: its worker is
killed and replaced; Ray: its task is cancelled — and ``f(item)`` supplies its result. A
process worker's own start (spawning, imports, the experiment's sources) does not count:
the clock starts when the worker takes the item (see :mod:`evodeap.execution.timeouts`). An executor
whose ``imap_queue`` takes no ``timeout`` runs experiments without ``evaluation_timeout`` only.

Executors are registered by name in :data:`EXECUTORS`; an experiment names one
(``executor="process"``, ``workers=4``, ``executor_params={...}``). A researcher's own
executor is a class (or factory) taking ``workers`` and its own keyword parameters, whose
instances are context managers with ``imap_queue`` (deriving from :class:`Executor`
gives ``map`` and ``imap_unordered``)::

    @EXECUTORS.register("my_cluster")
    class MyClusterExecutor(Executor):
        def __init__(self, workers: int = 1, queue: str = "short") -> None: ...
        def imap_queue(self, fn, queue, on_lost): ...
"""
from __future__ import annotations

import multiprocessing
import os
import socket
import sys
import time
from collections import deque
from dataclasses import dataclass, field
from multiprocessing.connection import wait
from typing import Any, Callable, Iterable, Iterator, Sequence

from evodeap.execution.backend import configured_backend, process_environment
from evodeap.execution.workers import WorkerBegan, WorkerFailed, worker_main, worker_environment
from evodeap.errors import ConfigError
from evodeap.plugins import environment, sources
from evodeap.execution.quiet import interrupts_ignored
from evodeap.registry import Registry, parameter_mismatch
from evodeap.execution.timeouts import call_with_timeout

LostHandler = Callable[[Any, str], Any]


def _default_lost(item: Any, message: str) -> Any:
    raise RuntimeError(message)


class Executor:
    """Base of the executors: a context manager around :meth:`imap_queue`."""

    def __enter__(self):
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def close(self) -> None:
        return None

    def imap_unordered(self, fn: Callable, items: Sequence, on_lost: LostHandler = _default_lost) -> Iterator:
        return self.imap_queue(fn, deque(enumerate(items)), on_lost)

    def imap_queue(self, fn: Callable, queue: deque, on_lost: LostHandler = _default_lost, *,
                   timeout: float | None = None, on_timeout: Callable[[Any], Any] | None = None) -> Iterator:
        raise NotImplementedError

    def map(self, fn: Callable, items: Iterable) -> list:
        """Ordered results, for ``toolbox.map`` and ``deap.algorithms``."""
        items = list(items)
        results: list[Any] = [None] * len(items)
        for index, result in self.imap_unordered(fn, items):
            results[index] = result
        return results


#: name -> executor class (or factory) taking ``workers`` and its own keyword parameters
EXECUTORS: Registry[Callable[..., Executor]] = Registry("executor")


@EXECUTORS.register("serial")
class SerialExecutor(Executor):
    """Evaluate in this process, one after another (``workers`` is ignored)."""

    name = "serial"

    def __init__(self, workers: int = 1) -> None:
        self.workers = 1

    def imap_queue(self, fn, queue, on_lost=_default_lost, *, timeout=None, on_timeout=None):
        while queue:
            tag, item = queue.popleft()
            if timeout is None:
                yield tag, fn(item)
                continue
            finished, result = call_with_timeout(fn, item, timeout)  # a thread it can abandon
            yield tag, result if finished else on_timeout(item)


# -- process pool ---------------------------------------------------------------------------
@dataclass
class _Worker:
    index: int
    process: Any
    conn: Any
    done: int = 0
    task: tuple | None = field(default=None)
    started: float | None = None  # time.monotonic() when the worker began the task (None: not yet)


@EXECUTORS.register("process")
class ProcessExecutor(Executor):
    """Evaluate in ``workers`` spawned processes, each with its own pipe.

    Args:
        workers: number of processes.
        threads_per_worker: CPU threads each worker's TensorFlow/BLAS may use (None = default).
        recycle_after: restart a worker after this many evaluations (bounds leaked memory).
        gpus: GPU ids; worker *i* sees only ``gpus[i % len(gpus)]`` via ``CUDA_VISIBLE_DEVICES``
            (set before the worker imports TensorFlow, JAX or PyTorch; ``[]``: no GPU).
        retries: how often an evaluation whose worker died is tried again.
    """

    name = "process"

    def __init__(self, workers: int = 2, threads_per_worker: int | None = None,
                 recycle_after: int | None = None, gpus: Sequence[str] | None = None, retries: int = 1) -> None:
        if workers < 1:
            raise ConfigError(f"workers must be >= 1, got {workers}")
        self.workers = workers
        self.threads = threads_per_worker
        self.recycle_after = recycle_after
        self.gpus = list(gpus) if gpus is not None else None
        self.retries = retries
        self._context = multiprocessing.get_context("spawn")
        self._pool: list[_Worker] = []
        self.started = 0  # processes started in total (recycling included)

    def _start(self, index: int) -> _Worker:
        parent, child = self._context.Pipe()
        process = self._context.Process(
            target=worker_main, args=(child, worker_environment(index, self.threads, self.gpus), sources()),
            daemon=True, name=f"evodeap-worker-{index}",
        )
        with interrupts_ignored():  # the worker starts with SIGINT ignored (evodeap.execution.quiet)
            process.start()
        child.close()
        self.started += 1
        return _Worker(index, process, parent)

    def _stop(self, worker: _Worker, kill: bool = False) -> None:
        try:
            if not kill:
                worker.conn.send(None)
        except (BrokenPipeError, OSError):
            pass
        worker.process.join(timeout=0 if kill else 10)
        if worker.process.is_alive():
            worker.process.kill()
            worker.process.join()
        worker.conn.close()

    def _restart(self, worker: _Worker, kill: bool = False) -> None:
        self._stop(worker, kill)
        self._pool[worker.index] = self._start(worker.index)

    def __enter__(self) -> "ProcessExecutor":
        self._pool = [self._start(i) for i in range(self.workers)]
        return self

    def close(self) -> None:
        for worker in self._pool:
            self._stop(worker)
        self._pool = []

    def imap_queue(self, fn, pending, on_lost=_default_lost, *, timeout=None, on_timeout=None):
        if not self._pool:
            raise RuntimeError("ProcessExecutor must be used as a context manager")
        attempts: dict[int, int] = {}
        while pending or any(w.task for w in self._pool):
            for worker in self._pool:
                if worker.task is None and pending:
                    worker.task, worker.started = pending.popleft(), None
                    worker.conn.send((fn, worker.task[1]))
            busy = [w for w in self._pool if w.task is not None]
            began = [w.started for w in busy if w.started is not None]
            limit = None if timeout is None or not began else max(0.0, min(began) + timeout - time.monotonic())
            ready = wait([w.conn for w in busy] + [w.process.sentinel for w in busy], timeout=limit)
            for worker in busy:
                index, item = worker.task
                result = None
                if worker.conn in ready:
                    try:
                        message = worker.conn.recv()
                    except (EOFError, OSError):  # it died: handled below
                        pass
                    else:
                        if isinstance(message, WorkerBegan):
                            worker.started = time.monotonic()
                            continue
                        if isinstance(message, WorkerFailed):
                            message = on_lost(item, f"the worker could not evaluate it: {message.message}")
                        result = (index, message)
                elif worker.process.sentinel not in ready:
                    if timeout is not None and worker.started is not None and time.monotonic() - worker.started >= timeout:
                        worker.task = None
                        self._restart(worker, kill=True)  # the only way to stop it
                        yield index, on_timeout(item)
                    continue
                worker.task = None
                if result is not None:
                    worker.done += 1
                    if self.recycle_after and worker.done >= self.recycle_after:
                        self._restart(worker)
                    yield result
                    continue
                code = worker.process.exitcode
                self._restart(worker, kill=True)
                attempts[index] = attempts.get(index, 0) + 1
                if attempts[index] <= self.retries:
                    pending.appendleft((index, item))
                else:
                    yield index, on_lost(item, f"worker died during the evaluation (exit code {code}), "
                                               f"{attempts[index]} attempts")


# -- Ray ----------------------------------------------------------------------------------------
def _ray_call(fn, item):
    return fn(item)


@EXECUTORS.register("ray")
class RayExecutor(Executor):
    """Evaluate as Ray tasks on a local cluster (default) or an existing one (``address``).

    Args:
        address: ``None`` starts a local cluster with ``workers`` CPUs; ``"auto"`` or
            ``"ray://host:port"`` joins an existing one.
        workers: CPUs of the local cluster (ignored when joining one).
        num_cpus, num_gpus: resources per evaluation (fractional GPUs allowed, e.g. 0.5).
            With ``num_gpus > 0`` Ray sets each task's ``CUDA_VISIBLE_DEVICES`` and, by
            its default for GPU tasks, starts a fresh worker process per task, so the
            backend starts on the GPU Ray assigned.
        retries: Ray retries of a task whose worker or node died, before it is recorded as
            ``error`` (with the cause Ray gives). A retry runs the same (genome, seed), so
            a run that loses a node is the same run.
        resources: custom resources each evaluation needs (``{"evaluator": 1}``): only nodes
            started with them (``ray start --resources '{"evaluator": 2}'``) run evaluations.
        scheduling: Ray's scheduling strategy for the tasks (``"SPREAD"`` spreads them over
            the nodes; ``None``: Ray's default, which fills the driver's node first).

    The evaluation function (which holds the fitness and its data spec) is put in Ray's
    object store once per batch; each Ray worker process builds the dataset once. Workers
    get this process's Keras backend (``KERAS_BACKEND``) and its GPU memory settings.
    """

    name = "ray"

    def __init__(self, address: str | None = None, workers: int = 2, num_cpus: float = 1,
                 num_gpus: float = 0, retries: int = 1, resources: dict[str, float] | None = None,
                 scheduling: str | None = None) -> None:
        self.address = address
        self.workers = workers
        self.num_cpus, self.num_gpus, self.resources = num_cpus, num_gpus, dict(resources or {})
        self.retries = retries
        self.scheduling = scheduling
        self._started = False
        self._ray = None

    def __enter__(self) -> "RayExecutor":
        try:
            import ray
        except ImportError:
            raise ConfigError("the ray executor needs Ray: pip install 'evodeap[ray]'") from None
        self._ray = ray
        if not ray.is_initialized():
            kwargs: dict[str, Any] = {"include_dashboard": False, "log_to_driver": False,
                                      "configure_logging": False}
            # workers see the same Keras backend and GPU settings, and load the experiment
            # file and kind modules first (evodeap.plugins)
            env_vars = {"KERAS_BACKEND": configured_backend(), **process_environment(), **environment()}
            runtime_env: dict[str, Any] = {"env_vars": env_vars,
                                           "worker_process_setup_hook": "evodeap.plugins.load_from_environment"}
            if self.address is None:
                # local workers import what this process can, as spawned processes do
                kwargs["num_cpus"] = self.workers
                env_vars["PYTHONPATH"] = os.pathsep.join(p for p in sys.path if p)
            else:
                kwargs["address"] = self.address
            kwargs["runtime_env"] = runtime_env
            ray.init(**kwargs)
            self._started = True
        return self

    def close(self) -> None:
        if self._started and self._ray is not None:
            self._ray.shutdown()
            self._started = False

    def imap_queue(self, fn, queue, on_lost=_default_lost, *, timeout=None, on_timeout=None):
        ray = self._ray
        if ray is None:
            raise RuntimeError("RayExecutor must be used as a context manager")
        options: dict[str, Any] = {"resources": self.resources} if self.resources else {}
        if self.scheduling is not None:
            options["scheduling_strategy"] = self.scheduling
        remote = ray.remote(num_cpus=self.num_cpus, num_gpus=self.num_gpus, max_retries=self.retries,
                            retry_exceptions=False, **options)(_ray_call)
        fn_ref = ray.put(fn)
        slots = None if timeout is None else self._slots()  # in flight = running: time counts from the start
        refs: dict[Any, tuple[Any, Any, float]] = {}
        while refs or queue:
            while queue and (slots is None or len(refs) < slots):  # Ray schedules tasks as workers free up
                tag, item = queue.popleft()
                refs[remote.remote(fn_ref, item)] = (tag, item, time.monotonic())
            limit = None if timeout is None else max(0.0, min(t for *_, t in refs.values()) + timeout - time.monotonic())
            done, _ = ray.wait(list(refs), num_returns=1, timeout=limit)
            for ref in done:
                tag, item, _ = refs.pop(ref)
                try:
                    result = ray.get(ref)
                except ray.exceptions.RayError as exc:  # its worker or node died (retries spent), ...
                    result = on_lost(item, f"Ray task failed: {_first_line(exc)}")
                yield tag, result
            if timeout is not None:
                now = time.monotonic()
                for ref in [r for r, (_, _, started) in refs.items() if now - started >= timeout]:
                    tag, item, _ = refs.pop(ref)
                    ray.cancel(ref, force=True)  # kills the task's worker process
                    yield tag, on_timeout(item)

    def _slots(self) -> int:
        """How many tasks the cluster runs at once (``CPU / num_cpus``, ``GPU / num_gpus`` and each custom resource)."""
        resources = self._ray.cluster_resources()
        needs = {"CPU": self.num_cpus, "GPU": self.num_gpus, **self.resources}
        slots = [int(resources.get(name, 0) // need) for name, need in needs.items() if need]
        return max(1, min(slots)) if slots else max(1, int(resources.get("CPU", 1)))


def _first_line(exc: BaseException) -> str:
    """``Type: the first line of its message`` (Ray's messages run to tracebacks)."""
    try:
        text = str(exc).strip().splitlines()
    except Exception:
        text = []
    return f"{type(exc).__name__}: {text[0][:300] if text else ''}".rstrip(": ")


def check_executor_params(name: str, params: dict[str, Any]) -> None:
    """Raise for an unknown executor, or ``executor_params`` the executor does not take.

    Raises:
        UnknownNameError: ``name`` is not in :data:`EXECUTORS`.
        ConfigError: a parameter the executor's constructor does not take (``workers`` is
            set by ``ExperimentConfig.workers``, not here).
    """
    unknown, known = parameter_mismatch(EXECUTORS.get(name), params, hidden=("workers",))
    unknown += [k for k in params if k == "workers"]
    if unknown:
        raise ConfigError(f"executor_params {unknown} are not taken by the {name} executor; "
                          f"it takes {sorted(known) or 'none'}")


def make_executor(name: str, workers: int = 1, **options: Any) -> Executor:
    """The executor registered as ``name`` (``serial``, ``process``, ``ray`` or one of yours),
    built with ``workers`` and ``options`` (its constructor's keyword parameters)."""
    check_executor_params(name, options)
    return EXECUTORS.get(name)(workers=workers, **options)


def worker_name() -> str:
    """``host:pid`` of the current process (recorded with each evaluation)."""
    return f"{socket.gethostname()}:{os.getpid()}"
