"""The layer kinds and families the standard benchmarks' search spaces are written with.

Registered through the public API (:func:`evodeap.kinds.register_kind`,
:func:`evodeap.kinds.register_family`), like a researcher's own kinds, and built as real
Keras layers so they pass the layer-kind contract (:mod:`evodeap.testing`). A benchmark
fitness never builds them: it reads the genes and looks the configuration up.

* ``nb201_edge(op)`` — one edge of the NAS-Bench-201 cell; ``op`` is one of
  :data:`NB201_OPERATIONS`. Gene ``i`` of a ``nasbench201`` genome is the package's edge
  ``Op{i}``. Built alone (frames ``(T, H, W, C)`` -> same shape, ``C`` channels kept):
  ``none`` multiplies by 0 (``Rescaling(0)``), ``skip_connect`` is the identity,
  ``nor_conv_kxk`` a ``Conv3D`` with kernel ``(1, k, k)`` and no bias followed by ReLU
  (params ``k²·C²``, MACs ``T·H·W·k²·C²``), ``avg_pool_3x3`` a stride-1 ``(1, 3, 3)``
  average pool. A chain of edges is not the cell's DAG: the benchmark's value is looked
  up, never trained.
* ``shared_dense(activation)`` — one hidden layer of an MLP whose width (and dropout) are
  *shared* hyperparameters of the benchmark (HPOBench-NN: ``width``; LCBench: the funnel's
  ``max_units``, ``max_dropout``). The genome's number of such genes is the benchmark's
  depth; the activation is fixed by the benchmark (ReLU, a one-value domain). A layer gene
  cannot see the hyperparameters, so built alone it keeps its input's width ``D``
  (``Dense(D)``: params ``D² + D``, MACs ``D²``).
* ``fcnet_layer(units, activation, dropout)`` — one FC-Net (HPOLib) layer with its own
  width, activation and dropout: ``Dense(units, activation)`` (params ``D·u + u``, MACs
  ``D·u``) then ``Dropout(dropout)`` (layer ``fcnet_layer_dropout_<i>``).

Families (one stage each, no free kinds): ``nasbench201`` (``nb201_edge``),
``hpobench_nn`` and ``lcbench`` (``shared_dense``), ``fcnet`` (``fcnet_layer``).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from evodeap.domains import Choice
from evodeap.kinds import FRAMES, VECTOR, LayerContext, LayerPlan, register_family, register_kind

#: NAS-Bench-201's five candidate operations of an edge, in the package's order.
NB201_OPERATIONS = ("none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3")
#: The kernel side of each convolution operation.
NB201_KERNELS = {"nor_conv_1x1": 1, "nor_conv_3x3": 3}
#: FC-Net's per-layer choices (HPOLib, Klein & Hutter 2019).
FCNET_UNITS = (16, 32, 64, 128, 256, 512)
FCNET_ACTIVATIONS = ("relu", "tanh")
FCNET_DROPOUTS = (0.0, 0.3, 0.6)


@register_kind(acts_on=FRAMES, domains={"op": Choice(NB201_OPERATIONS)}, roles={})
@dataclass(frozen=True)
class NB201Edge:
    """One edge of the NAS-Bench-201 cell: its operation."""

    kind: ClassVar[str] = "nb201_edge"
    op: str

    def plan(self, shape: tuple[int, ...], ctx: LayerContext) -> list[LayerPlan]:
        T, H, W, C = shape
        k = NB201_KERNELS.get(self.op)
        if k is None:
            return [LayerPlan(ctx.name, tuple(shape))]
        return [LayerPlan(ctx.name, tuple(shape), params=k * k * C * C, macs=T * H * W * k * k * C * C)]

    def build(self, x: Any, ctx: LayerContext) -> Any:
        from keras import layers

        channels = int(x.shape[-1])
        if self.op in NB201_KERNELS:
            k = NB201_KERNELS[self.op]
            return layers.Conv3D(channels, (1, k, k), padding="same", use_bias=False, activation="relu",
                                 name=ctx.name)(x)
        if self.op == "avg_pool_3x3":
            return layers.AveragePooling3D((1, 3, 3), strides=1, padding="same", name=ctx.name)(x)
        if self.op == "skip_connect":
            return layers.Identity(name=ctx.name)(x)
        return layers.Rescaling(0.0, name=ctx.name)(x)

    def problems(self) -> list[str]:
        return [] if self.op in NB201_OPERATIONS else [f"has unknown NAS-Bench-201 operation {self.op!r}"]

    def describe(self) -> str:
        return f"edge:{self.op}"


@register_kind(acts_on=VECTOR, domains={"activation": Choice(("relu",))}, roles={"activation": ("activation",)})
@dataclass(frozen=True)
class SharedDense:
    """A hidden layer whose width is the benchmark's shared hyperparameter."""

    kind: ClassVar[str] = "shared_dense"
    activation: str

    def plan(self, shape: tuple[int, ...], ctx: LayerContext) -> list[LayerPlan]:
        (D,) = shape
        return [LayerPlan(ctx.name, (D,), params=D * D + D, macs=D * D)]

    def build(self, x: Any, ctx: LayerContext) -> Any:
        from keras import layers

        return layers.Dense(int(x.shape[-1]), activation=self.activation, name=ctx.name)(x)

    def describe(self) -> str:
        return f"shared_dense:{self.activation}"


@register_kind(
    acts_on=VECTOR,
    domains={"units": Choice(FCNET_UNITS), "activation": Choice(FCNET_ACTIVATIONS),
             "dropout": Choice(FCNET_DROPOUTS)},
)
@dataclass(frozen=True)
class FCNetLayer:
    """One FC-Net layer: its width, activation and dropout rate."""

    kind: ClassVar[str] = "fcnet_layer"
    units: int
    activation: str
    dropout: float

    def plan(self, shape: tuple[int, ...], ctx: LayerContext) -> list[LayerPlan]:
        (D,) = shape
        u = self.units
        return [LayerPlan(ctx.name, (u,), params=D * u + u, macs=D * u), LayerPlan(ctx.part("dropout"), (u,))]

    def build(self, x: Any, ctx: LayerContext) -> Any:
        from keras import layers

        x = layers.Dense(self.units, activation=self.activation, name=ctx.name)(x)
        return layers.Dropout(float(self.dropout), name=ctx.part("dropout"))(x)

    def describe(self) -> str:
        return f"fc{self.units}{self.activation}-drop{self.dropout:g}"


register_family("nasbench201", [("nb201_edge",)], required=("nb201_edge",), free=())
register_family("hpobench_nn", [("shared_dense",)], required=("shared_dense",), free=())
register_family("lcbench", [("shared_dense",)], required=("shared_dense",), free=())
register_family("fcnet", [("fcnet_layer",)], required=("fcnet_layer",), free=())
