"""Experiment configuration: everything a run needs, validated, with ``--set`` overrides.

An experiment file builds an :class:`ExperimentConfig` named ``CONFIG``. Operators,
schedules, the fitness and the executor may be given by registry name (strings, recorded
as such in ``config.json``); operators and the fitness also as objects (a custom operator
is any DEAP-conventional callable). :meth:`ExperimentConfig.validate` checks every value
and every name against its registry; :mod:`evodeap.config.resolve` turns the names into the
objects a run uses, once per run.
"""
from __future__ import annotations

import dataclasses
import importlib.util
import math
from dataclasses import dataclass, field
from typing import Any, Mapping

from evodeap.errors import ConfigError
from evodeap.execution.executors import EXECUTORS, check_executor_params
from evodeap.fitness import FITNESSES
from evodeap.operators.registry import CROSSOVERS, MUTATIONS, SELECTIONS
from evodeap.operators.selection import DEFAULT_BETA
from evodeap.config.checks import (
    FIXED_SCHEDULES,
    check_budget_settings,
    check_fixed_genome,
    check_fixed_schedule,
    check_mlflow_settings,
    require,
)
from evodeap.config.fields import EXECUTOR_PARAMETERS, check_parameters, check_settings
from evodeap.config.overrides import apply_override, drop_old_parameters, resolve_operator, parse_assignments, parse_value
from evodeap.config.rates import DefaultSetting, RateSources, rate_sources
from evodeap.registry import Registry
from evodeap.genome.space import SearchSpace

OperatorLike = Any  # a registry name (str) or a DEAP-conventional callable


@dataclass
class ExperimentConfig:
    """One evolutionary experiment.

    Attributes:
        name: a label for reports.
        space: the search space (family, genes, layer-count bounds).
        fitness: a name in :data:`evodeap.fitness.FITNESSES` — ``"landscape"`` (stand-in),
            ``"keras"`` (real training) or one registered by the researcher — or a fitness
            object ``fitness(genome, context) -> EvalResult``; ``fitness_params`` configure a
            named one. The fitness says how many objectives it has, their DEAP weights and
            its failure value (:class:`evodeap.evaluation.api.Objectives`).
        population_size, generations: sizes of the run (generation 0 is the initial population).
        crossover, mutation, selection: operator names (see ``operators``) or callables;
            ``*_params`` are bound at registration.
        survival: ``None`` for generational replacement with ``elitism`` elites, or a selection
            (e.g. ``"aging"`` for regularized evolution, ``"nsga2"``) applied to parents + offspring.
        cxpb: probability that a pair of parents is recombined.
        mutpb: probability that an offspring goes through the mutation operator (which then
            mutates each gene with rate μ(t)).
        mutation_rate: μ(t) — a schedule (``{"name": "exponential_decay", "initial": 0.05,
            "rate": 0.05}``), a number, or a callable ``(generation, stats) -> float`` — bound
            as ``indpb``. ``mutation_params["indpb"]`` is the other way to set μ (a constant);
            setting both is an error (see :mod:`evodeap.config.rates`).
        selection_pressure: β(t) for selections that take ``beta``; ``None`` keeps
            ``selection_params["beta"]``. Setting both is an error (see :mod:`evodeap.config.rates`).
        refine_every: refine the search space every k generations (0 = never), around the
            top ``refine_top`` fraction, with ``refine_epsilon`` and ``refine_min_width``.
        hall_of_fame_size: how many best genomes to keep.
        failure_fitness: ``None`` (default): a failed evaluation (``invalid``, ``nan``,
            ``oom``, ``error`` ...) gets the fitness's own failure value (``failure_fitness``
            of the fitness object; −1 per objective for a fitness that declares none). A
            number φ: the failure value is φ for every maximised objective and −φ for every
            minimised one — for a fitness that declares none, or in place of a declared one
            that φ does not exceed (a higher φ is refused: failures could outrank trained
            models). Config files written before it became optional hold −1.0, which still
            means the default.
        seed: the run seed (root of every random stream).
        executor, workers: how evaluations are run (a name in
            :data:`evodeap.execution.executors.EXECUTORS`: ``serial``, ``process``, ``ray`` or one
            registered by the researcher) and on how many workers (``serial`` with ``workers > 1``
            runs on ``process``: :func:`executor_name`); ``executor_params`` go to the executor (``threads_per_worker``,
            ``recycle_after``, ``gpus`` for process; ``address``, ``num_cpus``, ``num_gpus`` for ray).
        tensorboard: write per-generation scalars, one HParams session per evaluation and
            training curves (when the fitness reports them) under ``tensorboard/`` in the run
            directory.
        mlflow: MLflow tracking of a run directory (:mod:`evodeap.dashboards.mlflow`):
            ``True`` (a local store in the run directory) or ``{"tracking_uri": URI,
            "experiment": NAME}``; ``None`` is off.
        strategy: ``evolve`` (the genetic algorithm), ``fixed``: train ``fixed_genome`` (a
            genome in JSON form) as a hand-picked baseline, as ``fixed_schedule`` says, or
            ``random``: random search, ``population_size`` fresh draws from ``space`` per
            generation (generation 0 is evolution's initial population; no refinement, no
            elites; :mod:`evodeap.engine.fixed`).
        fixed_schedule: how the ``fixed`` strategy trains ``fixed_genome``: ``"repeat"``
            (default) trains it ``population_size`` times per generation with fresh seeds —
            the same number of trainings per generation as evolution; ``"continue"`` trains
            it once per generation and continues that training: generation ``g`` starts from
            generation ``g − 1``'s trained weights (the run keeps them in ``weights/``) and
            ends with the model trained ``(g + 1)·E`` epochs in all, ``E`` the genome's
            ``epochs`` gene (see ``docs/baselines.md``).
        multi_fidelity: successive halving inside each generation (see
            :mod:`evodeap.evaluation.fidelity`): ``{"min_budget": r, "eta": η, "max_budget": R,
            "asynchronous": False}`` in epochs, or ``None`` (off). Epochs are then the
            fidelity, so the space's ``epochs`` gene, if any, must be fixed at ``R``.
        inheritance: offspring start from their parent's trained weights for every layer
            whose kind and shape match (Lamarckian); weights live in ``weights/`` of the
            run directory, pruned to the living population.
        early_termination: learning-curve early termination
            (:class:`evodeap.evaluation.budget.EarlyTermination`): ``{"top_k": k, "min_epochs": 2}``
            or ``None`` (off).
        screening: surrogate-assisted evolution (:mod:`evodeap.evaluation.screening`): breed
            ``factor`` × the places of a generation and train only those a surrogate fitted on
            the evaluations so far ranks best — ``{"surrogate": "tpe", "factor": 8,
            "min_evaluations": 10, "params": {}}`` — or ``None`` (off).
        compute_budget: stop after the generation in which the run's training FLOPs
            (``train_flops_total`` of the logbook) reach this number (``None``: run all
            ``generations``).
        invalid_offspring: what happens when an operator returns a genome outside the search
            space (:mod:`evodeap.operators.contract`): ``"repair"`` it (counted in the logbook's
            ``repaired``) or stop with an ``"error"`` naming the operator.
        max_failure_fraction: stop the run when at least this fraction of a generation's new
            evaluations failed (:mod:`evodeap.evaluation.failures`; 1.0: only when all failed; ``None``:
            never).
        evaluation_timeout: seconds an evaluation may take before it is abandoned and
            recorded with status ``timeout`` (``None``: no limit; see
            :mod:`evodeap.execution.timeouts` for how each executor abandons one).
    """

    name: str = "experiment"
    space: SearchSpace = field(default_factory=SearchSpace)
    fitness: Any = "landscape"
    fitness_params: dict[str, Any] = field(default_factory=dict)
    population_size: int = 50
    generations: int = 20
    crossover: OperatorLike = "one_point"
    crossover_params: dict[str, Any] = field(default_factory=dict)
    mutation: OperatorLike = "split"
    mutation_params: dict[str, Any] = field(default_factory=dict)
    selection: OperatorLike = "boltzmann"
    selection_params: dict[str, Any] = field(default_factory=lambda: DefaultSetting({"beta": DEFAULT_BETA}))
    survival: OperatorLike | None = None
    survival_params: dict[str, Any] = field(default_factory=dict)
    cxpb: float = 0.7
    mutpb: float = 1.0
    elitism: int = 1
    mutation_rate: Any = field(
        default_factory=lambda: DefaultSetting({"name": "exponential_decay", "initial": 0.05, "rate": 0.05})
    )
    selection_pressure: Any = None
    refine_every: int = 0
    refine_top: float = 0.2
    refine_epsilon: float = 0.02
    refine_min_width: float = 0.1
    hall_of_fame_size: int = 5
    failure_fitness: float | None = None
    seed: int = 0
    executor: str = "serial"
    workers: int = 1
    executor_params: dict[str, Any] = field(default_factory=dict)
    tensorboard: bool = False
    mlflow: Any = None
    strategy: str = "evolve"
    fixed_genome: dict[str, Any] | None = None
    fixed_schedule: str = "repeat"
    multi_fidelity: dict[str, Any] | None = None
    inheritance: bool = False
    early_termination: dict[str, Any] | None = None
    screening: dict[str, Any] | None = None
    compute_budget: float | None = None
    invalid_offspring: str = "repair"
    max_failure_fraction: float | None = 1.0
    evaluation_timeout: float | None = None

    def validate(self) -> "ExperimentConfig":
        """Check every field and every name; raise :class:`ConfigError` or
        :class:`~evodeap.errors.UnknownNameError` (listing the known names) with a clear message."""
        if not isinstance(self.space, SearchSpace):
            raise ConfigError(f"space must be a SearchSpace, got {type(self.space).__name__}")
        check_settings(self)  # every field's type, range and bound (evodeap.config.fields)
        require(self.elitism < self.population_size,
                f"elitism must be below population_size ({self.population_size}), got {self.elitism!r}")
        check_executor_params(executor_name(self), self.executor_params)
        check_parameters("executor", EXECUTORS.get(executor_name(self)), self.executor_params, EXECUTOR_PARAMETERS)
        if self.strategy == "fixed":
            check_fixed_genome(self.fixed_genome, self.space)
        check_fixed_schedule(self)
        check_budget_settings(self)
        if self.tensorboard and importlib.util.find_spec("tensorboard") is None:
            raise ConfigError("tensorboard=True needs TensorBoard: pip install 'evodeap[tensorboard]'")
        check_mlflow_settings(self.mlflow)
        for role, registry, spec, params in self.operator_specs():  # μ and β: one source each
            given = getattr(self, f"{role}_params")
            check_parameters(role, resolve_operator(role, registry, spec, params, given), params)
        if isinstance(self.fitness, str):
            FITNESSES.get(self.fitness)
        else:
            require(callable(self.fitness),
                     f"fitness must be a registered name or a callable fitness object, got {self.fitness!r}")
        return self

    def operator_specs(self, rates: RateSources | None = None) -> list[tuple[str, Registry, OperatorLike, dict[str, Any]]]:
        """``(role, registry, name or callable, params)`` of every operator the config names
        (``survival`` only when set) — what :meth:`validate` checks and
        :func:`evodeap.config.resolve.plan_run` resolves. The mutation's and selection's params
        are those left once μ and β have their one source (:func:`evodeap.config.rates.rate_sources`:
        no ``indpb``, no ``beta``; ``rates``: those already resolved)."""
        rates = rate_sources(self) if rates is None else rates
        specs = [
            ("crossover", CROSSOVERS, self.crossover, self.crossover_params),
            ("mutation", MUTATIONS, self.mutation, rates.mutation_params),
            ("selection", SELECTIONS, self.selection, rates.selection_params),
        ]
        if self.survival is not None:
            specs.append(("survival", SELECTIONS, self.survival, self.survival_params))
        return specs

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready description (objects are recorded by name or qualified name)."""
        data = {}
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            data[f.name] = value.to_dict() if isinstance(value, SearchSpace) else _describe(value)
        return data

    def with_overrides(self, assignments: Mapping[str, Any]) -> "ExperimentConfig":
        """A copy with ``key=value`` overrides applied (``a.b`` reaches into dicts and the space)."""
        config = dataclasses.replace(self)
        for key, value in assignments.items():
            config = apply_override(config, key, value)
        return drop_old_parameters(self, config, assignments)  # an operator swapped by name


#: settings whose value in config.json files of older versions means today's default
RETIRED_DEFAULTS: dict[str, tuple[Any, Any]] = {"failure_fitness": (-1.0, None)}

#: settings added after config.json files were first written: one a file lacks had its default
ADDED_SETTINGS = ("invalid_offspring", "max_failure_fraction", "evaluation_timeout", "mlflow", "fixed_schedule",
                  "screening")

def comparable(description: Mapping[str, Any]) -> dict[str, Any]:
    """A config description (``to_dict()`` output or a recorded ``config.json``) with retired
    defaults replaced by today's and added settings it lacks filled with their defaults, so
    that an old run's record and today's config of the same experiment compare equal."""
    data = dict(description)
    for key, (old, new) in RETIRED_DEFAULTS.items():
        if key in data and data[key] == old:
            data[key] = new
    for f in dataclasses.fields(ExperimentConfig):
        if f.name in ADDED_SETTINGS:
            data.setdefault(f.name, f.default)
    return data


def executor_name(config: ExperimentConfig) -> str:
    """The executor a run uses: ``config.executor``, except that ``serial`` with ``workers > 1``
    is ``process`` (more workers than one imply processes; ``serial`` runs one at a time)."""
    return "process" if config.executor == "serial" and config.workers > 1 else config.executor


def fixed_epochs(config: ExperimentConfig, generation: int) -> int:
    """Epochs the ``continue`` schedule's model has been trained in all after ``generation``:
    ``(generation + 1)·E``, ``E`` the ``epochs`` gene of ``fixed_genome``."""
    return (generation + 1) * int(config.fixed_genome["hyperparameters"]["epochs"])


def _describe(value: Any) -> Any:
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if isinstance(value, Mapping):
        return {str(k): _describe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_describe(v) for v in value]
    if hasattr(value, "to_dict"):
        return value.to_dict()
    if dataclasses.is_dataclass(value):
        return {"class": f"{type(value).__module__}.{type(value).__qualname__}", **_describe(dataclasses.asdict(value))}
    return {"callable": f"{getattr(value, '__module__', '?')}.{getattr(value, '__qualname__', type(value).__qualname__)}"}


