"""The one walk of a genome through the model's stages, shared by planning and building.

:func:`walk` turns a genome's layers into :class:`Step` values — each gene's layers, the
transitions between stages and the output head — with every step's planned Keras layers
(names, output shapes, parameters, MACs). :func:`evodeap.models.plan_model` reads the
plans; :func:`evodeap.models.build_model` calls each step's ``build`` in order. Both use
the same steps, so the model built is the model planned.

The walk starts on frames ``(T, H, W, C)``. Before a gene that acts on a later stage it
inserts the transitions, generically:

* frames -> sequence: each frame flattened, ``(T, H·W·C)`` (``frame_flatten``), after an
  average pooling of each frame by ``p = ceil(max(H, W) / frame_size)`` when the family
  asks for it (``frame_downsample``, only when ``p > 1``; ``frame_size=None`` keeps the
  frames at full resolution);
* sequence -> vector: the mean over time (``temporal_pool``).

A gene that itself leaves the frames stage (``acts_on`` frames, ``produces`` a later stage,
e.g. ``frame_pool``) replaces the flatten, and gets the same ``frame_downsample`` before it;
a gene that leaves the sequence stage (``time_pool``, a recurrent layer) replaces the mean
over time.

A recurrent kind returns sequences exactly when a later gene acts on a sequence. After
the last gene the walk moves to the vector stage, adds ``head_dropout`` (when the
``dropout`` hyperparameter is above 0) and the ``head``.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Sequence

from evodeap.kinds.api import (
    ANY,
    FRAMES,
    SEQUENCE,
    STAGE_RANK,
    STAGES,
    VECTOR,
    LayerContext,
    LayerPlan,
    PlanError,
    kind_of,
)
from evodeap.kinds.families import Family

#: Frames fed to a sequence stage of a ``frame_downsample`` family are average-pooled down
#: to at most this side (the default of every genome and run recorded before the frame size
#: became a setting: ``KerasFitness(frame_size=...)``).
DEFAULT_FRAME_SIZE = 16


def frame_pool_size(height: int, width: int, frame_size: int | None = DEFAULT_FRAME_SIZE) -> int:
    """Pool factor ``p = ceil(max(H, W) / frame_size)`` used to shrink frames for a sequence;
    ``1`` (no pooling) when ``frame_size`` is ``None`` (full resolution)."""
    if frame_size is None:
        return 1
    return max(1, math.ceil(max(height, width) / frame_size))


def frame_size_problems(frame_size: object) -> list[str]:
    """Why ``frame_size`` is not a valid setting (empty when it is: ``None`` or an integer >= 1)."""
    if frame_size is None or (isinstance(frame_size, int) and not isinstance(frame_size, bool) and frame_size >= 1):
        return []
    return [f"frame_size must be an integer >= 1 or None (full resolution), got {frame_size!r}"]


# -- transitions and head: the same plan/build protocol as a layer gene -------------------------
@dataclass(frozen=True)
class FrameDownsample:
    """Per-frame ``p×p`` average pooling (``"valid"``: a side ``s`` becomes ``⌊s/p⌋``)."""

    pool: int

    def plan(self, shape: tuple[int, ...], ctx: LayerContext) -> list[LayerPlan]:
        T, H, W, C = shape
        return [LayerPlan(ctx.name, (T, H // self.pool, W // self.pool, C))]

    def build(self, x: Any, ctx: LayerContext) -> Any:
        from keras import layers

        return layers.AveragePooling3D((1, self.pool, self.pool), name=ctx.name)(x)


@dataclass(frozen=True)
class FrameFlatten:
    """Each frame flattened to a feature vector: ``(T, H, W, C) -> (T, H·W·C)``."""

    def plan(self, shape: tuple[int, ...], ctx: LayerContext) -> list[LayerPlan]:
        T, H, W, C = shape
        return [LayerPlan(ctx.name, (T, H * W * C))]

    def build(self, x: Any, ctx: LayerContext) -> Any:
        from keras import layers

        T, H, W, C = (int(d) for d in x.shape[1:])
        return layers.Reshape((T, H * W * C), name=ctx.name)(x)


@dataclass(frozen=True)
class TemporalPool:
    """The mean over time: ``(T, D) -> (D,)``."""

    def plan(self, shape: tuple[int, ...], ctx: LayerContext) -> list[LayerPlan]:
        return [LayerPlan(ctx.name, (shape[-1],))]

    def build(self, x: Any, ctx: LayerContext) -> Any:
        from keras import layers

        return layers.GlobalAveragePooling1D(name=ctx.name)(x)


@dataclass(frozen=True)
class HeadDropout:
    """Dropout right before the head (the ``dropout`` hyperparameter)."""

    rate: float

    def plan(self, shape: tuple[int, ...], ctx: LayerContext) -> list[LayerPlan]:
        return [LayerPlan(ctx.name, shape)]

    def build(self, x: Any, ctx: LayerContext) -> Any:
        from keras import layers

        return layers.Dropout(self.rate, name=ctx.name)(x)


@dataclass(frozen=True)
class Head:
    """The output layer ``Dense(units, activation)``, computed in float32."""

    units: int
    activation: str

    def plan(self, shape: tuple[int, ...], ctx: LayerContext) -> list[LayerPlan]:
        D, n = shape[-1], self.units
        return [LayerPlan(ctx.name, (n,), D * n + n, D * n)]

    def build(self, x: Any, ctx: LayerContext) -> Any:
        from keras import layers

        return layers.Dense(self.units, activation=self.activation, dtype="float32", name=ctx.name)(x)


# -- the walk ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Step:
    """One unit of the model: a gene, a transition or the head, with its planned layers."""

    unit: Any
    context: LayerContext
    input_shape: tuple[int, ...]
    layers: tuple[LayerPlan, ...]

    @property
    def output_shape(self) -> tuple[int, ...]:
        return self.layers[-1].output_shape if self.layers else self.input_shape

    def build(self, x: Any) -> Any:
        """The step's Keras layers applied to ``x``."""
        return self.unit.build(x, self.context)


@dataclass(frozen=True)
class Walk:
    """The steps of a genome's model and every reason the walk stopped (empty if none)."""

    steps: tuple[Step, ...]
    problems: tuple[str, ...] = ()

    @property
    def layers(self) -> tuple[LayerPlan, ...]:
        return tuple(layer for step in self.steps for layer in step.layers)


def walk(
    layers: Sequence[Any],
    input_shape: Sequence[int],
    family: Family,
    *,
    head_units: int,
    head_activation: str,
    head_dropout: float = 0.0,
    frame_size: int | None = DEFAULT_FRAME_SIZE,
) -> Walk:
    """Walk ``layers`` (genes of registered kinds) from frames of ``input_shape`` to the head.

    Returns:
        A :class:`Walk`; when a gene cannot act on what it gets (a kind's :class:`PlanError`,
        a stage it cannot reach, an output of the wrong rank) the walk stops there and
        ``problems`` says why.
    """
    state = _State(tuple(int(s) for s in input_shape), family, frame_size)
    kinds = [kind_of(gene) for gene in layers]
    for i, (gene, kind) in enumerate(zip(layers, kinds)):
        if kind.acts_on != ANY:
            if STAGES.index(kind.acts_on) < STAGES.index(state.stage):
                state.problems.append(
                    f"layer {i} ({gene.kind}) acts on {kind.acts_on} but its input is already a {state.stage}")
                break
            state.advance(kind.acts_on)
            if kind.acts_on == FRAMES and kind.produces != FRAMES:
                state.leave_frames()
        returns_sequences = kind.recurrent and any(k.acts_on == SEQUENCE for k in kinds[i + 1:])
        stage = state.stage if kind.acts_on == ANY else (SEQUENCE if returns_sequences else kind.produces)
        ctx = LayerContext(gene.kind, i, f"{gene.kind}_{i}", returns_sequences)
        if not state.add(gene, ctx, stage, f"layer {i} ({gene.kind})"):
            break
    if not state.problems:
        state.advance(VECTOR)
        if head_dropout > 0:
            state.add(HeadDropout(float(head_dropout)), _fixed("head_dropout"), VECTOR, "head_dropout")
        state.add(Head(int(head_units), head_activation), _fixed("head"), VECTOR, "head")
    return Walk(tuple(state.steps), tuple(state.problems))


def _fixed(name: str) -> LayerContext:
    return LayerContext(name, -1, name)


class _State:
    """The walk's position: current stage and shape, the steps so far, the problems."""

    def __init__(self, shape: tuple[int, ...], family: Family, frame_size: int | None) -> None:
        self.shape = shape
        self.stage = FRAMES
        self.family = family
        self.frame_size = frame_size
        self.steps: list[Step] = []
        self.problems: list[str] = []

    def leave_frames(self) -> None:
        """Before the frames leave their stage: the family's ``frame_downsample``, if any."""
        if self.family.frame_downsample:
            p = frame_pool_size(self.shape[1], self.shape[2], self.frame_size)
            if p > 1:
                self.add(FrameDownsample(p), _fixed("frame_downsample"), FRAMES, "frame_downsample")

    def advance(self, target: str) -> None:
        """Insert the transitions from the current stage to ``target``."""
        if self.stage == FRAMES and target in (SEQUENCE, VECTOR):
            self.leave_frames()
            self.add(FrameFlatten(), _fixed("frame_flatten"), SEQUENCE, "frame_flatten")
        if self.stage == SEQUENCE and target == VECTOR:
            self.add(TemporalPool(), _fixed("temporal_pool"), VECTOR, "temporal_pool")

    def add(self, unit: Any, ctx: LayerContext, stage: str, where: str) -> bool:
        """Plan ``unit`` on the current shape; on success move to its output (``True``)."""
        try:
            planned = tuple(unit.plan(self.shape, ctx))
        except PlanError as exc:
            self.problems.append(f"{where} {exc}")
            return False
        step = Step(unit, ctx, self.shape, planned)
        out = step.output_shape
        if len(out) != STAGE_RANK[stage] or min(out, default=0) < 1:
            self.problems.append(f"{where} planned an output of shape {out}, not a {stage} of positive size")
            return False
        self.steps.append(step)
        self.shape, self.stage = out, stage
        return True
