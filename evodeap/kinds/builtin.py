"""The four original layer kinds — conv, rnn, dense, dropout — and the cnn, rnn, cnn+rnn families.

Each family also carries the optional ``frame_pool`` and ``time_pool`` stages
(:mod:`evodeap.kinds.pooling`), searched only by a space that gives them domains.

Written with the public API (:mod:`evodeap.kinds.api`) exactly as a researcher writes a kind.
Their Keras layer names, shapes, parameter counts and FLOPs are those of every model built
before kinds were plug-ins, so old genomes, seeds, results and inherited weights keep
their meaning. Cost model (per sample, forward pass, in multiply–accumulates)::

    conv   (kernel 1×k×k, "same")   T·H·W · k²·C_in·F        params k²·C_in·F + F
    SimpleRNN(u) on D features       T · (D·u + u·u)          params D·u + u·u + u
    Dense(u) on D features           D·u                      params D·u + u
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from evodeap.domains import Choice, Integer, Real
from evodeap.kinds.api import (
    ANY,
    FRAMES,
    SEQUENCE,
    VECTOR,
    LayerContext,
    LayerPlan,
    PlanError,
    activation_problems,
    positive_int_problems,
    register_kind,
)
from evodeap.kinds.families import register_family
from evodeap.kinds.pooling import FramePool, TimePool  # noqa: F401  (registered before the families name them)

POOLINGS = ("max", "avg", "none")


def pooled_frames(shape: tuple[int, ...], pooling: str, name: str) -> list[LayerPlan]:
    """The 2×2 / stride-2 per-frame pooling layer after a convolution (none for ``"none"``).

    Raises:
        PlanError: a frame side below 2 would shrink below 1.
    """
    if pooling == "none":
        return []
    T, H, W, C = shape
    if H < 2 or W < 2:
        raise PlanError(f"pools a {H}x{W} frame: the spatial size would shrink below 1")
    return [LayerPlan(name, (T, H // 2, W // 2, C))]


def build_pooling(x: Any, pooling: str, name: str) -> Any:
    """Keras' per-frame 2×2 max or average pooling (``x`` unchanged for ``"none"``)."""
    from keras import layers

    if pooling == "max":
        return layers.MaxPooling3D((1, 2, 2), name=name)(x)
    if pooling == "avg":
        return layers.AveragePooling3D((1, 2, 2), name=name)(x)
    return x


def pooling_problems(pooling: Any) -> list[str]:
    return [] if pooling in POOLINGS else [f"has unknown pooling {pooling!r}"]


@register_kind(
    acts_on=FRAMES,
    in_default_space=True,
    domains={
        "filters": Integer(8, 128, log=True),
        "kernel_size": Choice((3, 5)),
        "activation": Choice(("relu", "elu", "tanh")),
        "pooling": Choice(POOLINGS),
    },
)
@dataclass(frozen=True)
class ConvBlock:
    """A convolution block: Conv(filters, kernel_size, activation) then optional pooling.

    The convolution is ``Conv3D(filters, (1, k, k), padding="same")``: a per-frame 2-D
    convolution (no mixing across time), the same model as ``TimeDistributed(Conv2D)`` and
    faster on CPU. ``pooling`` is ``"max"``, ``"avg"`` or ``"none"`` (2×2, stride 2 when not
    none; layer ``pool_<i>``).
    """

    kind: ClassVar[str] = "conv"
    filters: int
    kernel_size: int
    activation: str
    pooling: str

    def plan(self, shape: tuple[int, ...], ctx: LayerContext) -> list[LayerPlan]:
        T, H, W, C = shape
        k, F = self.kernel_size, self.filters
        conv = LayerPlan(ctx.name, (T, H, W, F), k * k * C * F + F, T * H * W * k * k * C * F)
        return [conv] + pooled_frames(conv.output_shape, self.pooling, f"pool_{ctx.index}")

    def build(self, x: Any, ctx: LayerContext) -> Any:
        from keras import layers

        x = layers.Conv3D(self.filters, (1, self.kernel_size, self.kernel_size), padding="same",
                          activation=self.activation, name=ctx.name)(x)
        return build_pooling(x, self.pooling, f"pool_{ctx.index}")

    def problems(self) -> list[str]:
        return (activation_problems(self) + positive_int_problems(self, "filters", "kernel_size")
                + pooling_problems(self.pooling))

    def describe(self) -> str:
        return f"conv{self.filters}k{self.kernel_size}{self.activation}-{self.pooling}"


@register_kind(
    acts_on=SEQUENCE,
    produces=VECTOR,
    recurrent=True,
    in_default_space=True,
    domains={"units": Integer(8, 128, log=True), "activation": Choice(("tanh", "relu"))},
)
@dataclass(frozen=True)
class RecurrentLayer:
    """A Keras ``SimpleRNN`` layer with ``units`` units."""

    kind: ClassVar[str] = "rnn"
    units: int
    activation: str

    def plan(self, shape: tuple[int, ...], ctx: LayerContext) -> list[LayerPlan]:
        T, D = shape
        u = self.units
        out = (T, u) if ctx.returns_sequences else (u,)
        return [LayerPlan(ctx.name, out, D * u + u * u + u, T * (D * u + u * u))]

    def build(self, x: Any, ctx: LayerContext) -> Any:
        from keras import layers

        return layers.SimpleRNN(self.units, activation=self.activation,
                                return_sequences=ctx.returns_sequences, name=ctx.name)(x)

    def problems(self) -> list[str]:
        return activation_problems(self) + positive_int_problems(self, "units")

    def describe(self) -> str:
        return f"rnn{self.units}{self.activation}"


@register_kind(
    acts_on=VECTOR,
    in_default_space=True,
    domains={"units": Integer(8, 256, log=True), "activation": Choice(("relu", "elu", "tanh"))},
)
@dataclass(frozen=True)
class DenseLayer:
    """A fully connected layer."""

    kind: ClassVar[str] = "dense"
    units: int
    activation: str

    def plan(self, shape: tuple[int, ...], ctx: LayerContext) -> list[LayerPlan]:
        (D,) = shape
        u = self.units
        return [LayerPlan(ctx.name, (u,), D * u + u, D * u)]

    def build(self, x: Any, ctx: LayerContext) -> Any:
        from keras import layers

        return layers.Dense(self.units, activation=self.activation, name=ctx.name)(x)

    def problems(self) -> list[str]:
        return activation_problems(self) + positive_int_problems(self, "units")

    def describe(self) -> str:
        return f"dense{self.units}{self.activation}"


@register_kind(acts_on=ANY, in_default_space=True, domains={"rate": Real(0.0, 0.5)})
@dataclass(frozen=True)
class DropoutLayer:
    """Dropout with the given rate (fraction of inputs zeroed during training)."""

    kind: ClassVar[str] = "dropout"
    rate: float

    def plan(self, shape: tuple[int, ...], ctx: LayerContext) -> list[LayerPlan]:
        return [LayerPlan(ctx.name, shape)]

    def build(self, x: Any, ctx: LayerContext) -> Any:
        from keras import layers

        return layers.Dropout(float(self.rate), name=ctx.name)(x)

    def problems(self) -> list[str]:
        return [] if 0.0 <= self.rate < 1.0 else [f"dropout rate must be in [0, 1), got {self.rate!r}"]

    def describe(self) -> str:
        return f"drop{self.rate:.2f}"


#: The optional stages of every built-in family (see :mod:`evodeap.kinds.pooling`).
POOLING_KINDS = ("frame_pool", "time_pool")

register_family("cnn", [("conv",), ("frame_pool",), ("time_pool",), ("dense",)], required=("conv",),
                optional=POOLING_KINDS)
register_family("rnn", [("frame_pool",), ("rnn",), ("time_pool",), ("dense",)], required=("rnn",),
                frame_downsample=True, optional=POOLING_KINDS)
register_family("cnn+rnn", [("conv",), ("frame_pool",), ("rnn",), ("time_pool",), ("dense",)],
                required=("conv", "rnn"), optional=POOLING_KINDS)
