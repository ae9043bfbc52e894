"""LSTM and GRU layer kinds (recurrent stage) and the lstm, gru, cnn+lstm, cnn+gru families
(with the optional ``frame_pool`` and ``time_pool`` stages of every built-in family).

Written with the public API only (:mod:`evodeap.kinds.api`). Cost model per sample, for
``u`` units on ``D`` input features over ``T`` steps (Keras 3 defaults: biases on; the GRU
with ``reset_after=True``, which keeps two bias vectors)::

    LSTM(u)   params 4·(D·u + u·u + u)      MACs T · 4·(D·u + u·u)
    GRU(u)    params 3·(D·u + u·u + 2·u)    MACs T · 3·(D·u + u·u)
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from evodeap.domains import Choice, Integer
from evodeap.kinds.api import SEQUENCE, VECTOR, LayerContext, LayerPlan, activation_problems, positive_int_problems, register_kind
from evodeap.kinds.builtin import POOLING_KINDS
from evodeap.kinds.families import register_family

RECURRENT_DOMAINS = {"units": Integer(8, 128, log=True), "activation": Choice(("tanh", "relu"))}


def _sequence_output(T: int, units: int, ctx: LayerContext) -> tuple[int, ...]:
    return (T, units) if ctx.returns_sequences else (units,)


@register_kind(acts_on=SEQUENCE, produces=VECTOR, recurrent=True, domains=RECURRENT_DOMAINS)
@dataclass(frozen=True)
class LSTMLayer:
    """A Keras ``LSTM`` layer with ``units`` units (four gates)."""

    kind: ClassVar[str] = "lstm"
    units: int
    activation: str

    def plan(self, shape: tuple[int, ...], ctx: LayerContext) -> list[LayerPlan]:
        T, D = shape
        u = self.units
        return [LayerPlan(ctx.name, _sequence_output(T, u, ctx), 4 * (D * u + u * u + u), T * 4 * (D * u + u * u))]

    def build(self, x: Any, ctx: LayerContext) -> Any:
        from keras import layers

        return layers.LSTM(self.units, activation=self.activation,
                           return_sequences=ctx.returns_sequences, name=ctx.name)(x)

    def problems(self) -> list[str]:
        return activation_problems(self) + positive_int_problems(self, "units")

    def describe(self) -> str:
        return f"lstm{self.units}{self.activation}"


@register_kind(acts_on=SEQUENCE, produces=VECTOR, recurrent=True, domains=RECURRENT_DOMAINS)
@dataclass(frozen=True)
class GRULayer:
    """A Keras ``GRU`` layer with ``units`` units (three gates, ``reset_after=True``)."""

    kind: ClassVar[str] = "gru"
    units: int
    activation: str

    def plan(self, shape: tuple[int, ...], ctx: LayerContext) -> list[LayerPlan]:
        T, D = shape
        u = self.units
        return [LayerPlan(ctx.name, _sequence_output(T, u, ctx), 3 * (D * u + u * u + 2 * u), T * 3 * (D * u + u * u))]

    def build(self, x: Any, ctx: LayerContext) -> Any:
        from keras import layers

        return layers.GRU(self.units, activation=self.activation,
                          return_sequences=ctx.returns_sequences, name=ctx.name)(x)

    def problems(self) -> list[str]:
        return activation_problems(self) + positive_int_problems(self, "units")

    def describe(self) -> str:
        return f"gru{self.units}{self.activation}"


register_family("lstm", [("frame_pool",), ("lstm",), ("time_pool",), ("dense",)], required=("lstm",),
                frame_downsample=True, optional=POOLING_KINDS)
register_family("gru", [("frame_pool",), ("gru",), ("time_pool",), ("dense",)], required=("gru",),
                frame_downsample=True, optional=POOLING_KINDS)
register_family("cnn+lstm", [("conv",), ("frame_pool",), ("lstm",), ("time_pool",), ("dense",)],
                required=("conv", "lstm"), optional=POOLING_KINDS)
register_family("cnn+gru", [("conv",), ("frame_pool",), ("gru",), ("time_pool",), ("dense",)],
                required=("conv", "gru"), optional=POOLING_KINDS)
