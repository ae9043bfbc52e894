"""Shape walk of a genome: output shapes, parameter counts and FLOPs, before any Keras.

:func:`plan_model` follows exactly the layer graph that :func:`evodeap.models.build_model` builds,
but with plain integers, so a genome can be checked (and costed) before a single tensor
is allocated. A genome that would shrink a frame below one pixel, exceed the parameter
cap or put its layers in an order its family forbids is reported here; the fitness then
records it as ``invalid`` instead of crashing in Keras.

Cost model (per sample, forward pass, counted in multiply–accumulates ``MAC``)::

    conv   (kernel 1×k×k, "same")   T·H·W · k²·C_in·F
    SimpleRNN(u) on D features       T · (D·u + u·u)
    Dense(u) on D features           D·u
    FLOPs_forward = 2 · MAC

Training FLOPs are estimated as ``3 · FLOPs_forward · samples_seen`` (the backward pass
costs about twice the forward pass), see :func:`training_flops`.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

from evodeap.errors import UnknownNameError
from evodeap.families import get_family

#: Default parameter cap: a model above it is ``invalid`` (not trained).
DEFAULT_MAX_PARAMS = 2_000_000
#: Frames fed to a SimpleRNN (``rnn`` family) are average-pooled down to at most this side.
DEFAULT_RNN_FRAME_SIZE = 16
#: Activations a layer gene may name.
ACTIVATIONS = ("relu", "elu", "tanh", "sigmoid", "selu", "gelu", "swish", "linear", "softplus")
#: Optimizers the ``optimizer`` hyperparameter may name.
OPTIMIZERS = ("adam", "sgd", "rmsprop")
#: Task kinds and their output activation.
HEAD_ACTIVATION = {"multiclass": "softmax", "multilabel": "sigmoid", "binary": "sigmoid"}


@dataclass(frozen=True)
class LayerPlan:
    """One Keras layer of the planned model."""

    name: str
    output_shape: tuple[int, ...]
    params: int = 0
    macs: int = 0


@dataclass(frozen=True)
class ModelPlan:
    """The planned model: layers, totals and every reason it cannot be built.

    Attributes:
        family: the genome's family.
        input_shape: ``(T, H, W, C)``.
        layers: the planned layers in order (complete only when ``problems`` is empty).
        problems: human-readable reasons the genome cannot make a valid model.
    """

    family: str
    input_shape: tuple[int, ...]
    layers: tuple[LayerPlan, ...] = ()
    problems: tuple[str, ...] = ()

    @property
    def valid(self) -> bool:
        return not self.problems

    @property
    def n_params(self) -> int:
        """Trainable parameters (equals ``model.count_params()`` of the built model)."""
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


def rnn_pool_size(height: int, width: int, frame_size: int = DEFAULT_RNN_FRAME_SIZE) -> int:
    """Pool factor ``p = ceil(max(H, W) / frame_size)`` used to shrink frames for an RNN."""
    return max(1, math.ceil(max(height, width) / frame_size))


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
    rnn_frame_size: int = DEFAULT_RNN_FRAME_SIZE,
) -> ModelPlan:
    """Walk the genome's layers through the input shape and collect every problem.

    Args:
        genome: a :class:`~evodeap.genome.Genome` (layer genes, ``hyperparameters``, ``family``).
        input_shape: ``(T, H, W, C)`` of one video.
        task: ``TaskInfo`` (``kind``, ``n_outputs``).
        max_params: parameter cap; ``None`` disables it.
        rnn_frame_size: frames fed straight into an RNN are pooled to at most this side.

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
    problems += _check_hyperparameters(getattr(genome, "hyperparameters", {}))
    for i, gene in enumerate(genome):
        activation = getattr(gene, "activation", None)
        if activation is not None and activation not in ACTIVATIONS:
            problems.append(f"layer {i} has unknown activation {activation!r}")
        for attr in ("filters", "units", "kernel_size"):
            value = getattr(gene, attr, None)
            if value is not None and (not isinstance(value, int) or value < 1):
                problems.append(f"layer {i} {gene.kind}.{attr} must be a positive integer, got {value!r}")
        if gene.kind == "conv" and gene.pooling not in ("max", "avg", "none"):
            problems.append(f"layer {i} has unknown pooling {gene.pooling!r}")
        if gene.kind == "dropout" and not 0.0 <= gene.rate < 1.0:
            problems.append(f"layer {i} dropout rate must be in [0, 1), got {gene.rate!r}")
    try:
        kind, n_out = task_outputs(task)
    except UnknownNameError as exc:
        problems.append(str(exc))
    if problems:
        return ModelPlan(family_name, shape, problems=tuple(problems))

    T, H, W, C = shape
    layers: list[LayerPlan] = []
    kinds = [g.kind for g in genome]
    last_rnn = max((i for i, k in enumerate(kinds) if k == "rnn"), default=-1)
    state = "frames"  # frames (T,H,W,C) -> sequence (T,D) -> vector (D,)
    D = 0

    def to_sequence() -> None:
        nonlocal state, D, H, W
        if family_name == "rnn":
            p = rnn_pool_size(H, W, rnn_frame_size)
            if p > 1:
                H, W = H // p, W // p
                layers.append(LayerPlan("frame_downsample", (T, H, W, C)))
        D = H * W * C
        layers.append(LayerPlan("frame_flatten", (T, D)))
        state = "sequence"

    def to_vector() -> None:
        nonlocal state
        layers.append(LayerPlan("temporal_pool", (D,)))
        state = "vector"

    for i, gene in enumerate(genome):
        if gene.kind == "conv":
            k, F = gene.kernel_size, gene.filters
            params = k * k * C * F + F
            layers.append(LayerPlan(f"conv_{i}", (T, H, W, F), params, T * H * W * k * k * C * F))
            C = F
            if gene.pooling != "none":
                if H < 2 or W < 2:
                    problems.append(
                        f"layer {i} (conv) pools a {H}x{W} frame: the spatial size would shrink below 1"
                    )
                    break
                H, W = H // 2, W // 2
                layers.append(LayerPlan(f"pool_{i}", (T, H, W, C)))
        elif gene.kind == "rnn":
            if state == "frames":
                to_sequence()
            u = gene.units
            layers.append(
                LayerPlan(
                    f"rnn_{i}",
                    (T, u) if i < last_rnn else (u,),
                    D * u + u * u + u,
                    T * (D * u + u * u),
                )
            )
            D = u
            state = "sequence" if i < last_rnn else "vector"
        elif gene.kind == "dense":
            if state == "frames":
                to_sequence()
            if state == "sequence":
                to_vector()
            u = gene.units
            layers.append(LayerPlan(f"dense_{i}", (u,), D * u + u, D * u))
            D = u
        else:  # dropout keeps the shape
            layers.append(LayerPlan(f"dropout_{i}", layers[-1].output_shape if layers else shape))
    if not problems:
        if state == "frames":
            to_sequence()
        if state == "sequence":
            to_vector()
        if getattr(genome, "hyperparameters", {}).get("dropout", 0.0) > 0:
            layers.append(LayerPlan("head_dropout", (D,)))
        layers.append(LayerPlan("head", (n_out,), D * n_out + n_out, D * n_out))
        total = sum(layer.params for layer in layers)
        if max_params is not None and total > max_params:
            problems.append(f"{total} parameters exceed the cap of {max_params}")
    return ModelPlan(family_name, (T,) + tuple(shape[1:]), tuple(layers), tuple(problems))


def training_flops(plan: ModelPlan, samples_seen: int) -> float:
    """Estimated training FLOPs: ``3 · forward_flops · samples_seen``.

    ``samples_seen`` is ``n_train · epochs_run`` (forward + backward ≈ 3 forward passes).
    """
    return 3.0 * plan.forward_flops * samples_seen


def parameter_steps(plan: ModelPlan, optimizer_steps: int) -> float:
    """``n_params · optimizer_steps``: a coarser, deterministic training cost."""
    return float(plan.n_params) * optimizer_steps
