"""Scoring a trained Keras model: metrics on the validation (clean and perturbed) and test
splits, and the terms ``A``, ``T``, ``R`` of ``F = α·A − β·T + γ·R``.

* ``A`` — the chosen metric on the clean validation split;
* ``T`` — the training cost squashed into ``[0, 1)`` by :func:`saturate`;
* ``R`` — the same metric on validation inputs perturbed by the data layer's transform.

Scoring feeds each split's arrays in slices of :func:`scoring_batch_size` videos to direct
model calls (no input pipeline, no traced predict function).
"""
from __future__ import annotations

import math
import weakref
from typing import Any

import keras
import numpy as np

from evodeap.execution.backend import inference_mode
from evodeap.fitness.keras_settings import DEFAULT_COST_REFERENCES, KerasSettings
from evodeap.fitness.metrics import classification_metrics, f1_thresholds

__all__ = ["MAX_SCORING_BATCH", "SCORING_MEMORY_MB", "chance_terms", "components", "normalised_costs", "predict", "saturate",
           "score_splits", "scoring_batch_size", "validation_score"]

#: Memory a scoring call's activations may take: scoring slices hold up to
#: ``SCORING_MEMORY_MB / (4 B · Σ layer outputs)`` videos (at least the training batch).
SCORING_MEMORY_MB = 256.0
#: The most videos one scoring call takes.
MAX_SCORING_BATCH = 1024

#: the largest float below 1: T never reaches 1, even where ``c / (c + c_ref)`` rounds to 1.0
_BELOW_ONE = math.nextafter(1.0, 0.0)


def scoring_batch_size(activation_elements: int, batch_size: int) -> int:
    """Videos per scoring call: ``⌊SCORING_MEMORY_MB / (4 B · activation_elements)⌋``,
    between the training ``batch_size`` and :data:`MAX_SCORING_BATCH` — a few large calls
    instead of one per training batch (see docs/fitness.md, "Fixed cost of an evaluation")."""
    fits = int(SCORING_MEMORY_MB * 2**20 // (4 * max(1, int(activation_elements))))
    return max(int(batch_size), min(MAX_SCORING_BATCH, fits))


def saturate(cost: float, reference: float) -> float:
    """``c / (c + c_ref)``: 0 for free training, 0.5 at the reference cost, → 1 above (never 1)."""
    return float(min(cost / (cost + reference), _BELOW_ONE)) if cost > 0 else 0.0


def normalised_costs(settings: KerasSettings, costs: dict[str, float]) -> dict[str, float]:
    """Each cost measure ``m`` squashed to ``T_m = saturate(c_m, c_ref)``, with the settings'
    ``cost_reference`` for the chosen measure and :data:`DEFAULT_COST_REFERENCES` for the others."""
    return {m: saturate(c, settings.cost_reference if m == settings.cost_measure else DEFAULT_COST_REFERENCES[m])
            for m, c in costs.items()}


def predict(model: Any, bundle: Any, split: str, batch_size: int, perturbation: Any) -> tuple[np.ndarray, np.ndarray]:
    """Labels and model outputs over a split (order kept), ``batch_size`` videos per call.

    The split's arrays (:meth:`DataBundle.inputs`, perturbed once per bundle) are fed
    in slices to direct model calls, which run eagerly: no input pipeline to build and
    no per-model tracing of a predict function, which would dominate the cost of
    scoring the small validation and test splits."""
    x, y = bundle.inputs(split, perturbation)
    scores = []
    with inference_mode():
        for i in range(0, len(x), int(batch_size)):
            out = model(x[i:i + int(batch_size)], training=False)
            scores.append(np.asarray(keras.ops.convert_to_numpy(out), dtype=np.float64))
    return np.asarray(y), np.concatenate(scores)


def validation_score(model: Any, bundle: Any, batch_size: int, metric: str) -> float:
    """``metric`` on the clean validation split (the learning curve's value); ``batch_size``
    videos per scoring call."""
    y_true, y_score = predict(model, bundle, "val", batch_size, None)
    return float(classification_metrics(bundle.task.kind, y_true, y_score)[metric])


def score_splits(settings: KerasSettings, model: Any, bundle: Any, batch_size: int,
                 metrics: dict[str, float]) -> str | None:
    """Add ``<split>_<metric>`` for ``val``, ``val_perturbed`` (with a perturbation) and
    ``test`` (when asked and present) to ``metrics``; returns the name of the first split
    whose predictions are not finite (``None`` when all are).

    With ``settings.thresholds == "validation"`` the thresholded metrics of every split
    decide at the per-label thresholds that maximise F1 on the clean validation split
    (:func:`~evodeap.fitness.metrics.f1_thresholds`; the validation split is always scored
    first); with ``"fixed"`` at 0.5."""
    splits: list[tuple[str, Any]] = [("val", None)]
    if settings.perturbation is not None:
        from evodeap.data import Perturbation

        splits.append(("val_perturbed", Perturbation(**settings.perturbation)))
    if settings.evaluate_test and "test" in bundle.splits:
        splits.append(("test", None))
    threshold: Any = 0.5
    for name, perturbation in splits:
        split = "val" if name.startswith("val") else name
        y_true, y_score = predict(model, bundle, split, batch_size, perturbation)
        if not np.all(np.isfinite(y_score)):
            return name
        if name == "val" and getattr(settings, "thresholds", "fixed") == "validation":
            chosen = f1_thresholds(bundle.task.kind, y_true, y_score)
            threshold = 0.5 if chosen is None else chosen
        for key, value in classification_metrics(bundle.task.kind, y_true, y_score, threshold).items():
            metrics[f"{name}_{key}"] = value
    return None


def components(settings: KerasSettings, metrics: dict[str, float],
               normalised: dict[str, float]) -> dict[str, float]:
    """The fitness terms: ``A`` (validation metric), ``T`` (the chosen cost measure's
    saturated cost), ``R`` (perturbed validation metric; absent without a perturbation) and
    ``T_<measure>`` for every cost measure."""
    terms = {
        "A": metrics[f"val_{settings.metric}"], "T": normalised[settings.cost_measure],
        "R": metrics.get(f"val_perturbed_{settings.metric}", 0.0),
        "T_flops": normalised["flops"], "T_wall_time": normalised["wall_time"],
        "T_param_steps": normalised["param_steps"],
    }
    if settings.perturbation is None:
        terms.pop("R")
    return terms


# chance level and noise of the validation metric, per bundle (its labels never change)
_CHANCE: "weakref.WeakKeyDictionary[Any, dict[str, float]]" = weakref.WeakKeyDictionary()


def chance_terms(settings: KerasSettings, bundle: Any) -> dict[str, float]:
    """``val_chance_<metric>`` and ``val_chance_se_<metric>`` of the validation split
    (:func:`evodeap.fitness.chance.chance_record`), computed once per bundle and process."""
    from evodeap.fitness.chance import chance_record

    key = (settings.metric, bundle.task.kind)
    cached = _CHANCE.setdefault(bundle, {})
    if key not in cached:
        cached[key] = chance_record(bundle.task.kind, settings.metric, bundle.arrays("val")[1],
                                    n_classes=bundle.task.n_outputs)
    return dict(cached[key])
