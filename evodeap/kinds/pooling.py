"""Two structural genes: how frame feature maps become a sequence, and how the sequence of
frame vectors becomes a vector.

Written with the public API only (:mod:`evodeap.kinds.api`). Every built-in family carries
both kinds as *optional* stages (``cnn``: conv | frame_pool | time_pool | dense; ``rnn``:
frame_pool | rnn | time_pool | dense; ...): a search space searches them only when it
gives them domains (``SearchSpace(...).with_kinds("frame_pool", "time_pool")``). A genome
without them keeps today's transitions, inserted by the walk — each frame flattened,
then the mean over time (a recurrent layer's last state when the last sequence layer is
recurrent) — so old genomes and search spaces keep their meaning.

* ``frame_pool(mode)`` — frames ``(T, H, W, C)`` -> sequence: ``flatten`` gives
  ``(T, H·W·C)`` (the walk's own per-frame flatten: layer ``frame_pool_<i>``, a
  ``Reshape``); ``max`` / ``avg`` pool each frame's whole ``H×W`` (``MaxPooling3D`` /
  ``AveragePooling3D`` with pool ``(1, H, W)``, layer ``frame_pool_<i>``) and reshape to
  ``(T, C)`` (layer ``frame_pool_reshape_<i>``). In a ``frame_downsample`` family the walk
  average-pools the frames to at most ``frame_size`` a side first, as it does before its
  own flatten, so ``frame_pool(flatten)`` in the ``rnn`` family is today's model.
  ``rows`` reads each frame row by row: ``(T, H, W, C) -> (T·H, W·C)`` (a ``Reshape``,
  layer ``frame_pool_<i>``), the sequence a recurrent layer reads an image as — on
  one-frame hard videos a SimpleRNN over the 9 rows of the rnn family's 9×16 frame, with
  the maximum over time, reaches test macro AUC 0.69 in 32 epochs against 0.59 over the
  flattened frame (``experiments/sizing_quick.py``, docs/paper.md).
* ``time_pool(mode)`` — sequence ``(T, D)`` -> vector ``(D,)``: ``mean``
  (``GlobalAveragePooling1D``, the walk's own temporal pool), ``max``
  (``GlobalMaxPooling1D``), ``last`` (the last time step: ``Cropping1D((T - 1, 0))``, layer
  ``time_pool_<i>``, then ``Reshape((D,))``, layer ``time_pool_reshape_<i>``). A recurrent
  layer before it returns its whole sequence (the time pool acts on a sequence), so
  ``rnn`` + ``time_pool(last)`` is the same function, with the same weights, as ``rnn``
  alone.

Both kinds change stage without being recurrent, so a genome holds at most one of each
(:attr:`~evodeap.kinds.api.LayerKind.at_most_once`). Cost: no parameters, and 0 MACs —
like the walk's transitions and the conv blocks' pooling, reshapes and pools are not
counted.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from evodeap.domains import Choice
from evodeap.kinds.api import FRAMES, SEQUENCE, VECTOR, LayerContext, LayerPlan, register_kind

FRAME_POOL_MODES = ("flatten", "max", "avg", "rows")
TIME_POOL_MODES = ("mean", "max", "last")


def _mode_problems(gene: Any, modes: tuple[str, ...]) -> list[str]:
    if gene.mode in modes:
        return []
    return [f"has unknown {gene.kind} mode {gene.mode!r} (one of {', '.join(modes)})"]


@register_kind(acts_on=FRAMES, produces=SEQUENCE, domains={"mode": Choice(FRAME_POOL_MODES)})
@dataclass(frozen=True)
class FramePool:
    """Each frame's feature maps become one feature vector — flattened, or pooled globally
    over the frame (max or average) to one value per channel — or, ``rows``, a sequence of
    its rows."""

    kind: ClassVar[str] = "frame_pool"
    mode: str

    def plan(self, shape: tuple[int, ...], ctx: LayerContext) -> list[LayerPlan]:
        T, H, W, C = shape
        if self.mode == "flatten":
            return [LayerPlan(ctx.name, (T, H * W * C))]
        if self.mode == "rows":
            return [LayerPlan(ctx.name, (T * H, W * C))]
        return [LayerPlan(ctx.name, (T, 1, 1, C)), LayerPlan(ctx.part("reshape"), (T, C))]

    def build(self, x: Any, ctx: LayerContext) -> Any:
        from keras import layers

        T, H, W, C = (int(d) for d in x.shape[1:])
        if self.mode == "flatten":
            return layers.Reshape((T, H * W * C), name=ctx.name)(x)
        if self.mode == "rows":
            return layers.Reshape((T * H, W * C), name=ctx.name)(x)
        pool = layers.MaxPooling3D if self.mode == "max" else layers.AveragePooling3D
        x = pool((1, H, W), name=ctx.name)(x)
        return layers.Reshape((T, C), name=ctx.part("reshape"))(x)

    def problems(self) -> list[str]:
        return _mode_problems(self, FRAME_POOL_MODES)

    def describe(self) -> str:
        return f"fpool-{self.mode}"


@register_kind(acts_on=SEQUENCE, produces=VECTOR, domains={"mode": Choice(TIME_POOL_MODES)})
@dataclass(frozen=True)
class TimePool:
    """The sequence of frame vectors becomes one vector: its mean, its maximum, or its last
    time step."""

    kind: ClassVar[str] = "time_pool"
    mode: str

    def plan(self, shape: tuple[int, ...], ctx: LayerContext) -> list[LayerPlan]:
        T, D = shape
        if self.mode == "last":
            return [LayerPlan(ctx.name, (1, D)), LayerPlan(ctx.part("reshape"), (D,))]
        return [LayerPlan(ctx.name, (D,))]

    def build(self, x: Any, ctx: LayerContext) -> Any:
        from keras import layers

        T, D = (int(d) for d in x.shape[1:])
        if self.mode == "last":
            x = layers.Cropping1D((T - 1, 0), name=ctx.name)(x)
            return layers.Reshape((D,), name=ctx.part("reshape"))(x)
        pool = layers.GlobalMaxPooling1D if self.mode == "max" else layers.GlobalAveragePooling1D
        return pool(name=ctx.name)(x)

    def problems(self) -> list[str]:
        return _mode_problems(self, TIME_POOL_MODES)

    def describe(self) -> str:
        return f"tpool-{self.mode}"
