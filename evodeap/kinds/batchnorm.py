"""Batch normalization as a layer kind that stands anywhere (frames, sequence or vector).

Written with the public API only (:mod:`evodeap.kinds.api`). ``BatchNormalization`` over
the last axis (channels of frames, features of a sequence or vector) with ``C`` features
keeps four vectors of length ``C`` — γ, β and the moving mean and variance (the last two
are not trained, but ``count_params()`` counts them): ``params = 4·C``. Its forward pass
is one multiply–add per element (``y = γ'·x + β'`` with the statistics folded in):
``MACs = ∏ shape``.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, ClassVar

from evodeap.domains import Choice
from evodeap.kinds.api import ANY, LayerContext, LayerPlan, register_kind


@register_kind(acts_on=ANY, domains={"momentum": Choice((0.9, 0.99))})
@dataclass(frozen=True)
class BatchNormLayer:
    """``BatchNormalization(momentum)``: the moving statistics' momentum is the gene."""

    kind: ClassVar[str] = "batchnorm"
    momentum: float

    def plan(self, shape: tuple[int, ...], ctx: LayerContext) -> list[LayerPlan]:
        return [LayerPlan(ctx.name, shape, 4 * shape[-1], math.prod(shape))]

    def build(self, x: Any, ctx: LayerContext) -> Any:
        from keras import layers

        return layers.BatchNormalization(momentum=float(self.momentum), name=ctx.name)(x)

    def problems(self) -> list[str]:
        ok = isinstance(self.momentum, (int, float)) and 0.0 <= self.momentum < 1.0
        return [] if ok else [f"batchnorm momentum must be in [0, 1), got {self.momentum!r}"]

    def describe(self) -> str:
        return f"bn{self.momentum:g}"
