"""Training a built Keras model for the Keras fitness: the input pipeline, the callbacks,
the epochs to train (budgets and continuation), ``fit``, and what the training cost.

The epochs trained now are the context's budget (multi-fidelity) or the ``epochs`` gene
capped by ``max_epochs``, minus the epochs the starting weights were already trained
(:func:`planned_epochs`). Callbacks: ``TerminateOnNaN``, the phase clock, the per-epoch
reshuffle of the backend-neutral batches, early stopping on the validation loss (with a
patience) and the learning-curve stopper (with a stop threshold). The cost of the model's
whole training (earlier rungs included) decides ``T``; the budget accounting in ``extra``
counts only what this evaluation spent.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any

import keras
import numpy as np

from evodeap.data.batches import ArrayBatches
from evodeap.evaluation.api import EvalContext
from evodeap.execution.backend import peak_gpu_memory_mb
from evodeap.fitness.keras_settings import KerasSettings
from evodeap.fitness.phases import PhaseClock
from evodeap.fitness.scoring import validation_score
from evodeap.genome.genome import Genome
from evodeap.models import parameter_steps, training_flops

__all__ = ["Training", "costs", "fit", "inputs", "planned_epochs", "training_extra"]


@dataclass
class Training:
    """What :func:`fit` did.

    Attributes:
        history: Keras' ``History.history`` (``loss`` per epoch, ``val_loss`` …).
        losses: the training loss of every epoch run.
        epochs_planned: the epochs ``fit`` was asked for.
        seconds: the wall-clock seconds of ``fit``.
        stopper: the learning-curve stopper, when the context set a stop threshold.
    """

    history: dict[str, list[float]]
    losses: np.ndarray
    epochs_planned: int
    seconds: float
    stopper: Any = None

    @property
    def epochs_run(self) -> int:
        return len(self.losses)

    @property
    def diverged(self) -> bool:
        """No epoch ran, or a loss is not finite."""
        return self.epochs_run == 0 or not bool(np.all(np.isfinite(self.losses)))


def planned_epochs(settings: KerasSettings, genome: Genome, context: EvalContext) -> int:
    """Epochs to train now: the context's budget (or the ``epochs`` gene, capped by
    ``max_epochs``) minus the epochs its starting weights were already trained (at least 1)."""
    if context.budget is not None:
        total = int(context.budget)
    else:
        total = int(genome.hyperparameters.get("epochs", 1))
        if settings.max_epochs is not None:
            total = min(total, settings.max_epochs)
    return max(1, total - int(context.trained_epochs))


def inputs(bundle: Any, split: str, batch_size: int, **kwargs: Any) -> Any:
    """The input pipeline of a split on this process's backend: ``tf.data`` on
    TensorFlow, the backend-neutral :class:`~evodeap.data.batches.ArrayBatches` elsewhere."""
    kwargs = {k: v for k, v in kwargs.items() if v is not None}
    if keras.backend.backend() == "tensorflow":
        return bundle.dataset(split, batch_size, **kwargs)
    return bundle.batches(split, batch_size, **kwargs)


def fit(settings: KerasSettings, model: Any, genome: Genome, bundle: Any, context: EvalContext,
        clock: PhaseClock, score_batch: int) -> Training:
    """Train ``model`` for :func:`planned_epochs` epochs with the callbacks of the module
    docstring; ``score_batch`` videos per scoring call of the learning-curve stopper."""
    from evodeap.evaluation.curves import LearningCurveStopper

    batch_size = int(genome.hyperparameters.get("batch_size", 32))
    epochs = planned_epochs(settings, genome, context)
    with clock.phase("data"):
        train = inputs(bundle, "train", batch_size, shuffle_seed=context.seed)
    fit_clock = clock.fit_callback()
    callbacks: list[keras.callbacks.Callback] = [keras.callbacks.TerminateOnNaN(), fit_clock]
    if isinstance(train, ArrayBatches):  # reshuffle by seed every epoch
        callbacks.append(train.epoch_callback())
    validation = None
    if settings.early_stopping_patience is not None:
        validation = inputs(bundle, "val", batch_size)
        callbacks.append(keras.callbacks.EarlyStopping(
            monitor="val_loss", patience=settings.early_stopping_patience, restore_best_weights=True))
    stopper = None
    if context.stop_threshold is not None:
        stopper = LearningCurveStopper(
            lambda m: validation_score(m, bundle, score_batch, settings.metric), total_epochs=epochs,
            threshold=context.stop_threshold, min_epochs=context.stop_min_epochs, prefix=context.curve,
        )
        callbacks.append(stopper)
    fit_start = time.perf_counter()
    history = model.fit(train, epochs=epochs, validation_data=validation, callbacks=callbacks, shuffle=False,
                        verbose=0)
    fit_end = time.perf_counter()
    clock.fit_done(fit_clock, fit_start, fit_end)
    losses = np.asarray(history.history.get("loss", []), dtype=float)
    return Training(history.history, losses, epochs, fit_end - fit_start, stopper)


def costs(plan: Any, n_train: int, batch_size: int, epochs_total: int, seconds: float) -> dict[str, float]:
    """The cost of the model's whole training (``epochs_total`` epochs, earlier rungs
    included) in every measure: ``flops`` (estimated training FLOPs), ``wall_time``
    (seconds of this ``fit``) and ``param_steps`` (parameters × optimizer steps)."""
    return {
        "wall_time": seconds,
        "flops": training_flops(plan, n_train * epochs_total),
        "param_steps": parameter_steps(plan, epochs_total * math.ceil(n_train / batch_size)),
    }


def training_extra(settings: KerasSettings, plan: Any, n_train: int, batch_size: int, context: EvalContext,
                   training: Training, started: dict[str, Any]) -> dict[str, Any]:
    """The ``extra`` of an evaluation: what this training spent (epochs, optimizer steps,
    seconds, FLOPs, parameter-steps), how it started (``started``), its losses and history,
    the backend, the GPU's peak memory, and the learning curve when a stopper watched it."""
    steps = training.epochs_run * math.ceil(n_train / batch_size)
    extra = {
        "epochs_run": training.epochs_run,
        "epochs_planned": training.epochs_planned,
        "epochs_total": int(context.trained_epochs) + training.epochs_run,
        "optimizer_steps": steps,
        "train_seconds": training.seconds,
        "train_flops": training_flops(plan, n_train * training.epochs_run),
        "param_steps": parameter_steps(plan, steps),
        **started,
        "forward_flops": plan.forward_flops,
        "cost_measure": settings.cost_measure,
        "losses": [float(v) for v in training.losses],
        "history": {k: [float(v) for v in values] for k, values in training.history.items()},
        "backend": keras.backend.backend(),
    }
    gpu_peak = peak_gpu_memory_mb()
    if gpu_peak is not None:
        extra["gpu_peak_mb"] = gpu_peak
    if training.stopper is not None:
        extra["terminated_early"] = training.stopper.terminated
        extra["val_curve"] = [*context.curve, *training.stopper.curve]
    return extra
