"""One protocol for everything a checkpoint saves and restores: ``get_state`` / ``set_state``.

Modelled on Keras Tuner's ``keras_tuner/engine/stateful.py``: an object whose state is
checkpointed has

* ``get_state() -> dict`` — its state as plain JSON (``json.loads(json.dumps(s)) == s``),
* ``set_state(state: dict) -> None`` — restore exactly what :meth:`get_state` returned,

so that ``b.set_state(json.loads(json.dumps(a.get_state())))`` on a fresh ``b`` makes ``b``
behave from then on as ``a`` does (the same next draws, the same next values). The engine
(:mod:`evodeap.engine.state`), the evaluator (:mod:`evodeap.evaluation.evaluator`), the
global random states (:mod:`evodeap.execution.global_random`), every ``numpy.random.Generator``
stream (:class:`GeneratorState`) and every schedule with state speak it.

**Schedules written for older evodeap** may define ``state_dict() -> dict`` and
``load_state_dict(state)`` instead; :func:`as_stateful` accepts them through one small
adapter (:class:`StateDictAdapter`), so such a schedule is checkpointed as before (the
checkpoint stores the same dict under the same name). New code writes
``get_state``/``set_state``.
"""
from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

import numpy as np


@runtime_checkable
class Stateful(Protocol):
    """Anything whose state a checkpoint saves: plain-JSON ``get_state`` and its inverse ``set_state``."""

    def get_state(self) -> dict[str, Any]:
        """The object's state as plain JSON (dicts, lists, strings, numbers, booleans, null)."""
        ...

    def set_state(self, state: dict[str, Any]) -> None:
        """Restore a state returned by :meth:`get_state` (possibly after a JSON round trip)."""
        ...


class StateDictAdapter:
    """``get_state``/``set_state`` over an object with the older ``state_dict``/``load_state_dict`` pair."""

    def __init__(self, wrapped: Any) -> None:
        self.wrapped = wrapped

    def get_state(self) -> dict[str, Any]:
        return self.wrapped.state_dict()

    def set_state(self, state: dict[str, Any]) -> None:
        self.wrapped.load_state_dict(state)


def as_stateful(obj: Any) -> Stateful | None:
    """``obj`` itself when it speaks :class:`Stateful`; a :class:`StateDictAdapter` when it has
    the older ``state_dict``/``load_state_dict``; ``None`` when it has no state to save."""
    if callable(getattr(obj, "get_state", None)) and callable(getattr(obj, "set_state", None)):
        return obj
    if callable(getattr(obj, "state_dict", None)) and callable(getattr(obj, "load_state_dict", None)):
        return StateDictAdapter(obj)
    return None


class GeneratorState:
    """A ``numpy.random.Generator`` stream as :class:`Stateful`: its bit generator's state dict.

    The state is NumPy's own (``{"bit_generator": "PCG64", "state": {...}, ...}``), which
    is plain JSON; setting it makes the generator repeat the draws it would have made.
    """

    def __init__(self, generator: np.random.Generator) -> None:
        self.generator = generator

    def get_state(self) -> dict[str, Any]:
        return self.generator.bit_generator.state

    def set_state(self, state: dict[str, Any]) -> None:
        self.generator.bit_generator.state = state


__all__ = ["GeneratorState", "StateDictAdapter", "Stateful", "as_stateful"]
