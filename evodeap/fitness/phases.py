"""Where an evaluation's wall time goes: a clock of named phases.

The Keras fitness times each phase of an evaluation and records the seconds in
``EvalResult.extra["phase_seconds"]``:

=============  ==========================================================================
``data``       the data bundle (loaded once per process) and the training input pipeline
``build``      planning, building and compiling the model (optimizer variables included)
``weights``    loading starting weights (inheritance, multi-fidelity continuation)
``fit_setup``  ``Model.fit`` before its first batch: data adapter, callbacks, symbolic build
``first_step`` the first training batch: tracing the train function plus one step
``steps``      every later batch (and the epoch ends): the training proper
``scoring``    predicting and scoring validation, perturbed validation and test
``teardown``   releasing the model: ``clear_session`` and garbage collection
=============  ==========================================================================

The *fixed cost* of an evaluation is what it spends besides its training steps: its wall
time minus ``n_steps · s``, with ``s = steps / (n_steps − 1)`` the steady step time
(``experiments/bench_evaluation.py`` prints both, see docs/fitness.md).
"""
from __future__ import annotations

import time
from contextlib import contextmanager
from typing import Any, Iterator

PHASES = ("data", "build", "weights", "fit_setup", "first_step", "steps", "scoring", "teardown")


class PhaseClock:
    """Seconds spent in each named phase (a phase entered twice adds up)."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    def add(self, phase: str, seconds: float) -> None:
        self.seconds[phase] = self.seconds.get(phase, 0.0) + float(seconds)

    @contextmanager
    def phase(self, name: str) -> Iterator[None]:
        """Time the block as phase ``name``."""
        start = time.perf_counter()
        try:
            yield
        finally:
            self.add(name, time.perf_counter() - start)

    def fit_callback(self) -> Any:
        """A Keras callback splitting one ``fit`` call into ``first_step`` and ``steps``;
        time from the call to ``on_train_begin`` is ``fit_setup`` once :meth:`fit_done` is
        called with the call's start time."""
        import keras

        class _FitClock(keras.callbacks.Callback):
            def __init__(self) -> None:
                super().__init__()
                self.begin = self.first = self.end = None

            def on_train_begin(self, logs=None) -> None:
                self.begin = time.perf_counter()

            def on_train_batch_end(self, batch, logs=None) -> None:
                if self.first is None:
                    self.first = time.perf_counter()

            def on_train_end(self, logs=None) -> None:
                self.end = time.perf_counter()

        return _FitClock()

    def fit_done(self, callback: Any, fit_start: float, fit_end: float) -> None:
        """Book one finished ``fit`` call timed by ``callback`` (from :meth:`fit_callback`)."""
        begin = callback.begin if callback.begin is not None else fit_start
        first = callback.first if callback.first is not None else begin
        end = callback.end if callback.end is not None else fit_end
        self.add("fit_setup", begin - fit_start)
        self.add("first_step", first - begin)
        self.add("steps", (end - first) + (fit_end - end))

    def as_dict(self) -> dict[str, float]:
        """The phases in :data:`PHASES` order (then any other), rounded to microseconds."""
        order = [p for p in PHASES if p in self.seconds] + [p for p in self.seconds if p not in PHASES]
        return {p: round(self.seconds[p], 6) for p in order}
