"""Compute accounting and the learning-curve early-termination settings.

Every evaluation records what it actually spent in ``EvalResult.extra``:

* ``epochs_run`` — epochs trained *in this evaluation* (a promoted candidate that
  continues from its lower-rung weights counts only the new epochs; an early-terminated
  one only the epochs it ran);
* ``train_flops`` — estimated training FLOPs of those epochs (``3 × forward FLOPs ×
  samples``, see ``evodeap.models.training_flops``);
* ``train_seconds`` — wall-clock seconds inside ``fit`` (and the record's ``wall_time``,
  the whole evaluation).

:func:`evaluation_compute` reads them (0 when a fitness reports none, e.g. a failed
build), and :func:`generation_compute` sums them over one generation's evaluations; the
engine puts those sums, and the running totals, in every logbook row and thereby in the
``generations`` table of ``results.sqlite``.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Iterable, Mapping

from evodeap.errors import ConfigError
from evodeap.evaluation.api import EvalResult

#: Logbook fields written by :func:`generation_compute` (per generation, then running totals).
#: Only deterministic quantities: wall-clock seconds stay in the evaluations table
#: (``queries.compute_per_generation`` sums them), so equal runs keep equal logbooks.
COMPUTE_FIELDS = ("epochs", "train_flops", "epochs_total", "train_flops_total")


def evaluation_compute(result: EvalResult) -> dict[str, float]:
    """``{"epochs", "train_flops"}`` one evaluation spent on training."""
    extra = result.extra or {}
    return {
        "epochs": float(extra.get("epochs_run", 0) or 0),
        "train_flops": float(extra.get("train_flops", 0) or 0),
    }


def generation_compute(results: Iterable[EvalResult], before: Mapping[str, Any] | None = None) -> dict[str, float]:
    """Sums of :func:`evaluation_compute` over ``results`` and the running totals.

    Args:
        results: the generation's evaluations (cache hits excluded: they cost nothing).
        before: the previous generation's logbook row (its ``*_total`` fields), or ``None``.
    """
    sums = {"epochs": 0.0, "train_flops": 0.0}
    for result in results:
        for name, value in evaluation_compute(result).items():
            sums[name] += value
    before = before or {}
    totals = {f"{name}_total": float(before.get(f"{name}_total") or 0.0) + value for name, value in sums.items()}
    return {**sums, **totals}


class Settings:
    """Base of the frozen settings dataclasses an ``ExperimentConfig`` holds as plain dicts.

    Subclasses name their config field (``config_name``) and implement ``validate``.
    """

    config_name = "settings"

    @classmethod
    def from_config(cls, data: Any) -> Any:
        """An instance from its config mapping (or an instance), validated; unknown keys and
        non-mappings are clear :class:`ConfigError` s."""
        if isinstance(data, cls):
            return data.validate()
        fields = sorted(cls.__dataclass_fields__)
        if not isinstance(data, Mapping):
            raise ConfigError(f"{cls.config_name} must be a mapping of {fields} or null, got {data!r}")
        unknown = sorted(set(data) - set(fields))
        if unknown:
            raise ConfigError(f"{cls.config_name} has no setting(s) {unknown}; it takes {fields}")
        return cls(**data).validate()

    def validate(self) -> Any:
        raise NotImplementedError

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class EarlyTermination(Settings):
    """Learning-curve early termination (``ExperimentConfig.early_termination``).

    A training stops after epoch ``e ≥ min_epochs`` when its validation metric cannot
    reach the ``top_k``-th best validation metric of comparable evaluations so far, even
    if it kept improving at its best one-epoch rate for the rest of its budget (the rule
    is :func:`evodeap.evaluation.curves.should_terminate`). "Comparable" means trained to the
    same budget: the same multi-fidelity rung, or any full training without multi-fidelity.
    The threshold is taken from evaluations finished before the batch starts (earlier
    generations and, with multi-fidelity, earlier rungs), so runs stay reproducible.

    Attributes:
        top_k: which best value a training must be able to reach (k ≥ 1).
        min_epochs: epochs observed before the rule may stop a training (≥ 2: a slope
            needs two points).
    """

    config_name = "early_termination"
    top_k: int = 5
    min_epochs: int = 2

    def validate(self) -> "EarlyTermination":
        for name, low in (("top_k", 1), ("min_epochs", 2)):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < low:
                raise ConfigError(f"early_termination.{name} must be an integer >= {low}, got {value!r}")
        return self

