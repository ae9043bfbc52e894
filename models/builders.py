"""Genome -> compiled ``keras.Model``, for every registered family and layer kind.

Only the public Keras 3 API is used here and in the layer kinds (no TensorFlow calls), so
the models run on any Keras backend (TensorFlow on CPU in CI, JAX on the GPU machine).

The model is built from the steps of :func:`~evodeap.models.plan.plan_model` — the walk of
:mod:`evodeap.kinds.walk` — so it is exactly the model planned: each step (a gene's
layers, a transition between stages, the head) adds its Keras layers in order. For an
input video of shape ``(T, H, W, C)``, with the built-in kinds:

* **conv block** — ``Conv3D(filters, (1, k, k), padding="same")``: a per-frame 2-D
  convolution (no mixing across time) written as a 3-D convolution with a temporal
  kernel of 1. It is the same model as ``TimeDistributed(Conv2D)`` (same weights, same
  outputs) but 2.5× faster on CPU (see docs/fitness.md). Pooling, when not ``"none"``,
  is a per-frame 2×2 / stride 2 max or average pool (``"valid"``: a side ``s`` becomes
  ``⌊s/2⌋``).
* **cnn** — conv blocks, each frame flattened to a feature vector, temporal average
  pooling over the ``T`` frame vectors, dense layers, head.
* **rnn** — frames average-pooled down to at most ``rnn_frame_size`` pixels a side (the
  family's ``frame_downsample`` option), flattened per frame, a stack of ``SimpleRNN``
  layers (all but the last return sequences), dense layers, head. The first SimpleRNN's
  input kernel is the learned projection of the flattened frames.
* **cnn+rnn** — the conv blocks as a per-frame encoder, flattened per frame, then the
  SimpleRNN stack, dense layers, head. ``lstm``, ``gru``, ``cnn+lstm``, ``cnn+gru`` and
  ``residual`` follow the same walk with their kinds.
* **frame_pool / time_pool genes** (optional, :mod:`evodeap.kinds.pooling`) replace the
  per-frame flatten (``flatten``, or global ``max`` / ``avg`` pooling of each frame) and the
  mean over time (``mean``, ``max``, ``last`` time step) where the genome has them.
* **dropout genes** stand where the genome puts them; the ``dropout`` hyperparameter
  is a dropout layer applied right before the output head (skipped when 0).
* **head** — ``Dense(n, softmax)`` + sparse categorical cross-entropy (multi-class),
  ``Dense(n, sigmoid)`` + binary cross-entropy (multi-label), ``Dense(1, sigmoid)`` +
  binary cross-entropy (binary). The head computes in float32 even under mixed precision.
"""
from __future__ import annotations

from typing import Any, Sequence

import keras

from evodeap.models.plan import DEFAULT_MAX_PARAMS, DEFAULT_RNN_FRAME_SIZE, ModelPlan, plan_model, task_outputs


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
    rnn_frame_size: int | None = DEFAULT_RNN_FRAME_SIZE,
    compile: bool = True,
    jit_compile: bool | str = False,
    plan: ModelPlan | None = None,
) -> keras.Model:
    """Build (and compile) the Keras model a genome describes.

    Args:
        genome: a :class:`~evodeap.genome.genome.Genome` of a registered family.
        input_spec: ``(T, H, W, C)`` of one video (e.g. ``DataBundle.input_shape``).
        task: ``TaskInfo`` (``kind`` in multiclass | multilabel | binary, ``n_outputs``).
        max_params: parameter cap (``None``: no cap).
        rnn_frame_size: largest frame side a frame-downsampling family (``rnn``) flattens
            (``None``: frames at full resolution).
        compile: compile with the genome's optimizer, learning rate and the task's loss,
            and build the optimizer's variables.
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
    hp = genome.hyperparameters
    inputs = keras.Input(shape=plan.input_shape, name="video")
    outputs = inputs
    for step in plan.steps:
        outputs = step.build(outputs)
    model = keras.Model(inputs, outputs, name=f"{genome.family.replace('+', '_')}_model")
    if compile:
        model.compile(
            optimizer=make_optimizer(hp.get("optimizer", "adam"), hp.get("learning_rate", 1e-3)),
            loss=make_loss(task),
            jit_compile=jit_compile,
        )
        # create the optimizer's slots now: a first ``fit`` that creates them while it
        # traces its train function traces it twice (0.28 -> 0.14 s for a one-conv model,
        # see docs/fitness.md "Fixed cost of an evaluation")
        model.optimizer.build(model.trainable_variables)
    return model
