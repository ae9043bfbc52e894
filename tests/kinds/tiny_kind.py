"""A researcher's own layer kind, registered with the public API only (used by the kind tests).

``temporal_conv`` is a 1-D convolution over time on a sequence ``(T, D) -> (T, F)``: a kind
that acts on a sequence without being recurrent. Its kernel size mutates to a neighbouring
option (a kind-specific mutation). The ``tconv`` family puts it between conv blocks and
dense layers, with dropout and batch normalization free, so the ``any`` kinds are also
checked on sequences.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from evodeap.domains import Choice, Integer
from evodeap.kinds.api import SEQUENCE, LayerContext, LayerPlan, register_kind
from evodeap.kinds.families import register_family


@register_kind(acts_on=SEQUENCE, domains={"filters": Integer(4, 32, log=True), "kernel_size": Choice((1, 3, 5))})
@dataclass(frozen=True)
class TemporalConv:
    kind: ClassVar[str] = "temporal_conv"
    filters: int
    kernel_size: int

    def plan(self, shape: tuple[int, ...], ctx: LayerContext) -> list[LayerPlan]:
        T, D = shape
        k, F = self.kernel_size, self.filters
        return [LayerPlan(ctx.name, (T, F), k * D * F + F, T * k * D * F)]

    def build(self, x: Any, ctx: LayerContext) -> Any:
        import keras

        return keras.layers.Conv1D(self.filters, self.kernel_size, padding="same", activation="relu",
                                   name=ctx.name)(x)

    def mutate(self, field: str, domain: Any, rng: Any, sigma: float) -> Any:
        if field != "kernel_size":
            return NotImplemented
        options = domain.options
        i = options.index(self.kernel_size) if self.kernel_size in options else 0
        step = 1 if i == 0 or (i < len(options) - 1 and rng.random() < 0.5) else -1
        return options[i + step]


register_family("tconv", [("conv",), ("temporal_conv",), ("dense",)], required=("temporal_conv",),
                free=("dropout", "batchnorm"), frame_downsample=True)
