"""Layer kinds and model families: the search space's building blocks, as plug-ins.

* :mod:`evodeap.kinds.api` — the public registration API (:func:`register_kind`, stages,
  :class:`LayerPlan`, :class:`LayerContext`, the :data:`KINDS` registry);
* :mod:`evodeap.kinds.families` — families as data (:func:`register_family`, :data:`FAMILIES`);
* :mod:`evodeap.kinds.views` — ``FAMILIES`` as a live read-only view, and ``DROPOUT``;
* :mod:`evodeap.kinds.walk` — the one walk of a genome that planning and building share;
* :mod:`evodeap.kinds.builtin` — conv, rnn, dense, dropout and the cnn, rnn, cnn+rnn families;
* :mod:`evodeap.kinds.pooling` — ``frame_pool`` and ``time_pool``, the optional stages of every
  built-in family (how frames become a sequence, how a sequence becomes a vector);
* :mod:`evodeap.kinds.recurrent`, :mod:`~evodeap.kinds.batchnorm`, :mod:`~evodeap.kinds.residual`
  — LSTM, GRU, batch normalization and the residual block, with their families.

Every built-in kind is registered through the same API a researcher uses; see
docs/extending.md for writing one.
"""
from evodeap.kinds.api import (
    ACTIVATIONS,
    ANY,
    FRAMES,
    KINDS,
    SEQUENCE,
    STAGES,
    VECTOR,
    LayerContext,
    LayerKind,
    LayerPlan,
    PlanError,
    activation_problems,
    describe_gene,
    get_kind,
    positive_int_problems,
    register_kind,
)
from evodeap.kinds.families import FAMILIES, Family, get_family, register_family

# importing the built-in kinds registers them (and their families)
from evodeap.kinds.builtin import ConvBlock, DenseLayer, DropoutLayer, RecurrentLayer  # noqa: E402
from evodeap.kinds.pooling import FramePool, TimePool  # noqa: E402
from evodeap.kinds.recurrent import GRULayer, LSTMLayer  # noqa: E402
from evodeap.kinds.batchnorm import BatchNormLayer  # noqa: E402
from evodeap.kinds.residual import ResidualBlock  # noqa: E402

__all__ = [
    "BatchNormLayer", "ConvBlock", "DenseLayer", "DropoutLayer", "FramePool", "GRULayer", "LSTMLayer",
    "RecurrentLayer", "ResidualBlock", "TimePool",
    "ACTIVATIONS", "ANY", "FAMILIES", "FRAMES", "KINDS", "SEQUENCE", "STAGES", "VECTOR", "Family",
    "LayerContext", "LayerKind", "LayerPlan", "PlanError", "activation_problems", "describe_gene",
    "get_family", "get_kind", "positive_int_problems", "register_family", "register_kind",
]
