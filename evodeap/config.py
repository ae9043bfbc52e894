"""Experiment configuration: everything a run needs, validated, with ``--set`` overrides.

An experiment file builds an :class:`ExperimentConfig` named ``CONFIG``. Operators,
schedules and the fitness may be given by registry name (strings, recorded as such in
``config.json``) or as objects (a custom operator is any DEAP-conventional callable).
"""
from __future__ import annotations

import dataclasses
import importlib.util
import json
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

from evodeap.errors import ConfigError, EvodeapError, UnknownNameError
from evodeap.executors import EXECUTORS, check_executor_params
from evodeap.space import SearchSpace

OperatorLike = Any  # a registry name (str) or a DEAP-conventional callable


@dataclass
class ExperimentConfig:
    """One evolutionary experiment.

    Attributes:
        name: a label for reports.
        space: the search space (family, genes, layer-count bounds).
        fitness: ``"landscape"`` (stand-in), ``"keras"`` (real training) or a fitness object
            ``fitness(genome, context) -> EvalResult``; ``fitness_params`` configure a named one.
        population_size, generations: sizes of the run (generation 0 is the initial population).
        crossover, mutation, selection: operator names (see ``operators``) or callables;
            ``*_params`` are bound at registration.
        survival: ``None`` for generational replacement with ``elitism`` elites, or a selection
            (e.g. ``"aging"`` for regularized evolution, ``"nsga2"``) applied to parents + offspring.
        cxpb: probability that a pair of parents is recombined.
        mutpb: probability that an offspring goes through the mutation operator (which then
            mutates each gene with rate μ(t)).
        mutation_rate: μ(t) — a schedule (``{"name": "exponential_decay", "initial": 0.05,
            "rate": 0.05}``), a number, or a callable ``(generation, stats) -> float``.
        selection_pressure: β(t) for selections that take ``beta``; ``None`` keeps
            ``selection_params["beta"]``.
        refine_every: refine the search space every k generations (0 = never), around the
            top ``refine_top`` fraction, with ``refine_epsilon`` and ``refine_min_width``.
        hall_of_fame_size: how many best genomes to keep.
        failure_fitness: fitness of a failed evaluation (``invalid``, ``nan``, ``error`` ...).
        seed: the run seed (root of every random stream).
        executor, workers: how evaluations are run (``serial``, ``process`` or ``ray``) and on
            how many workers; ``executor_params`` go to the executor (``threads_per_worker``,
            ``recycle_after``, ``gpus`` for process; ``address``, ``num_cpus``, ``num_gpus`` for ray).
        tensorboard: write per-generation scalars (and training curves, when the fitness
            reports them) under ``tensorboard/`` in the run directory.
        strategy: ``evolve`` (the genetic algorithm) or ``fixed``: train ``fixed_genome`` (a
            genome in JSON form) ``population_size`` times per generation with fresh seeds —
            a hand-picked baseline given the same compute per generation as evolution.
        multi_fidelity: successive halving inside each generation (see
            :mod:`evodeap.fidelity`): ``{"min_budget": r, "eta": η, "max_budget": R,
            "asynchronous": False}`` in epochs, or ``None`` (off). Epochs are then the
            fidelity, so the space's ``epochs`` gene, if any, must be fixed at ``R``.
        inheritance: offspring start from their parent's trained weights for every layer
            whose kind and shape match (Lamarckian); weights live in ``weights/`` of the
            run directory, pruned to the living population.
        early_termination: learning-curve early termination
            (:class:`evodeap.budget.EarlyTermination`): ``{"top_k": k, "min_epochs": 2}``
            or ``None`` (off).
        compute_budget: stop after the generation in which the run's training FLOPs
            (``train_flops_total`` of the logbook) reach this number (``None``: run all
            ``generations``).
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
    selection_params: dict[str, Any] = field(default_factory=lambda: {"beta": 5.0})
    survival: OperatorLike | None = None
    survival_params: dict[str, Any] = field(default_factory=dict)
    cxpb: float = 0.7
    mutpb: float = 1.0
    elitism: int = 1
    mutation_rate: Any = field(
        default_factory=lambda: {"name": "exponential_decay", "initial": 0.05, "rate": 0.05}
    )
    selection_pressure: Any = None
    refine_every: int = 0
    refine_top: float = 0.2
    refine_epsilon: float = 0.02
    refine_min_width: float = 0.1
    hall_of_fame_size: int = 5
    failure_fitness: float = -1.0
    seed: int = 0
    executor: str = "serial"
    workers: int = 1
    executor_params: dict[str, Any] = field(default_factory=dict)
    tensorboard: bool = False
    strategy: str = "evolve"
    fixed_genome: dict[str, Any] | None = None
    multi_fidelity: dict[str, Any] | None = None
    inheritance: bool = False
    early_termination: dict[str, Any] | None = None
    compute_budget: float | None = None

    def validate(self) -> "ExperimentConfig":
        """Check every field; raise :class:`ConfigError` (or a registry error) with a clear message."""
        from evodeap.engine import resolve_operators  # late import: engine imports config

        if not isinstance(self.space, SearchSpace):
            raise ConfigError(f"space must be a SearchSpace, got {type(self.space).__name__}")
        _require(isinstance(self.population_size, int) and self.population_size >= 2,
                 f"population_size must be an integer >= 2, got {self.population_size!r}")
        _require(isinstance(self.generations, int) and self.generations >= 0,
                 f"generations must be an integer >= 0, got {self.generations!r}")
        for name in ("cxpb", "mutpb", "refine_top"):
            value = getattr(self, name)
            _require(isinstance(value, (int, float)) and 0 <= value <= 1, f"{name} must be in [0, 1], got {value!r}")
        _require(self.refine_top > 0, "refine_top must be > 0")
        _require(isinstance(self.elitism, int) and 0 <= self.elitism < self.population_size,
                 f"elitism must be an integer in [0, population_size), got {self.elitism!r}")
        _require(isinstance(self.refine_every, int) and self.refine_every >= 0,
                 f"refine_every must be an integer >= 0, got {self.refine_every!r}")
        _require(self.refine_epsilon >= 0 and 0 < self.refine_min_width <= 1,
                 "refine_epsilon must be >= 0 and refine_min_width in (0, 1]")
        _require(isinstance(self.hall_of_fame_size, int) and self.hall_of_fame_size >= 1,
                 "hall_of_fame_size must be an integer >= 1")
        _require(isinstance(self.seed, int) and self.seed >= 0, f"seed must be an integer >= 0, got {self.seed!r}")
        _require(self.executor in EXECUTORS, f"executor must be one of {', '.join(EXECUTORS)}; got {self.executor!r}")
        _require(isinstance(self.workers, int) and self.workers >= 1, f"workers must be an integer >= 1, got {self.workers!r}")
        check_executor_params(self.executor, self.executor_params)
        _require(self.strategy in ("evolve", "fixed"), f"strategy must be 'evolve' or 'fixed', got {self.strategy!r}")
        if self.strategy == "fixed":
            _check_fixed_genome(self.fixed_genome, self.space)
        _require(isinstance(self.inheritance, bool), f"inheritance must be true or false, got {self.inheritance!r}")
        _check_budget_settings(self)
        _require(self.compute_budget is None or (isinstance(self.compute_budget, (int, float))
                                                 and not isinstance(self.compute_budget, bool)
                                                 and self.compute_budget > 0),
                 f"compute_budget must be a number of training FLOPs > 0 or null, got {self.compute_budget!r}")
        if self.tensorboard and importlib.util.find_spec("tensorboard") is None:
            raise ConfigError("tensorboard=True needs TensorBoard: pip install 'evodeap[tensorboard]'")
        resolve_operators(self)
        return self

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
            config = _apply_override(config, key, value)
        return config


def _check_fixed_genome(data: Any, space: SearchSpace) -> None:
    from evodeap.families import get_family
    from evodeap.genome import Genome

    _require(isinstance(data, Mapping), "strategy 'fixed' needs fixed_genome (a genome as a JSON object)")
    genome = Genome.from_dict(data)
    _require(genome.family == space.family,
             f"fixed_genome is a {genome.family} genome but the space's family is {space.family}")
    problems = get_family(genome.family).violations(genome)
    _require(not problems and len(genome) > 0, f"fixed_genome is not a valid {genome.family} genome: {problems}")
    missing = sorted(set(space.hyperparameters) - set(genome.hyperparameters))
    _require(not missing, f"fixed_genome lacks hyperparameters {missing}")


def _check_budget_settings(config: ExperimentConfig) -> None:
    from evodeap.budget import EarlyTermination
    from evodeap.fidelity import MultiFidelity
    from evodeap.space import Choice

    if config.early_termination is not None:
        EarlyTermination.from_config(config.early_termination)
    if config.multi_fidelity is None:
        return
    fidelity = MultiFidelity.from_config(config.multi_fidelity)
    _require(config.strategy == "evolve", "multi_fidelity needs strategy 'evolve'")
    epochs = config.space.hyperparameters.get("epochs")
    if epochs is not None:
        values = set(epochs.options) if isinstance(epochs, Choice) else {epochs.low, epochs.high}
        _require(values == {fidelity.max_budget},
                 f"multi_fidelity makes epochs the fidelity, so the 'epochs' gene must be fixed at max_budget="
                 f"{fidelity.max_budget}: set space.epochs.low and space.epochs.high to {fidelity.max_budget} "
                 f"(evodeap.fidelity.with_multi_fidelity does it)")


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise ConfigError(message)


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


def parse_value(text: str) -> Any:
    """``--set`` value: JSON if it parses (numbers, true/false/null, lists, objects), else a string."""
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def parse_assignments(items: list[str]) -> dict[str, Any]:
    """``["a=1", "b.c=x"]`` -> ``{"a": 1, "b.c": "x"}``; a clear error for malformed items."""
    result = {}
    for item in items:
        if "=" not in item or not item.split("=", 1)[0].strip():
            raise ConfigError(f"--set expects key=value, got {item!r}")
        key, text = item.split("=", 1)
        result[key.strip()] = parse_value(text.strip())
    return result


def _apply_override(config: ExperimentConfig, key: str, value: Any) -> ExperimentConfig:
    names = {f.name for f in dataclasses.fields(config)}
    head, _, rest = key.partition(".")
    if head not in names:
        raise ConfigError(f"unknown setting {head!r}; settings: {', '.join(sorted(names))}")
    current = getattr(config, head)
    if not rest:
        return dataclasses.replace(config, **{head: _coerce(head, current, value)})
    if head == "space":
        return dataclasses.replace(config, space=_override_space(current, rest, value))
    if isinstance(current, Mapping):
        return dataclasses.replace(config, **{head: _set_nested(dict(current), rest, value)})
    raise ConfigError(f"cannot set {key!r}: {head!r} is not a mapping")


def _coerce(name: str, current: Any, value: Any) -> Any:
    """Check a ``--set`` value against the type of the setting it replaces."""
    if isinstance(current, bool):
        if not isinstance(value, bool):
            raise ConfigError(f"{name} expects true or false, got {value!r}")
    elif isinstance(current, int):
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"{name} expects an integer, got {value!r}")
    elif isinstance(current, float):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ConfigError(f"{name} expects a number, got {value!r}")
        value = float(value)
    elif isinstance(current, str) and not isinstance(value, (str, dict)) and value is not None:
        raise ConfigError(f"{name} expects a name, got {value!r}")
    return value


def _set_nested(mapping: dict, path: str, value: Any) -> dict:
    head, _, rest = path.partition(".")
    if rest:
        inner = mapping.get(head, {})
        if not isinstance(inner, Mapping):
            raise ConfigError(f"cannot set {path!r}: {head!r} is not a mapping")
        mapping[head] = _set_nested(dict(inner), rest, value)
    else:
        mapping[head] = value
    return mapping


def _override_space(space: SearchSpace, path: str, value: Any) -> SearchSpace:
    """``space.family``, ``space.min_layers``, ``space.learning_rate.low``, ``space.conv.filters.high`` ..."""
    if path == "family":
        return space.with_family(value)
    if path in ("min_layers", "max_layers"):
        return dataclasses.replace(space, **{path: value})
    *gene, attr = path.split(".")
    gene_path = ".".join(gene)
    try:
        domain = space.domain(gene_path)
    except KeyError:
        raise ConfigError(f"unknown search-space gene {gene_path!r}; genes: {', '.join(space.gene_paths())}") from None
    if attr not in {f.name for f in dataclasses.fields(domain)}:
        raise ConfigError(f"{gene_path} has no attribute {attr!r}")
    if attr == "options":
        value = tuple(value)
    return space.with_domain(gene_path, dataclasses.replace(domain, **{attr: value}))


def resolve_fitness(config: ExperimentConfig) -> Callable:
    """The fitness object of ``config`` (named fitnesses are built from ``fitness_params``)."""
    if not isinstance(config.fitness, str):
        return config.fitness
    if config.fitness == "landscape":
        from evodeap.landscape import LandscapeFitness

        try:
            return LandscapeFitness(**config.fitness_params)
        except TypeError as exc:
            raise ConfigError(f"bad fitness_params for 'landscape': {exc}") from None
    try:
        from evodeap.fitness import make_fitness
    except ImportError:
        raise UnknownNameError(f"unknown fitness {config.fitness!r}; known: landscape") from None
    try:
        return make_fitness(config.fitness, **config.fitness_params)
    except EvodeapError:
        raise
    except TypeError as exc:
        raise ConfigError(f"bad fitness_params for {config.fitness!r}: {exc}") from None
