"""The parameters of the Keras fitness and their validation.

:class:`KerasSettings` holds what :class:`evodeap.fitness.keras_fitness.KerasFitness` is
configured with — the weights ``α, β, γ`` of ``F = α·A − β·T + γ·R``, the metric, the cost
measure and its reference, the perturbation of R, the training caps and the runtime
switches — checked once, when it is made, so a bad parameter is one clear
:class:`~evodeap.errors.ConfigError` before any model is built.
"""
from __future__ import annotations

import math
from dataclasses import KW_ONLY, dataclass, fields
from typing import Any, Mapping

from evodeap.errors import ConfigError
from evodeap.fitness.metrics import METRIC_NAMES
from evodeap.models.plan import DEFAULT_MAX_PARAMS, DEFAULT_RNN_FRAME_SIZE

__all__ = ["COST_MEASURES", "DEFAULT_COST_REFERENCES", "DEFAULT_PERTURBATION", "KerasSettings", "THRESHOLDS"]

COST_MEASURES = ("flops", "wall_time", "param_steps")
#: ``c_ref`` per cost measure: the cost at which ``T = 0.5`` (see docs/fitness.md).
DEFAULT_COST_REFERENCES = {"flops": 1e13, "wall_time": 60.0, "param_steps": 1e8}
#: Validation-input perturbation for R (``evodeap.data.Perturbation`` parameters).
DEFAULT_PERTURBATION = {"noise_sigma": 0.1, "occlusion_size": 16, "occlusion_prob": 0.5, "seed": 0}
#: How the thresholded metrics (accuracy, precision, recall, F1) of sigmoid outputs decide:
#: ``fixed`` at 0.5, or ``validation``: per label, the threshold that maximises that label's
#: F1 on the clean validation split (:func:`evodeap.fitness.metrics.f1_thresholds`), used on every split.
THRESHOLDS = ("fixed", "validation")
#: Parameters added after runs were recorded, and the default that keeps those runs' meaning.
ADDED = {"frame_size": DEFAULT_RNN_FRAME_SIZE, "thresholds": "fixed"}


@dataclass(eq=False)
class KerasSettings:
    """The Keras fitness's parameters, normalised and checked (see
    :class:`evodeap.fitness.keras_fitness.KerasFitness` for what each one means).

    Normalised on creation: ``data`` given as a dict becomes a ``DataSpec``; the weights
    and ``cost_reference`` become floats (``cost_reference=None``: the default of the cost
    measure, :data:`DEFAULT_COST_REFERENCES`); ``perturbation="default"`` becomes
    :data:`DEFAULT_PERTURBATION`. Compared by identity, like any fitness object.

    Raises:
        ConfigError: a negative or non-finite weight, an unknown metric, cost measure or
            threshold rule, a cost reference ≤ 0, R asked for without a perturbation, a cap
            that is not a positive integer, a negative patience, ``max_activation_mb`` ≤ 0, a
            ``frame_size`` that is not an integer ≥ 1 or ``None``, or an unknown
            mixed-precision setting.
    """

    data: Any
    _: KW_ONLY
    accuracy_weight: float = 1.0
    cost_weight: float = 0.1
    robustness_weight: float = 0.5
    metric: str = "accuracy"
    cost_measure: str = "flops"
    cost_reference: float | None = None
    multi_objective: bool = False
    perturbation: Mapping[str, Any] | None | str = "default"
    max_epochs: int | None = None
    early_stopping_patience: int | None = None
    max_params: int | None = DEFAULT_MAX_PARAMS
    max_activation_mb: float | None = 4096.0
    evaluate_test: bool = True
    deterministic: bool = True
    mixed_precision: bool | str = False
    jit_compile: bool | str = False
    frame_size: int | None = DEFAULT_RNN_FRAME_SIZE
    thresholds: str = "fixed"

    def __post_init__(self) -> None:
        for name in ("multi_objective", "evaluate_test", "deterministic"):
            if not isinstance(getattr(self, name), bool):
                raise ConfigError(f"{name} must be true or false, got {getattr(self, name)!r}")
        for name in ("accuracy_weight", "cost_weight", "robustness_weight"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise ConfigError(f"{name} must be a finite number >= 0, got {value!r}")
        if isinstance(self.data, Mapping):
            from evodeap.data import DataSpec

            self.data = DataSpec.from_dict(dict(self.data))
        self.accuracy_weight = float(self.accuracy_weight)
        self.cost_weight = float(self.cost_weight)
        self.robustness_weight = float(self.robustness_weight)
        self.cost_reference = float(DEFAULT_COST_REFERENCES.get(self.cost_measure, 1.0)
                                    if self.cost_reference is None else self.cost_reference)
        self.multi_objective = bool(self.multi_objective)
        perturbation = self.perturbation
        if isinstance(perturbation, str) and perturbation == "default":
            perturbation = DEFAULT_PERTURBATION
        self.perturbation = None if perturbation is None else dict(perturbation)
        self.evaluate_test = bool(self.evaluate_test)
        self.deterministic = bool(self.deterministic)
        self._check_scoring()
        self._check_training()

    def _check_scoring(self) -> None:
        """The parameters of ``F``: weights, metric, cost measure and reference, perturbation."""
        for name in ("accuracy_weight", "cost_weight", "robustness_weight"):
            value = getattr(self, name)
            if not (math.isfinite(value) and value >= 0):
                raise ConfigError(f"{name} must be a finite number >= 0, got {value}")
        if self.metric not in METRIC_NAMES + ("label_accuracy",):
            raise ConfigError(f"unknown metric {self.metric!r}; one of {', '.join(METRIC_NAMES)}, label_accuracy")
        if self.cost_measure not in COST_MEASURES:
            raise ConfigError(f"unknown cost_measure {self.cost_measure!r}; one of {', '.join(COST_MEASURES)}")
        if not (math.isfinite(self.cost_reference) and self.cost_reference > 0):
            raise ConfigError(f"cost_reference must be > 0, got {self.cost_reference}")
        if self.perturbation is None and (self.robustness_weight > 0 or self.multi_objective):
            raise ConfigError("robustness (R) needs a perturbation; give one or set robustness_weight=0")
        if self.thresholds not in THRESHOLDS:
            raise ConfigError(f"unknown thresholds {self.thresholds!r}; one of {', '.join(THRESHOLDS)}")

    def _check_training(self) -> None:
        """The training caps, the patience, the activation-memory cap and the precision."""
        for name in ("max_epochs", "max_params"):
            value = getattr(self, name)
            if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
                raise ConfigError(f"{name} must be a positive integer or None, got {value!r}")
        patience = self.early_stopping_patience
        if patience is not None and (isinstance(patience, bool) or not isinstance(patience, int) or patience < 0):
            raise ConfigError(f"early_stopping_patience must be an integer >= 0 or None, got {patience!r}")
        if self.max_activation_mb is not None and not self.max_activation_mb > 0:
            raise ConfigError(f"max_activation_mb must be > 0 or None, got {self.max_activation_mb}")
        from evodeap.kinds.walk import frame_size_problems

        for problem in frame_size_problems(self.frame_size):
            raise ConfigError(problem)
        from evodeap.fitness.runtime import precision_policy_name  # imports Keras: only when checked

        precision_policy_name(self.mixed_precision)

    def to_dict(self) -> dict[str, Any]:
        """JSON-able parameters (the data as its spec dict, or a note for an in-memory bundle).
        A parameter added after runs were recorded (:data:`ADDED`) is left out while it has
        its default, so such a run's recorded fitness and today's compare equal."""
        data = self.data.to_dict() if hasattr(self.data, "to_dict") else f"<{type(self.data).__name__}>"
        return {"data": data, **{f.name: getattr(self, f.name) for f in fields(KerasSettings)
                                 if f.name != "data" and not (f.name in ADDED and getattr(self, f.name) == ADDED[f.name])}}
