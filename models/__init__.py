"""Genome -> ``keras.Model`` builders for every registered family and layer kind.

* :func:`build_model` — the compiled Keras model of a genome (public Keras 3 API only);
* :func:`plan_model` — the same model as plain shapes, parameter counts and FLOPs, with
  every reason the genome cannot make a valid model (checked before training);
* :func:`training_flops`, :func:`parameter_steps` — deterministic training-cost measures.
"""
from evodeap.models.builders import InvalidModelError, build_model, make_loss, make_optimizer
from evodeap.models.plan import (
    ACTIVATIONS,
    DEFAULT_MAX_PARAMS,
    DEFAULT_RNN_FRAME_SIZE,
    OPTIMIZERS,
    LayerPlan,
    ModelPlan,
    parameter_steps,
    plan_model,
    task_outputs,
    training_flops,
)

__all__ = [
    "ACTIVATIONS",
    "DEFAULT_MAX_PARAMS",
    "DEFAULT_RNN_FRAME_SIZE",
    "InvalidModelError",
    "LayerPlan",
    "ModelPlan",
    "OPTIMIZERS",
    "build_model",
    "make_loss",
    "make_optimizer",
    "parameter_steps",
    "plan_model",
    "task_outputs",
    "training_flops",
]
