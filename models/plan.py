"""Shape walk of a genome: output shapes, parameter counts and FLOPs, before any Keras.

:func:`plan_model` walks the genome with :func:`evodeap.kinds.walk.walk` — the walk that
:func:`evodeap.models.build_model` builds from, step by step — with plain integers, so a
genome can be checked (and costed) before a single tensor is allocated. A genome that
would shrink a frame below one pixel, exceed the parameter cap, hold a kind that is not
registered or put its layers in an order its family forbids is reported here; the fitness
then records it as ``invalid`` instead of crashing in Keras.

Cost model (per sample, forward pass, counted in multiply–accumulates ``MAC``): each layer
kind states its own (see :mod:`evodeap.kinds.builtin` and the other kind modules)::

    conv   (kernel 1×k×k, "same")   T·H·W · k²·C_in·F
    SimpleRNN(u) on D features       T · (D·u + u·u)
    Dense(u) on D features           D·u
    FLOPs_forward = 2 · MAC

Training FLOPs are estimated as ``3 · FLOPs_forward · samples_seen`` (the backward pass
costs about twice the forward pass), see :func:`training_flops`.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Mapping, Sequence

from evodeap.errors import UnknownNameError
from evodeap.kinds import ACTIVATIONS, KINDS, LayerPlan, get_family
from evodeap.kinds.api import gene_problems
from evodeap.kinds.walk import DEFAULT_FRAME_SIZE, Step, frame_pool_size, frame_size_problems, walk

#: Default parameter cap: a model above it is ``invalid`` (not trained).
DEFAULT_MAX_PARAMS = 2_000_000
#: Frames fed to a sequence stage of a frame-downsampling family (``rnn``) are average-pooled
#: down to at most this side by default (``rnn_frame_size=None``: full resolution; a Keras
#: fitness passes its ``frame_size`` setting).
DEFAULT_RNN_FRAME_SIZE = DEFAULT_FRAME_SIZE
#: Optimizers the ``optimizer`` hyperparameter may name.
OPTIMIZERS = ("adam", "sgd", "rmsprop")
#: Task kinds and their output activation.
HEAD_ACTIVATION = {"multiclass": "softmax", "multilabel": "sigmoid", "binary": "sigmoid"}

__all__ = [
    "ACTIVATIONS", "DEFAULT_MAX_PARAMS", "DEFAULT_RNN_FRAME_SIZE", "HEAD_ACTIVATION", "LayerPlan",
    "ModelPlan", "OPTIMIZERS", "parameter_steps", "plan_model", "rnn_pool_size", "task_outputs",
    "training_flops",
]


@dataclass(frozen=True)
class ModelPlan:
    """The planned model: layers, totals and every reason it cannot be built.

    Attributes:
        family: the genome's family.
        input_shape: ``(T, H, W, C)``.
        layers: the planned layers in order (complete only when ``problems`` is empty).
        problems: human-readable reasons the genome cannot make a valid model.
        steps: the walk's steps (genes, transitions, head) that ``build_model`` builds.
    """

    family: str
    input_shape: tuple[int, ...]
    layers: tuple[LayerPlan, ...] = ()
    problems: tuple[str, ...] = ()
    steps: tuple[Step, ...] = ()

    @property
    def valid(self) -> bool:
        return not self.problems

    @property
    def n_params(self) -> int:
        """Parameters, trainable or not (equals ``model.count_params()`` of the built model)."""
        return sum(layer.params for layer in self.layers)

    @property
    def activation_elements(self) -> int:
        """Floats of all layer outputs of one sample (what backprop keeps in memory)."""
        return sum(math.prod(layer.output_shape) for layer in self.layers)

    @property
    def forward_flops(self) -> int:
        """FLOPs of one forward pass of one sample (``2 · MAC``)."""
        return 2 * sum(layer.macs for layer in self.layers)


def task_outputs(task: Any) -> tuple[str, int]:
    """``(kind, units of the output layer)`` of a task (``TaskInfo`` or any object with
    ``kind`` and ``n_outputs``). A binary task has one sigmoid output."""
    kind = getattr(task, "kind", None)
    if kind not in HEAD_ACTIVATION:
        raise UnknownNameError(
            f"unknown task kind {kind!r}; known kinds: {', '.join(HEAD_ACTIVATION)}"
        )
    units = 1 if kind == "binary" else int(task.n_outputs)
    return kind, units


#: Pool factor ``p = ceil(max(H, W) / frame_size)`` used to shrink frames for a sequence.
rnn_pool_size = frame_pool_size


def _check_hyperparameters(hp: Mapping[str, Any]) -> list[str]:
    problems = []
    lr = hp.get("learning_rate", 1e-3)
    if not isinstance(lr, (int, float)) or not (lr > 0 and math.isfinite(lr)):
        problems.append(f"learning_rate must be a positive number, got {lr!r}")
    if hp.get("optimizer", "adam") not in OPTIMIZERS:
        problems.append(f"optimizer {hp.get('optimizer')!r} is not one of {OPTIMIZERS}")
    batch = hp.get("batch_size", 32)
    if not isinstance(batch, int) or batch < 1:
        problems.append(f"batch_size must be a positive integer, got {batch!r}")
    epochs = hp.get("epochs", 1)
    if not isinstance(epochs, int) or epochs < 1:
        problems.append(f"epochs must be a positive integer, got {epochs!r}")
    rate = hp.get("dropout", 0.0)
    if not isinstance(rate, (int, float)) or not 0.0 <= rate < 1.0:
        problems.append(f"dropout must be in [0, 1), got {rate!r}")
    return problems


def plan_model(
    genome: Sequence[Any],
    input_shape: Sequence[int],
    task: Any,
    *,
    max_params: int | None = DEFAULT_MAX_PARAMS,
    rnn_frame_size: int | None = DEFAULT_RNN_FRAME_SIZE,
) -> ModelPlan:
    """Walk the genome's layers through the input shape and collect every problem.

    Args:
        genome: a :class:`~evodeap.genome.genome.Genome` (layer genes, ``hyperparameters``, ``family``).
        input_shape: ``(T, H, W, C)`` of one video.
        task: ``TaskInfo`` (``kind``, ``n_outputs``).
        max_params: parameter cap; ``None`` disables it.
        rnn_frame_size: frames a frame-downsampling family flattens into a sequence are
            pooled to at most this side (``None``: not pooled, full resolution).

    Returns:
        A :class:`ModelPlan`; ``plan.problems`` is empty exactly when the model can be built.
    """
    family_name = getattr(genome, "family", "cnn")
    shape = tuple(int(s) for s in input_shape)
    problems: list[str] = []
    if len(shape) != 4 or min(shape) < 1:
        return ModelPlan(family_name, shape, problems=(f"input shape must be (T, H, W, C) >= 1, got {shape}",))
    try:
        family = get_family(family_name)
    except UnknownNameError as exc:
        return ModelPlan(family_name, shape, problems=(str(exc),))
    problems += family.violations(genome)
    hyperparameters = getattr(genome, "hyperparameters", {})
    problems += _check_hyperparameters(hyperparameters)
    problems += frame_size_problems(rnn_frame_size)
    for i, gene in enumerate(genome):
        if gene.kind not in KINDS:
            problems.append(f"layer {i} is of unknown layer kind {gene.kind!r}; known kinds: {', '.join(KINDS.names())}")
        else:
            problems += [f"layer {i} {reason}" for reason in gene_problems(gene)]
    try:
        kind, n_out = task_outputs(task)
    except UnknownNameError as exc:
        problems.append(str(exc))
    if problems:
        return ModelPlan(family_name, shape, problems=tuple(problems))
    result = walk(list(genome), shape, family, head_units=n_out, head_activation=HEAD_ACTIVATION[kind],
                  head_dropout=hyperparameters.get("dropout", 0.0), frame_size=rnn_frame_size)
    problems += result.problems
    if not problems:
        total = sum(layer.params for layer in result.layers)
        if max_params is not None and total > max_params:
            problems.append(f"{total} parameters exceed the cap of {max_params}")
    return ModelPlan(family_name, shape, result.layers, tuple(problems), result.steps)


def training_flops(plan: ModelPlan, samples_seen: int) -> float:
    """Estimated training FLOPs: ``3 · forward_flops · samples_seen``.

    ``samples_seen`` is ``n_train · epochs_run`` (forward + backward ≈ 3 forward passes).
    """
    return 3.0 * plan.forward_flops * samples_seen


def parameter_steps(plan: ModelPlan, optimizer_steps: int) -> float:
    """``n_params · optimizer_steps``: a coarser, deterministic training cost."""
    return float(plan.n_params) * optimizer_steps
