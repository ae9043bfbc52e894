"""A simulated executor: ``N`` asynchronous workers on a virtual clock.

Two cores cannot show what happens with 64 or 256 workers. When each evaluation's training
time is known — a tabular or surrogate benchmark reports it, the landscape can be given
one — :class:`SimulatedExecutor` evaluates every item at once, in this process, and
computes *when* it would have finished on ``N`` workers. The engine runs unchanged under it
(it is an executor like ``serial`` or ``process``), so synchronous generations, ASHA and a
steady-state evolution can be compared by their virtual wall time.

**Durations.** The duration ``d`` of an item is read from its result: ``extra["train_seconds"]``
if present, else ``extra["train_flops"] / flops_per_second``, else ``default_seconds``; a
``duration(item, result) -> seconds`` callable, when given, replaces that rule.

**Scheduling (list scheduling in FIFO order).** Worker ``w`` is free from time ``f_w``
(all ``0`` at the start). Item ``j``, available at time ``a_j``, goes to the worker that frees
first, ``w_j = argmin_w (f_w, w)`` (ties: the lowest index), and runs

    s_j = max(a_j, f_{w_j}),    c_j = s_j + d_j,    then f_{w_j} ← c_j.

Items are scheduled in queue order, so an item never overtakes one queued before it.

* :meth:`imap_queue` — items in the queue when it is called are available at the current
  clock; results are yielded in order of completion time ``c_j`` (ties: submission order),
  and the clock moves to each ``c_j`` as it is yielded. An item the consumer appends after
  receiving the result completed at ``t`` is available at ``a = t`` — as with real
  asynchronous workers, so ASHA's promotions and a steady-state loop see the order they
  would see on a cluster. When the queue is empty and nothing is in flight the call ends
  with the clock at the makespan ``C = max_j c_j``.
* :meth:`map` (and every batch the engine runs for a synchronous generation) — the whole
  batch is available at once and the next call starts at its makespan: a generation
  barrier. For a batch of ``n`` items started at ``0`` on ``N`` workers Graham's bound holds:
  ``max(Σd/N, max d) ≤ C ≤ Σd/N + max d``.

**Idle share.** Worker ``w`` is busy ``B_w = Σ_{j: w_j = w} d_j`` (counted when the item
completes); after a virtual wall time ``T`` (the clock) its idle share is ``1 − B_w / T`` and
the executor's is ``1 − Σ_w B_w / (N·T)``. :attr:`timeline` keeps one :class:`Slot` per
completed item for reports.

With ``timeout=T`` an item whose duration exceeds ``T`` is abandoned at ``s_j + T``: it
occupies its worker for ``T`` and its result is ``on_timeout(item)``. No real time is
read and no thread is started: the same inputs give the same schedule.
"""
from __future__ import annotations

import heapq
import math
import numbers
from collections import deque
from typing import Any, Callable, Iterator, NamedTuple

from evodeap.errors import ConfigError, UserCodeError
from evodeap.execution.executors import EXECUTORS, Executor, LostHandler, _default_lost

Duration = Callable[[Any, Any], float]


class Slot(NamedTuple):
    """One completed item: the ``worker`` that ran it from ``start`` to ``finish`` (virtual
    seconds) and its ``item`` number (the executor's submission count, from 0)."""

    worker: int
    start: float
    finish: float
    item: int


def _positive_finite(name: str, value: Any, strict: bool) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value) \
            or value < 0 or (strict and value == 0):
        bound = "> 0" if strict else ">= 0"
        raise ConfigError(f"{name} must be a finite number {bound}, got {value!r}")
    return float(value)


@EXECUTORS.register("simulated")
class SimulatedExecutor(Executor):
    """Evaluate in this process at once; time the work on ``workers`` virtual workers.

    Args:
        workers: ``N``, the number of simulated workers (≥ 1).
        default_seconds: the duration of an item whose result reports none.
        flops_per_second: converts ``extra["train_flops"]`` into seconds.
        duration: ``duration(item, result) -> seconds``, replacing the rule above.

    Attributes:
        clock: virtual seconds elapsed (the completion time of the latest yielded result;
            the makespan once a batch has finished).
        busy: seconds each worker has spent on completed items.
        timeline: a :class:`Slot` per completed item, in completion order.
    """

    name = "simulated"

    def __init__(self, workers: int = 1, default_seconds: float = 1.0, flops_per_second: float = 1.0,
                 duration: Duration | None = None) -> None:
        if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
            raise ConfigError(f"workers must be an integer >= 1, got {workers!r}")
        if duration is not None and not callable(duration):
            raise ConfigError(f"duration must be a callable (item, result) -> seconds, got {duration!r}")
        self.workers = workers
        self.default_seconds = _positive_finite("default_seconds", default_seconds, strict=False)
        self.flops_per_second = _positive_finite("flops_per_second", flops_per_second, strict=True)
        self.duration = duration
        self.clock = 0.0
        self.busy = [0.0] * workers
        self.timeline: list[Slot] = []
        self._free = [0.0] * workers
        self._submitted = 0

    # -- durations and the schedule -------------------------------------------------------
    def seconds(self, item: Any, result: Any) -> float:
        """The duration ``d`` of ``item`` whose evaluation gave ``result`` (see the module docstring).

        Raises:
            UserCodeError: the duration is not a finite number ≥ 0.
        """
        if self.duration is not None:
            value = self.duration(item, result)
        else:
            extra = getattr(result, "extra", None) or {}
            if extra.get("train_seconds") is not None:
                value = extra["train_seconds"]
            elif extra.get("train_flops") is not None:
                value = extra["train_flops"] / self.flops_per_second
            else:
                value = self.default_seconds
        if isinstance(value, bool) or not isinstance(value, numbers.Real) or not (math.isfinite(value) and value >= 0):
            raise UserCodeError(f"the simulated executor needs a duration in seconds >= 0 for every item, got {value!r}")
        return float(value)

    def place(self, available: float, seconds: float) -> tuple[int, float, float]:
        """Book ``seconds`` of work available at ``available`` on the worker that frees first
        (ties: lowest index); returns ``(worker, start, finish)``."""
        worker = min(range(self.workers), key=lambda w: (self._free[w], w))
        start = max(available, self._free[worker])
        finish = start + seconds
        self._free[worker] = finish
        return worker, start, finish

    # -- the executor interface -----------------------------------------------------------
    def imap_queue(self, fn: Callable, queue: deque, on_lost: LostHandler = _default_lost, *,
                   timeout: float | None = None, on_timeout: Callable[[Any], Any] | None = None) -> Iterator:
        """Yield ``(tag, fn(item))`` for queued ``(tag, item)`` pairs in order of virtual
        completion; pairs appended meanwhile are available at the last yielded completion.

        ``on_lost`` is never called: nothing runs in another process that could die.
        """
        if timeout is not None and on_timeout is None:
            raise ConfigError("imap_queue(timeout=...) needs on_timeout to give an abandoned item its result")
        in_flight: list[tuple[float, int, int, float, Any, Any]] = []
        while True:
            while queue:
                tag, item = queue.popleft()
                result = fn(item)
                seconds = self.seconds(item, result)
                if timeout is not None and seconds > timeout:
                    result, seconds = on_timeout(item), float(timeout)
                worker, start, finish = self.place(self.clock, seconds)
                heapq.heappush(in_flight, (finish, self._submitted, worker, start, tag, result))
                self._submitted += 1
            if not in_flight:
                return
            finish, number, worker, start, tag, result = heapq.heappop(in_flight)
            self.clock = finish
            self.busy[worker] += finish - start
            self.timeline.append(Slot(worker, start, finish, number))
            yield tag, result

    # -- what the simulation measured -------------------------------------------------------
    def idle_shares(self) -> list[float]:
        """Each worker's idle share ``1 − B_w / T`` (``T`` = :attr:`clock`; all 0 while ``T = 0``)."""
        if self.clock <= 0:
            return [0.0] * self.workers
        return [1.0 - b / self.clock for b in self.busy]

    def idle_share(self) -> float:
        """The executor's idle share ``1 − Σ_w B_w / (N·T)`` (0 while ``T = 0``)."""
        if self.clock <= 0:
            return 0.0
        return 1.0 - sum(self.busy) / (self.workers * self.clock)


__all__ = ["SimulatedExecutor", "Slot"]
