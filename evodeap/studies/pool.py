"""One worker pool for all the sub-runs of a study.

Starting process workers costs seconds each (every worker imports TensorFlow), so a study
whose sub-runs each started their own pool paid that start-up once per sub-run (six tiny
runs extended by one generation: 77 s, mostly start-up). :class:`SharedExecutors` keeps one
entered executor per distinct executor setting — ``(executor name, workers, executor_params)``
as :func:`evodeap.config.settings.executor_name` resolves them — for the whole study and hands
it to every sub-run that asks for the same setting; it closes them all when the study ends.
A sub-run's results do not depend on its executor (the same seed gives the same run with any
executor and any number of workers), so sharing one changes nothing but the time. The serial
executor has no start-up to save and is not shared.
"""
from __future__ import annotations

import json
from contextlib import ExitStack
from typing import Any

from evodeap.config.settings import ExperimentConfig, executor_name
from evodeap.execution.executors import make_executor


class SharedExecutors:
    """Entered executors by setting, for the sub-runs of one study (module docstring)."""

    def __init__(self) -> None:
        self._stack = ExitStack()
        self._executors: dict[tuple, Any] = {}
        self.started = 0

    def __enter__(self) -> "SharedExecutors":
        return self

    def __exit__(self, *exc: Any) -> None:
        self._stack.close()
        self._executors.clear()

    def for_config(self, config: ExperimentConfig) -> Any:
        """The shared executor of ``config``'s setting (started on first use), or ``None`` for a
        serial one (the sub-run makes its own)."""
        name = executor_name(config)
        if name == "serial":
            return None
        key = (name, config.workers, json.dumps(config.executor_params, sort_keys=True, default=str))
        if key not in self._executors:
            self._executors[key] = self._stack.enter_context(make_executor(name, config.workers,
                                                                           **config.executor_params))
            self.started += 1
        return self._executors[key]


__all__ = ["SharedExecutors"]
