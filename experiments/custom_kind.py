"""A layer kind of your own, registered from the experiment file: a bidirectional GRU.

    evodeap run experiments/custom_kind.py --out runs/bigru
    evodeap run experiments/custom_kind.py --out runs/bigru --executor process --workers 2
    evodeap resume runs/bigru

The ``bigru`` kind reads a sequence of frame features in both directions
(``keras.layers.Bidirectional(GRU(units))``); the ``cnn+bigru`` family puts conv blocks
in front of it (a per-frame encoder) and dense layers after it. Nothing else is needed:
the search space gets the kind's domains, mutation and crossover handle its genes, the
shape walk plans it, the model builder builds it, weight inheritance pairs its layers,
and process and Ray workers load this file before their first evaluation.
"""
from dataclasses import dataclass
from typing import Any, ClassVar

from evodeap.config.settings import ExperimentConfig
from evodeap.domains import Choice, Integer, Real
from evodeap.kinds import SEQUENCE, VECTOR, LayerContext, LayerPlan, register_family, register_kind
from evodeap.genome.space import SearchSpace


@register_kind(
    acts_on=SEQUENCE,            # it reads a sequence (T, D) of frame features ...
    produces=VECTOR,             # ... and gives a vector (2u,) ...
    recurrent=True,              # ... or the whole sequence (T, 2u) when a later gene reads one
    domains={"units": Integer(4, 32, log=True), "activation": Choice(("tanh", "relu"))},
)
@dataclass(frozen=True)
class BidirectionalGRU:
    """A GRU run forwards and backwards, the two states concatenated (``2·units`` features).

    Per sample, for ``u`` units on ``D`` features over ``T`` steps (Keras' GRU with
    ``reset_after=True``): params ``2 · 3·(D·u + u·u + 2·u)``, MACs ``2 · T · 3·(D·u + u·u)``.
    """

    kind: ClassVar[str] = "bigru"
    units: int
    activation: str

    def plan(self, shape: tuple[int, ...], ctx: LayerContext) -> list[LayerPlan]:
        T, D = shape
        u = self.units
        out = (T, 2 * u) if ctx.returns_sequences else (2 * u,)
        return [LayerPlan(ctx.name, out, params=2 * 3 * (D * u + u * u + 2 * u), macs=2 * T * 3 * (D * u + u * u))]

    def build(self, x: Any, ctx: LayerContext) -> Any:
        import keras

        gru = keras.layers.GRU(self.units, activation=self.activation, return_sequences=ctx.returns_sequences)
        return keras.layers.Bidirectional(gru, name=ctx.name)(x)

    def describe(self) -> str:
        return f"bigru{self.units}{self.activation}"


register_family("cnn+bigru", [("conv",), ("bigru",), ("dense",)], required=("conv", "bigru"))

SPACE = SearchSpace(
    family="cnn+bigru",
    hyperparameters={
        "learning_rate": Real(1e-3, 3e-2, log=True),
        "batch_size": Choice((16, 32)),
        "optimizer": Choice(("adam", "rmsprop")),
        "dropout": Real(0.0, 0.3),
        "epochs": Integer(1, 2),
    },
    layers={
        "conv": {"filters": Integer(4, 16, log=True), "kernel_size": Choice((3,)),
                 "activation": Choice(("relu",)), "pooling": Choice(("max", "avg"))},
        "bigru": {"units": Integer(4, 16, log=True), "activation": Choice(("tanh",))},
        "dense": {"units": Integer(8, 32, log=True), "activation": Choice(("relu", "tanh"))},
        "dropout": {"rate": Real(0.0, 0.3)},
    },
    min_layers=2,
    max_layers=4,
)

CONFIG = ExperimentConfig(
    name="custom_kind",
    space=SPACE,
    fitness="keras",
    fitness_params={
        "data": {"version": "hard", "task": "digits", "videos": [96, 32, 32], "frames": 8, "downsample": 4, "seed": 0},
        "metric": "auc",
    },
    population_size=6,
    generations=3,
    seed=0,
)
