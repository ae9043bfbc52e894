"""Chance level of a metric on a split, the noise of the metric there, and what they say.

A composite fitness (``F = α·A − β·T + γ·R``) hides whether a model learns: an ``F`` of 0.87
can be a validation AUC of 0.62 on a task where a model that ignores its input scores 0.5.
This module gives the yardstick, from the split's labels alone:

**Chance level** ``c`` of a metric: the best value of that metric any *constant* predictor
(one that ignores its input) reaches on the split — the largest value of
:func:`evodeap.fitness.metrics.classification_metrics` over these score arrays:

* multiclass: every one-hot constant (always class ``k``, for each ``k``);
* binary and multilabel: all-positive, all-negative, the per-label majority and (multilabel)
  the most frequent label set.

So macro AUC has ``c = 0.5`` (constant scores tie), accuracy the majority-class rate
(multilabel: the rate of the most frequent label set; ``label_accuracy``: the mean over labels
of ``max(p_l, 1 − p_l)``), F1 the all-positive F1 ``2p/(1 + p)`` (macro over labels;
multiclass: always predicting the majority class, ``2 p_max / (1 + p_max) / K``), recall 1
(all-positive) and precision the prevalence.

**Noise** of the metric on ``n`` examples: the standard error of the metric of a chance-level
model, ``SE``:

* ``auc``: the null standard error of the Mann–Whitney AUC with ``P`` positives and ``N``
  negatives, ``SE = √((P + N + 1) / (12 · P · N))``; macro AUC: the mean of the per-class
  (per-label, one-vs-rest) SEs over the classes with both outcomes — the SE of a mean of
  perfectly correlated AUCs, the conservative bound;
* every other metric: the binomial standard error of a proportion at the chance level,
  ``SE = √(c · (1 − c) / n)`` (for F1, precision and recall a rough scale, not exact).

**Verdicts**: a value ``m`` is *within noise of chance* when ``m − c ≤ z · SE`` (``z = 2``,
about a one-sided 2.5 % test); a split is *too small to rank models* when ``z · SE >``
:data:`RANKING_RESOLUTION` (0.1): two models whose metrics differ by less than that cannot be
told apart on it (e.g. 32 validation videos: accuracy at ``c = 0.5`` has ``2 · SE = 0.18``).
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from evodeap.fitness.metrics import classification_metrics

__all__ = ["RANKING_RESOLUTION", "Z", "chance_level", "chance_record", "chance_verdict", "constant_scores",
           "describe_model", "noise_se", "recorded_chance", "split_warning"]

#: the multiple of SE a value must exceed its chance level by to count as learning
Z = 2.0
#: a split whose ``Z · SE`` exceeds this cannot rank models (:func:`split_warning`)
RANKING_RESOLUTION = 0.1


def constant_scores(kind: str, y_true: Any, n_classes: int | None = None) -> list[np.ndarray]:
    """The score arrays of the constant predictors of a split (see the module docstring);
    ``n_classes``: the task's classes (multiclass; default: the largest label + 1)."""
    y = np.asarray(y_true)
    n = y.shape[0]
    if kind == "multiclass":
        labels = y.astype(np.int64).ravel()
        k = n_classes or (int(labels.max()) + 1 if labels.size else 1)
        return [np.tile(np.eye(k)[c], (n, 1)) for c in range(k)]
    truth = (y > 0.5).astype(float).reshape(n, -1)
    majority = (truth.mean(axis=0) >= 0.5).astype(float)
    candidates = [np.ones_like(truth), np.zeros_like(truth), np.tile(majority, (n, 1))]
    if kind == "multilabel" and n:
        rows, counts = np.unique(truth, axis=0, return_counts=True)
        candidates.append(np.tile(rows[int(np.argmax(counts))], (n, 1)))
    if kind == "binary":
        candidates = [c.ravel() for c in candidates]
    return candidates


def chance_level(kind: str, metric: str, y_true: Any, n_classes: int | None = None) -> float:
    """``c``: the best ``metric`` of a constant predictor on these labels (module docstring)."""
    values = [classification_metrics(kind, y_true, scores).get(metric, float("nan"))
              for scores in constant_scores(kind, y_true, n_classes)]
    values = [v for v in values if v == v]
    return float(max(values)) if values else float("nan")


def _auc_se(kind: str, y_true: Any) -> float:
    y = np.asarray(y_true)
    if kind == "multiclass":
        labels = y.astype(np.int64).ravel()
        truth = np.eye(int(labels.max()) + 1)[labels].astype(bool)
    else:
        truth = (y > 0.5).reshape(y.shape[0], -1)
    ses = []
    for column in truth.T:
        p = int(column.sum())
        q = column.size - p
        if p and q:
            ses.append(math.sqrt((p + q + 1) / (12.0 * p * q)))
    return float(np.mean(ses)) if ses else float("nan")


def noise_se(kind: str, metric: str, y_true: Any, level: float | None = None, n_classes: int | None = None) -> float:
    """``SE`` of ``metric`` for a chance-level model on these labels (module docstring)."""
    if metric == "auc":
        return _auc_se(kind, y_true)
    n = int(np.asarray(y_true).shape[0])
    c = chance_level(kind, metric, y_true, n_classes) if level is None else level
    if n == 0 or c != c:
        return float("nan")
    return math.sqrt(max(c * (1.0 - c), 0.0) / n)


def chance_record(kind: str, metric: str, y_true: Any, split: str = "val",
                  n_classes: int | None = None) -> dict[str, float]:
    """``{"<split>_chance_<metric>": c, "<split>_chance_se_<metric>": SE}``: what the Keras
    fitness adds to every trained model's metrics."""
    level = chance_level(kind, metric, y_true, n_classes)
    return {f"{split}_chance_{metric}": level,
            f"{split}_chance_se_{metric}": noise_se(kind, metric, y_true, level, n_classes)}


def chance_verdict(value: float, level: float, se: float, metric: str = "the metric", z: float = Z) -> str | None:
    """A sentence when ``value`` is within noise of chance (``value − c ≤ z · SE``), else ``None``."""
    if any(v is None or v != v for v in (value, level, se)):
        return None
    if value - level <= z * se:
        return (f"the best model's validation {metric} {value:.4f} is within noise of chance: chance level "
                f"{level:.4f}, {z:g}·SE = {z * se:.4f} (it may not learn anything)")
    return None


def split_warning(kind: str, metric: str, y_true: Any, split: str = "validation", z: float = Z,
                  n_classes: int | None = None) -> str | None:
    """A sentence when the split is too small to rank models by ``metric``
    (``z · SE > RANKING_RESOLUTION``), else ``None``."""
    level = chance_level(kind, metric, y_true, n_classes)
    se = noise_se(kind, metric, y_true, level, n_classes)
    if se == se and z * se > RANKING_RESOLUTION:
        n = int(np.asarray(y_true).shape[0])
        return (f"the {split} split has {n} examples: {metric} there is only known to ±{z * se:.3f} ({z:g}·SE at "
                f"chance level {level:.3f}), so models closer than that cannot be ranked; use a larger {split} split")
    return None


def recorded_chance(metrics: dict[str, Any]) -> tuple[str, float, float] | None:
    """``(metric, c, SE)`` that :func:`chance_record` put into an evaluation's ``metrics``
    (keys ``val_chance_<metric>``, ``val_chance_se_<metric>``), or ``None``."""
    for key, value in metrics.items():
        if key.startswith("val_chance_") and not key.startswith("val_chance_se_"):
            metric = key[len("val_chance_"):]
            return metric, float(value), float(metrics.get(f"val_chance_se_{metric}", float("nan")))
    return None


def describe_model(metrics: dict[str, Any], components: dict[str, Any]) -> tuple[list[tuple[str, str]], list[str]]:
    """What a model's recorded metrics say beside its fitness: ``(rows, warnings)``.

    Rows (label, text): the fitness components (``A=… T=… R=…``) and, when the evaluation
    recorded its chance level, ``validation <metric>`` with its chance level, ``2·SE`` and the
    test value beside it. Warnings: :func:`chance_verdict` of the validation value.
    """
    rows, warnings = [], []
    shown = {k: v for k, v in components.items() if not k.startswith("T_")}
    if shown:
        rows.append(("fitness components", "  ".join(f"{k}={float(v):.4f}" for k, v in shown.items())))
    chance = recorded_chance(metrics)
    if chance is not None:
        metric, level, se = chance
        value = metrics.get(f"val_{metric}")
        if value is not None:
            test = metrics.get(f"test_{metric}")
            text = (f"{float(value):.4f} (chance level {level:.4f}, {Z:g}·SE {Z * se:.4f}"
                    + (f"; test {float(test):.4f}" if test is not None else "") + ")")
            rows.append((f"validation {metric}", text))
            verdict = chance_verdict(float(value), level, se, metric)
            if verdict:
                warnings.append(verdict)
    return rows, warnings
