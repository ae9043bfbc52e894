"""Labelled tasks, every label derived from the captions alone.

So generated sets and the published files are labelled by the same code.

* ``digits`` (multilabel, 10 outputs, every version): ``y[k] = 1`` iff digit class
  ``k`` is named on the caption's first line.
* ``direction``: the diagonal direction of a digit is the sign pair of its *first
  described move* (the first step line where its sentence states a displacement),
  class ``0 up-right (dx>0, dy<0)``, ``1 down-right (dx>0, dy>0)``,
  ``2 down-left (dx<0, dy>0)``, ``3 up-left (dx<0, dy<0)``.
  easy (one digit): multiclass, 4 classes.
  medium / hard (two digits): multilabel, 8 outputs: output ``4·s + k`` is 1 iff the
  digit in caption slot ``s`` (0 or 1) has direction ``k``; a digit never described
  as moving (hard: out of frame for every step) has all four of its outputs 0.
* ``exits`` (binary, hard only): 1 iff some step line says a digit ``moves out of
  frame and disappears``.
* ``digit`` (multiclass, 10 classes, easy only): the class of the single digit.
* ``digits+direction`` (multilabel, 18 outputs, medium / hard): the 10 ``digits`` outputs,
  then the 8 ``direction`` outputs — which digits appear, and where each one first moves.
  The digits can be read from one frame; the directions cannot (they need two frames or
  more, and a model that keeps their order): the task of the paper replication
  (docs/paper.md). Any multi-label tasks combine the same way (:func:`combined_task`).

Tasks are registered by name in :data:`TASKS` (an :class:`evodeap.registry.Registry`) as
:class:`Task` objects; a researcher's own task — labels computed from the parsed
captions — is registered the same way and named in a ``DataSpec(task=...)``::

    def count_info(version):
        return TaskInfo("count", "multiclass", 2, ("one", "two"))

    def count_labels(version, captions):
        return np.array([len(c.digits) - 1 for c in captions], dtype=np.int64)

    TASKS.register("count")(Task(count_info, count_labels))

The data is loaded where the fitness runs (in each worker), so a custom task must be
registered by a module the workers import too.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from evodeap.data.captions import Caption
from evodeap.errors import DataError
from evodeap.registry import Registry

KINDS = ("multiclass", "multilabel", "binary")
DIRECTIONS = ("up-right", "down-right", "down-left", "up-left")


@dataclass(frozen=True)
class TaskInfo:
    """What a model must predict.

    Attributes:
        name: ``digits``, ``direction``, ``exits``, ``digit`` or ``custom``.
        kind: ``multiclass`` (softmax, integer labels), ``multilabel`` (sigmoids, 0/1
            matrix) or ``binary`` (one sigmoid, 0/1 vector).
        n_outputs: softmax classes, multilabel outputs, or 1 for binary.
        class_names: one name per output (per class for multiclass).
    """

    name: str
    kind: str
    n_outputs: int
    class_names: tuple[str, ...]

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise DataError(f"task kind {self.kind!r} is not one of {', '.join(KINDS)}")
        if self.n_outputs < 1 or (self.kind == "binary" and self.n_outputs != 1):
            raise DataError(f"task {self.name!r}: bad n_outputs {self.n_outputs} for kind {self.kind}")
        if self.kind == "multiclass" and self.n_outputs < 2:
            raise DataError(f"task {self.name!r}: a multiclass task needs at least 2 classes")
        if len(self.class_names) != self.n_outputs:
            raise DataError(f"task {self.name!r}: {len(self.class_names)} class names for {self.n_outputs} outputs")

    def to_dict(self) -> dict:
        """JSON-able form."""
        return {"name": self.name, "kind": self.kind, "n_outputs": self.n_outputs, "class_names": list(self.class_names)}

    @classmethod
    def from_dict(cls, d: dict) -> TaskInfo:
        """Inverse of :meth:`to_dict`."""
        return cls(d["name"], d["kind"], int(d["n_outputs"]), tuple(d["class_names"]))


@dataclass(frozen=True)
class Task:
    """A labelled task: what the labels are, and how a caption gives them.

    Attributes:
        info: ``version -> TaskInfo``; raises :class:`DataError` for a version the task
            does not define.
        labels: ``(version, captions) -> labels``: int64 ``(N,)`` for multiclass, float32
            ``(N, K)`` for multilabel, float32 ``(N,)`` for binary.
    """

    info: Callable[[str], TaskInfo]
    labels: Callable[[str, Sequence[Caption]], np.ndarray]


#: name -> :class:`Task`
TASKS: Registry[Task] = Registry("task")


def task_info(name: str, version: str) -> TaskInfo:
    """The :class:`TaskInfo` of a named task on a dataset version.

    Raises:
        UnknownNameError: the task is not registered.
        DataError: the version does not define the task.
    """
    return TASKS.get(name).info(version)


def task_labels(name: str, version: str, captions: Sequence[Caption]) -> np.ndarray:
    """Labels of ``captions`` for a task (see the module docstring for the definitions).

    Returns:
        int64 ``(N,)`` for multiclass, float32 ``(N, K)`` for multilabel, float32 ``(N,)``
        for binary.
    """
    task = TASKS.get(name)
    task.info(version)
    n_digits = 1 if version == "easy" else 2
    for i, c in enumerate(captions):
        if len(c.digits) != n_digits:
            raise DataError(f"caption {i} names {len(c.digits)} digit(s); the {version} version has {n_digits}")
    return task.labels(version, captions)


def direction_class(dx: float, dy: float) -> int:
    """Direction class of a displacement: 0 up-right, 1 down-right, 2 down-left, 3 up-left."""
    if dx > 0:
        return 0 if dy < 0 else 1
    return 3 if dy < 0 else 2


def first_direction(caption: Caption, slot: int) -> int | None:
    """Direction class of the first described move of the digit in ``slot``, or None."""
    for step in caption.steps:
        move = step[slot]
        if move is not None:
            return direction_class(*move)
    return None


# -- the built-in tasks -------------------------------------------------------------------------
def _digits_info(version: str) -> TaskInfo:
    return TaskInfo("digits", "multilabel", 10, tuple(str(k) for k in range(10)))


def _digits_labels(version: str, captions: Sequence[Caption]) -> np.ndarray:
    y = np.zeros((len(captions), 10), dtype=np.float32)
    for i, c in enumerate(captions):
        y[i, list(c.digits)] = 1.0
    return y


def _direction_info(version: str) -> TaskInfo:
    if version == "easy":
        return TaskInfo("direction", "multiclass", 4, DIRECTIONS)
    names = tuple(f"digit{s + 1}:{d}" for s in range(2) for d in DIRECTIONS)
    return TaskInfo("direction", "multilabel", 8, names)


def _direction_labels(version: str, captions: Sequence[Caption]) -> np.ndarray:
    n = len(captions)
    if version == "easy":  # multiclass
        y = np.empty(n, dtype=np.int64)
        for i, c in enumerate(captions):
            k = first_direction(c, 0)
            if k is None:
                raise DataError(f"caption {i} describes no move; its direction is undefined")
            y[i] = k
        return y
    y = np.zeros((n, 8), dtype=np.float32)
    for i, c in enumerate(captions):
        for s in range(2):
            k = first_direction(c, s)
            if k is not None:
                y[i, 4 * s + k] = 1.0
    return y


def _exits_info(version: str) -> TaskInfo:
    if version != "hard":
        raise DataError(f"task 'exits' is defined for the hard version only, not {version!r}")
    return TaskInfo("exits", "binary", 1, ("exits",))


def _exits_labels(version: str, captions: Sequence[Caption]) -> np.ndarray:
    return np.array([any(m is None for step in c.steps for m in step) for c in captions], dtype=np.float32)


def _digit_info(version: str) -> TaskInfo:
    if version != "easy":
        raise DataError(f"task 'digit' is defined for the easy version only (one digit), not {version!r}")
    return TaskInfo("digit", "multiclass", 10, tuple(str(k) for k in range(10)))


def _digit_labels(version: str, captions: Sequence[Caption]) -> np.ndarray:
    return np.array([c.digits[0] for c in captions], dtype=np.int64)


def combined_task(name: str, *parts: str) -> Task:
    """The multi-label task whose outputs are those of the multi-label tasks ``parts``, in
    order (labels side by side; class names prefixed ``<part>:``). A version on which a part
    is not multi-label (``direction`` on easy) is a :class:`DataError`."""
    def info(version: str) -> TaskInfo:
        infos = [TASKS.get(part).info(version) for part in parts]
        for part, item in zip(parts, infos):
            if item.kind != "multilabel":
                raise DataError(f"task {name!r} combines multi-label tasks; {part!r} is {item.kind} on {version!r}")
        names = tuple(f"{part}:{c}" for part, item in zip(parts, infos) for c in item.class_names)
        return TaskInfo(name, "multilabel", len(names), names)

    def labels(version: str, captions: Sequence[Caption]) -> np.ndarray:
        return np.concatenate([TASKS.get(part).labels(version, captions) for part in parts], axis=1)

    return Task(info, labels)


TASKS.register("digits")(Task(_digits_info, _digits_labels))
TASKS.register("direction")(Task(_direction_info, _direction_labels))
TASKS.register("exits")(Task(_exits_info, _exits_labels))
TASKS.register("digit")(Task(_digit_info, _digit_labels))
TASKS.register("digits+direction")(combined_task("digits+direction", "digits", "direction"))
