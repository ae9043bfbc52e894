"""Checks of single experiment settings, each raising one clear :class:`ConfigError`.

:meth:`evodeap.config.settings.ExperimentConfig.validate` calls them; they read the settings
they check and never import the config class, so they are small and testable alone.
"""
from __future__ import annotations

import importlib.util
from typing import Any, Mapping

from evodeap.errors import ConfigError
from evodeap.genome.space import SearchSpace

#: values of ``ExperimentConfig.fixed_schedule``
FIXED_SCHEDULES = ("repeat", "continue")

#: the settings of ``ExperimentConfig.mlflow`` given as a dict
MLFLOW_SETTINGS = ("tracking_uri", "experiment")


def check_mlflow_settings(value: Any) -> dict[str, Any] | None:
    """The MLflow settings of a config value (``None``/``False`` = off, ``True`` = defaults,
    or a dict with ``tracking_uri`` and/or ``experiment``); MLflow must be installed."""
    if value is None or value is False:
        return None
    if value is True:
        settings: dict[str, Any] = {}
    elif isinstance(value, Mapping):
        unknown = sorted(set(value) - set(MLFLOW_SETTINGS))
        if unknown:
            raise ConfigError(f"mlflow has no setting(s) {unknown}; it takes {', '.join(MLFLOW_SETTINGS)}")
        for name in MLFLOW_SETTINGS:
            if name in value and not (isinstance(value[name], str) and value[name]):
                raise ConfigError(f"mlflow.{name} must be a non-empty string, got {value[name]!r}")
        settings = dict(value)
    else:
        raise ConfigError(f"mlflow must be true, false, null or {{'tracking_uri': ..., 'experiment': ...}}, got {value!r}")
    if importlib.util.find_spec("mlflow") is None:
        raise ConfigError("mlflow tracking needs MLflow: pip install 'evodeap[mlflow]'")
    return settings


def check_fixed_genome(data: Any, space: SearchSpace) -> None:
    from evodeap.kinds.views import get_family
    from evodeap.genome.genome import Genome

    require(isinstance(data, Mapping), "strategy 'fixed' needs fixed_genome (a genome as a JSON object)")
    genome = Genome.from_dict(data)
    require(genome.family == space.family,
             f"fixed_genome is a {genome.family} genome but the space's family is {space.family}")
    problems = get_family(genome.family).violations(genome)
    require(not problems and len(genome) > 0, f"fixed_genome is not a valid {genome.family} genome: {problems}")
    missing = sorted(set(space.hyperparameters) - set(genome.hyperparameters))
    require(not missing, f"fixed_genome lacks hyperparameters {missing}")


def check_fixed_schedule(config: Any) -> None:
    schedule = config.fixed_schedule
    require(isinstance(schedule, str) and schedule in FIXED_SCHEDULES,
             f"fixed_schedule must be one of {', '.join(repr(s) for s in FIXED_SCHEDULES)}, got {schedule!r}")
    if schedule != "continue":
        return
    require(config.strategy == "fixed", f"fixed_schedule 'continue' needs strategy 'fixed', got {config.strategy!r}")
    epochs = config.fixed_genome.get("hyperparameters", {}).get("epochs")
    require(isinstance(epochs, int) and not isinstance(epochs, bool) and epochs >= 1,
             f"fixed_schedule 'continue' trains fixed_genome epochs more per generation, so its 'epochs' "
             f"hyperparameter must be an integer >= 1, got {epochs!r}")


def check_budget_settings(config: Any) -> None:
    from evodeap.evaluation.budget import EarlyTermination
    from evodeap.evaluation.fidelity import MultiFidelity
    from evodeap.genome.space import Choice

    from evodeap.evaluation.screening import Screening

    if config.early_termination is not None:
        EarlyTermination.from_config(config.early_termination)
    if config.screening is not None:
        Screening.from_config(config.screening)
        require(config.strategy == "evolve", "screening needs strategy 'evolve'")
    if config.multi_fidelity is None:
        return
    fidelity = MultiFidelity.from_config(config.multi_fidelity)
    require(config.strategy == "evolve", "multi_fidelity needs strategy 'evolve'")
    epochs = config.space.hyperparameters.get("epochs")
    if epochs is not None:
        values = set(epochs.options) if isinstance(epochs, Choice) else {epochs.low, epochs.high}
        require(values == {fidelity.max_budget},
                 f"multi_fidelity makes epochs the fidelity, so the 'epochs' gene must be fixed at max_budget="
                 f"{fidelity.max_budget}: set space.epochs.low and space.epochs.high to {fidelity.max_budget} "
                 f"(evodeap.evaluation.fidelity.with_multi_fidelity does it)")


def require(condition: bool, message: str) -> None:
    if not condition:
        raise ConfigError(message)

