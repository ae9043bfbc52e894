"""Names to objects, once per run.

An :class:`~evodeap.config.settings.ExperimentConfig` names its parts — operators, schedules, the
fitness — as registry names (or gives them as objects). :func:`resolve_run` looks every one
up once, at the start of a run, and returns the objects the engine works with
(:class:`ResolvedRun`): the bound-to-be operators, the stateful schedules, the fitness
object, what its values mean (:class:`~evodeap.evaluation.api.Objectives`: number of
objectives, DEAP weights, the failure value) and the DEAP individual class for those
weights. Nothing is looked up by name again during the run; the engine only rebinds what
changes per generation (μ(t), β(t), the space after a refinement).

Imports run one way: ``study → run → experiment → config``, and ``engine → resolve →
config``; this module imports the registries and the config, never the engine.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from evodeap.config.settings import ExperimentConfig
from evodeap.evaluation.api import Objectives
from evodeap.fitness import make_fitness
from evodeap.genome.individual import individual_class
from evodeap.config.rates import rate_sources


@dataclass(frozen=True)
class ResolvedRun:
    """The objects one run of a config uses.

    Attributes:
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
    """

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


def resolve_run(config: ExperimentConfig, fitness: Any = None) -> ResolvedRun:
    """Look up every name of ``config`` once (``fitness`` overrides ``config.fitness``).

    Raises:
        UnknownNameError: a name no registry holds (the message lists the known ones).
        ConfigError: parameters an operator or fitness does not take, inconsistent fitness
            objectives, or a ``failure_fitness`` that would rank failures above trained models.
    """
    fitness = resolve_fitness(config) if fitness is None else fitness
    objectives = Objectives.of(fitness, config.failure_fitness)
    rates = rate_sources(config)
    operators = {role: registry.resolve(spec, params, role)
                 for role, registry, spec, params in config.operator_specs(rates)}
    return ResolvedRun(
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
    )


__all__ = ["ResolvedRun", "resolve_fitness", "resolve_run"]
