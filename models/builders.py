"""Genome -> compiled ``keras.Model`` for the ``cnn``, ``rnn`` and ``cnn+rnn`` families.

Only the public Keras 3 API is used here (no TensorFlow calls), so the models run on any Keras
backend (TensorFlow on CPU in CI, JAX on the GPU machine).

Architecture, for an input video of shape ``(T, H, W, C)``:

* **conv block** — ``Conv3D(filters, (1, k, k), padding="same")``: a per-frame 2-D
  convolution (no mixing across time) written as a 3-D convolution with a temporal
  kernel of 1. It is the same model as ``TimeDistributed(Conv2D)`` (same weights, same
  outputs) but 2.5× faster on CPU (see docs/fitness.md). Pooling, when not ``"none"``,
  is a per-frame 2×2 / stride 2 max or average pool (``"valid"``: a side ``s`` becomes
  ``⌊s/2⌋``).
* **cnn** — conv blocks, each frame flattened to a feature vector, temporal average
  pooling over the ``T`` frame vectors, dense layers, head.
* **rnn** — frames average-pooled down to at most ``rnn_frame_size`` pixels a side,
  flattened per frame, a stack of ``SimpleRNN`` layers (all but the last return
  sequences), dense layers, head. The first SimpleRNN's input kernel is the learned
  projection of the flattened frames.
* **cnn+rnn** — the conv blocks as a per-frame encoder, flattened per frame, then the
  SimpleRNN stack, dense layers, head.
* **dropout genes** stand where the genome puts them; the ``dropout`` hyperparameter
  is a dropout layer applied right before the output head (skipped when 0).
* **head** — ``Dense(n, softmax)`` + sparse categorical cross-entropy (multi-class),
  ``Dense(n, sigmoid)`` + binary cross-entropy (multi-label), ``Dense(1, sigmoid)`` +
  binary cross-entropy (binary). The head computes in float32 even under mixed precision.
"""
from __future__ import annotations

from typing import Any, Sequence

import keras
from keras import layers as L

from evodeap.models.plan import (
    DEFAULT_MAX_PARAMS,
    DEFAULT_RNN_FRAME_SIZE,
    HEAD_ACTIVATION,
    ModelPlan,
    plan_model,
    rnn_pool_size,
    task_outputs,
)


class InvalidModelError(ValueError):
    """A genome cannot make a valid model; ``problems`` lists every reason."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = tuple(problems)
        super().__init__("; ".join(self.problems))


def make_optimizer(name: str, learning_rate: float) -> keras.optimizers.Optimizer:
    """``adam``, ``sgd`` (plain, no momentum) or ``rmsprop`` with the given learning rate."""
    factories = {
        "adam": keras.optimizers.Adam,
        "sgd": keras.optimizers.SGD,
        "rmsprop": keras.optimizers.RMSprop,
    }
    if name not in factories:
        raise InvalidModelError([f"optimizer {name!r} is not one of {tuple(factories)}"])
    return factories[name](learning_rate=float(learning_rate))


@keras.saving.register_keras_serializable(package="evodeap")
class AlignedBinaryCrossentropy(keras.losses.BinaryCrossentropy):
    """Binary cross-entropy whose labels are first reshaped to the outputs' shape.

    The data layer gives binary labels as a flat ``(N,)`` vector while the head outputs
    ``(N, 1)``; Keras' own rank alignment fails when the label rank is unknown inside a
    traced function (e.g. ``Model.evaluate`` on arrays), so the reshape is explicit.
    """

    def call(self, y_true, y_pred):
        y_true = keras.ops.reshape(keras.ops.cast(y_true, y_pred.dtype), keras.ops.shape(y_pred))
        return super().call(y_true, y_pred)


def make_loss(task: Any) -> keras.losses.Loss:
    """Loss matching the head: sparse categorical CE (multi-class), binary CE otherwise."""
    kind, _ = task_outputs(task)
    if kind == "multiclass":
        return keras.losses.SparseCategoricalCrossentropy()
    return AlignedBinaryCrossentropy()


def build_model(
    genome: Any,
    input_spec: Sequence[int],
    task: Any,
    *,
    max_params: int | None = DEFAULT_MAX_PARAMS,
    rnn_frame_size: int = DEFAULT_RNN_FRAME_SIZE,
    compile: bool = True,
    jit_compile: bool | str = False,
    plan: ModelPlan | None = None,
) -> keras.Model:
    """Build (and compile) the Keras model a genome describes.

    Args:
        genome: a :class:`~evodeap.genome.Genome` of family ``cnn``, ``rnn`` or ``cnn+rnn``.
        input_spec: ``(T, H, W, C)`` of one video (e.g. ``DataBundle.input_shape``).
        task: ``TaskInfo`` (``kind`` in multiclass | multilabel | binary, ``n_outputs``).
        max_params: parameter cap (``None``: no cap).
        rnn_frame_size: largest frame side fed straight into a SimpleRNN (``rnn`` family).
        compile: compile with the genome's optimizer, learning rate and the task's loss.
        jit_compile: passed to ``Model.compile`` (XLA off by default: compiling each
            short-lived model costs more than it saves on small models).
        plan: a precomputed :func:`~evodeap.models.plan.plan_model` result (saves a second walk).

    Raises:
        InvalidModelError: the genome cannot make a valid model (checked before any
            layer is created: spatial size below 1, too many parameters, bad order ...).
    """
    plan = plan or plan_model(genome, input_spec, task, max_params=max_params, rnn_frame_size=rnn_frame_size)
    if plan.problems:
        raise InvalidModelError(plan.problems)
    kind, n_out = task_outputs(task)
    hp = genome.hyperparameters
    T, H, W, C = plan.input_shape
    inputs = keras.Input(shape=(T, H, W, C), name="video")
    x = inputs
    kinds = [g.kind for g in genome]
    last_rnn = max((i for i, k in enumerate(kinds) if k == "rnn"), default=-1)
    state = "frames"

    def to_sequence(x):
        nonlocal state
        if genome.family == "rnn":
            p = rnn_pool_size(x.shape[2], x.shape[3], rnn_frame_size)
            if p > 1:
                x = L.AveragePooling3D((1, p, p), name="frame_downsample")(x)
        x = L.Reshape((T, x.shape[2] * x.shape[3] * x.shape[4]), name="frame_flatten")(x)
        state = "sequence"
        return x

    def to_vector(x):
        nonlocal state
        state = "vector"
        return L.GlobalAveragePooling1D(name="temporal_pool")(x)

    for i, gene in enumerate(genome):
        if gene.kind == "conv":
            x = L.Conv3D(
                gene.filters, (1, gene.kernel_size, gene.kernel_size), padding="same",
                activation=gene.activation, name=f"conv_{i}",
            )(x)
            if gene.pooling == "max":
                x = L.MaxPooling3D((1, 2, 2), name=f"pool_{i}")(x)
            elif gene.pooling == "avg":
                x = L.AveragePooling3D((1, 2, 2), name=f"pool_{i}")(x)
        elif gene.kind == "rnn":
            if state == "frames":
                x = to_sequence(x)
            x = L.SimpleRNN(
                gene.units, activation=gene.activation, return_sequences=i < last_rnn, name=f"rnn_{i}"
            )(x)
            state = "sequence" if i < last_rnn else "vector"
        elif gene.kind == "dense":
            if state == "frames":
                x = to_sequence(x)
            if state == "sequence":
                x = to_vector(x)
            x = L.Dense(gene.units, activation=gene.activation, name=f"dense_{i}")(x)
        else:
            x = L.Dropout(float(gene.rate), name=f"dropout_{i}")(x)
    if state == "frames":
        x = to_sequence(x)
    if state == "sequence":
        x = to_vector(x)
    rate = float(hp.get("dropout", 0.0))
    if rate > 0:
        x = L.Dropout(rate, name="head_dropout")(x)
    outputs = L.Dense(n_out, activation=HEAD_ACTIVATION[kind], dtype="float32", name="head")(x)
    model = keras.Model(inputs, outputs, name=f"{genome.family.replace('+', '_')}_model")
    if compile:
        model.compile(
            optimizer=make_optimizer(hp.get("optimizer", "adam"), hp.get("learning_rate", 1e-3)),
            loss=make_loss(task),
            jit_compile=jit_compile,
        )
    return model
