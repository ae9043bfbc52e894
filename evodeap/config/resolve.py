"""An experiment parsed once: the run plan.

An :class:`~evodeap.config.settings.ExperimentConfig` names its parts — operators, schedules, the
fitness — as registry names (or gives them as objects) and holds its multi-fidelity and
early-termination settings as plain dicts. :func:`plan_run` is the one place a config is
validated and resolved: it checks every setting, looks every name up once and parses the
settings into the frozen :class:`RunPlan` the engine and the run lifecycle take — the
bound-to-be operators, the stateful schedules, the fitness object, what its values mean
(:class:`~evodeap.evaluation.api.Objectives`: number of objectives, DEAP weights, the
failure value), the DEAP individual class for those weights, and the parsed
:class:`~evodeap.evaluation.fidelity.MultiFidelity` and
:class:`~evodeap.evaluation.budget.EarlyTermination`. Nothing is looked up by name or
parsed again during the run; the engine only rebinds what changes per generation (μ(t),
β(t), the space after a refinement).

Imports run down the layers (:mod:`evodeap.architecture`): this module imports the
registries, the evaluation layer and the settings, never the engine or the runs.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from evodeap.config.settings import ExperimentConfig
from evodeap.evaluation.api import Objectives
from evodeap.evaluation.budget import EarlyTermination
from evodeap.evaluation.fidelity import MultiFidelity
from evodeap.evaluation.screening import Screening
from evodeap.fitness import make_fitness
from evodeap.genome.individual import individual_class
from evodeap.config.rates import rate_sources


@dataclass(frozen=True)
class RunPlan:
    """One config, validated and resolved: everything a run reads.

    Attributes:
        config: the validated experiment.
        fitness: ``fitness(genome, context) -> EvalResult``.
        objectives: number of objectives, DEAP weights and failure value of ``fitness``
            (with ``config.failure_fitness`` applied).
        individual: the ``deap.creator`` individual class for those weights.
        mate, mutate, select: the crossover, mutation and selection callables.
        survive: the survival selection, or ``None`` (generational replacement).
        mutation_rate: the μ(t) schedule (stateful: saved in checkpoints), or ``None`` when the
            mutation takes no ``indpb`` (:mod:`evodeap.config.rates`: one source for μ).
        selection_pressure: the β(t) schedule — ``selection_pressure`` or a constant
            ``selection_params["beta"]`` — or ``None`` when the selection takes no ``beta``.
        mutation_params, selection_params: the parameters bound besides μ and β.
        fidelity: the parsed ``multi_fidelity`` settings, or ``None``.
        stopping: the parsed ``early_termination`` settings, or ``None``.
        screening: the parsed ``screening`` settings, or ``None``.
    """

    config: ExperimentConfig
    fitness: Callable
    objectives: Objectives
    individual: type
    mate: Callable
    mutate: Callable
    select: Callable
    survive: Callable | None
    mutation_rate: Callable | None
    selection_pressure: Callable | None
    mutation_params: dict[str, Any] = field(default_factory=dict)
    selection_params: dict[str, Any] = field(default_factory=dict)
    fidelity: MultiFidelity | None = None
    stopping: EarlyTermination | None = None
    screening: Screening | None = None


def resolve_fitness(config: ExperimentConfig) -> Any:
    """The fitness object of ``config``: a named fitness built from ``fitness_params``, or the
    object itself.

    Raises:
        UnknownNameError: an unregistered fitness name.
        ConfigError: parameters the named fitness does not take.
    """
    if isinstance(config.fitness, str):
        return make_fitness(config.fitness, **config.fitness_params)
    return config.fitness


def plan_run(config: ExperimentConfig, fitness: Any = None) -> RunPlan:
    """Validate ``config`` and look up every name once (``fitness`` overrides ``config.fitness``).

    Raises:
        ConfigError: a setting out of its range or of the wrong type (``config.validate()``).
        EvodeapError: what the fitness's ``check_ready()`` refuses, if it has one (the Keras
            fitness: a data folder that does not exist).
        UnknownNameError: a name no registry holds (the message lists the known ones).
        ConfigError: parameters an operator or fitness does not take, inconsistent fitness
            objectives, or a ``failure_fitness`` that would rank failures above trained models.
    """
    config.validate()
    fitness = resolve_fitness(config) if fitness is None else fitness
    if callable(getattr(fitness, "check_ready", None)):
        fitness.check_ready()  # e.g. the Keras fitness's data folders, before anything is written
    objectives = Objectives.of(fitness, config.failure_fitness)
    rates = rate_sources(config)
    operators = {role: registry.resolve(spec, params, role)
                 for role, registry, spec, params in config.operator_specs(rates)}
    return RunPlan(
        config=config,
        fitness=fitness,
        objectives=objectives,
        individual=individual_class(objectives.weights),
        mate=operators["crossover"],
        mutate=operators["mutation"],
        select=operators["selection"],
        survive=operators.get("survival"),
        mutation_rate=rates.mutation_rate,
        selection_pressure=rates.selection_pressure,
        mutation_params=rates.mutation_params,
        selection_params=rates.selection_params,
        fidelity=MultiFidelity.from_config(config.multi_fidelity) if config.multi_fidelity else None,
        stopping=EarlyTermination.from_config(config.early_termination) if config.early_termination else None,
        screening=Screening.from_config(config.screening) if config.screening else None,
    )


__all__ = ["RunPlan", "resolve_fitness", "plan_run"]
