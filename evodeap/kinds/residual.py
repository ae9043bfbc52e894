"""A residual convolution block as a layer kind, and the ``residual`` family (with the
optional ``frame_pool`` and ``time_pool`` stages of every built-in family).

Written with the public API only (:mod:`evodeap.kinds.api`). On frames ``(T, H, W, C)``
with ``F`` filters and kernel ``k`` (each convolution per frame, ``(1, k, k)``, "same")::

    y = act( conv2(act(conv1(x))) + s ),   s = x if C == F else proj(x)   (proj: 1×1 conv)

then the block's optional 2×2 pooling. Keras layers ``residual_conv1_<i>``,
``residual_conv2_<i>``, ``residual_proj_<i>`` (only when ``C ≠ F``), ``residual_add_<i>``,
``residual_act_<i>``, ``residual_pool_<i>`` — so weight inheritance pairs each part with
the same part of the parent's blocks. Per sample::

    params  k²·C·F + F  +  k²·F·F + F  [+ C·F + F]
    MACs    T·H·W · (k²·C·F + k²·F·F [+ C·F])      (the addition is not counted)
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from evodeap.domains import Choice, Integer
from evodeap.kinds.api import FRAMES, LayerContext, LayerPlan, activation_problems, positive_int_problems, register_kind
from evodeap.kinds.builtin import POOLING_KINDS, POOLINGS, build_pooling, pooled_frames, pooling_problems
from evodeap.kinds.families import register_family


@register_kind(
    acts_on=FRAMES,
    domains={
        "filters": Integer(8, 64, log=True),
        "kernel_size": Choice((3, 5)),
        "activation": Choice(("relu", "elu")),
        "pooling": Choice(POOLINGS),
    },
)
@dataclass(frozen=True)
class ResidualBlock:
    """Two per-frame convolutions with a skip connection (a 1×1 projection when the channel
    count changes), the activation after the sum, then optional pooling."""

    kind: ClassVar[str] = "residual"
    filters: int
    kernel_size: int
    activation: str
    pooling: str

    def plan(self, shape: tuple[int, ...], ctx: LayerContext) -> list[LayerPlan]:
        T, H, W, C = shape
        k, F = self.kernel_size, self.filters
        out = (T, H, W, F)
        pixels = T * H * W
        layers = [
            LayerPlan(ctx.part("conv1"), out, k * k * C * F + F, pixels * k * k * C * F),
            LayerPlan(ctx.part("conv2"), out, k * k * F * F + F, pixels * k * k * F * F),
        ]
        if C != F:
            layers.append(LayerPlan(ctx.part("proj"), out, C * F + F, pixels * C * F))
        layers += [LayerPlan(ctx.part("add"), out), LayerPlan(ctx.part("act"), out)]
        return layers + pooled_frames(out, self.pooling, ctx.part("pool"))

    def build(self, x: Any, ctx: LayerContext) -> Any:
        from keras import layers

        kernel = (1, self.kernel_size, self.kernel_size)
        y = layers.Conv3D(self.filters, kernel, padding="same", activation=self.activation,
                          name=ctx.part("conv1"))(x)
        y = layers.Conv3D(self.filters, kernel, padding="same", name=ctx.part("conv2"))(y)
        skip = x
        if int(x.shape[-1]) != self.filters:
            skip = layers.Conv3D(self.filters, (1, 1, 1), name=ctx.part("proj"))(x)
        y = layers.Add(name=ctx.part("add"))([y, skip])
        y = layers.Activation(self.activation, name=ctx.part("act"))(y)
        return build_pooling(y, self.pooling, ctx.part("pool"))

    def problems(self) -> list[str]:
        return (activation_problems(self) + positive_int_problems(self, "filters", "kernel_size")
                + pooling_problems(self.pooling))

    def describe(self) -> str:
        return f"res{self.filters}k{self.kernel_size}{self.activation}-{self.pooling}"


register_family("residual", [("residual", "conv"), ("frame_pool",), ("time_pool",), ("dense",)],
                required=("residual",), free=("dropout", "batchnorm"), optional=POOLING_KINDS)
