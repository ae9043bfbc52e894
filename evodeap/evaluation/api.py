"""The evaluation contract: what a fitness function receives and returns.

A fitness function is any picklable callable ``fitness(genome, context) -> EvalResult``.
It may say what its values mean (:class:`Objectives`): ``n_objectives``, DEAP ``weights``
and ``failure_fitness``, the fitness of a failed evaluation. The engine wraps every call in
:func:`run_evaluation`, which times it, turns an exception into a recorded ``error``
result (a failing model never stops a run) and gives every failed evaluation the failure
value, which ranks strictly below every trained model.

What a fitness may return (:func:`as_result`): an :class:`EvalResult`, a plain number or
a tuple of numbers (DEAP style) — NumPy scalars included. Numbers in ``fitness``,
``metrics`` and ``components`` are made plain Python numbers and ``extra`` plain, bounded
JSON (:mod:`evodeap.evaluation.plain`: circular references cut, huge integers made floats,
depth and size bounded), the message a string of at most :data:`MAX_MESSAGE` characters, so
every result can be stored and sent between processes; anything else (``None``, a string
metric, three values for a one-objective run ...) is recorded as an ``error`` whose message
names the fitness.

User code runs against copies and cannot leak process-wide changes into the run
(:func:`run_evaluation`): the fitness gets a deep copy of the genome (and of the context's
``weights_genome``), so what it does to them changes neither the stored genome nor its key,
and serial and process runs stay identical; the random states and the working directory are
restored after it (:func:`evodeap.execution.global_random.isolated_user_code`). Whatever it
raises is recorded with its real cause — ``SystemExit`` (``sys.exit``) included, as
``SystemExit(code)``; only ``KeyboardInterrupt`` (Ctrl-C) stops the run.
"""
from __future__ import annotations

import dataclasses
import math
import numbers
import time
from dataclasses import asdict, dataclass, field
from typing import Any, Callable, Mapping, Protocol

import numpy as np

from evodeap.errors import ConfigError
from evodeap.genome.genome import Genome
from evodeap.execution.global_random import isolated_user_code
from evodeap.execution.timeouts import EvaluationAbandoned
from evodeap.evaluation.plain import bounded_text, plain_count, plain_json, plain_number, plain_numbers, safe_str
from evodeap.evaluation.user_code import MAX_MESSAGE, failure_cause, own_copies
from evodeap.registry import display_name

STATUSES = ("ok", "invalid", "nan", "oom", "error", "timeout")


@dataclass(frozen=True)
class EvalContext:
    """What an evaluation may know besides the genome.

    Attributes:
        seed: the evaluation's seed, derived from (run seed, generation, index) — never
            from the worker — so results do not depend on how work is distributed.
        generation: generation number (0 = initial population).
        index: position of the genome in the generation's evaluation batch.
        budget: epochs the model should have been trained in all when this evaluation
            ends (a multi-fidelity rung); ``None``: the genome's own ``epochs`` gene.
        weights: a Keras ``.weights.h5`` file's bytes to start from (``None``: fresh
            initialisation) — a parent's trained weights (inheritance) or this genome's
            own weights from a lower rung (continuation).
        weights_genome: the genome (JSON form) ``weights`` belong to.
        trained_epochs: epochs ``weights`` were already trained *on this genome*
            (continuation; 0 for inherited or fresh weights).
        curve: the validation curve of that earlier training (continuation).
        stop_threshold: learning-curve early termination: stop when the validation
            curve cannot reach this value within the remaining budget (``None``: never).
        stop_min_epochs: epochs observed before early termination may stop a training.
        return_weights: send the trained weights back in ``EvalResult.weights``.
    """

    seed: int
    generation: int = 0
    index: int = 0
    budget: int | None = None
    weights: bytes | None = field(default=None, repr=False)
    weights_genome: dict[str, Any] | None = field(default=None, repr=False)
    trained_epochs: int = 0
    curve: tuple[float, ...] = ()
    stop_threshold: float | None = None
    stop_min_epochs: int = 2
    return_weights: bool = False


@dataclass
class EvalResult:
    """The outcome of one evaluation; every outcome, failures included, is one of these.

    Attributes:
        fitness: fitness value(s) as a tuple (one value, or (A, -T, R) for multi-objective).
        status: ``ok``, ``invalid`` (cannot build), ``nan`` (diverged), ``oom``, ``error`` or
            ``timeout`` (took longer than ``evaluation_timeout``; see :mod:`evodeap.execution.timeouts`).
        message: why it failed (empty when ok).
        metrics: e.g. ``{"val_accuracy": .., "test_f1": ..}`` (split-prefixed names).
        components: the fitness terms, e.g. ``{"A": .., "T": .., "R": ..}``.
        wall_time: seconds spent in the evaluation.
        n_params: parameter count of the model (0 when not built).
        seed: the seed the evaluation used.
        extra: any further JSON-able details (budget used, epochs run ...).
        weights: the trained model's ``.weights.h5`` bytes when the context asked for
            them; not part of :meth:`to_dict` (the master stores them as a file).
    """

    fitness: tuple[float, ...]
    status: str = "ok"
    message: str = ""
    metrics: dict[str, float] = field(default_factory=dict)
    components: dict[str, float] = field(default_factory=dict)
    wall_time: float = 0.0
    n_params: int = 0
    seed: int = 0
    extra: dict[str, Any] = field(default_factory=dict)
    weights: bytes | None = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        if isinstance(self.fitness, (numbers.Real, np.generic)):  # one objective given as a number
            self.fitness = (self.fitness,)
        self.fitness = tuple(float(v) for v in self.fitness)
        if self.status not in STATUSES:
            raise ValueError(f"unknown status {self.status!r}; one of {STATUSES}")

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("weights")
        data["fitness"] = list(self.fitness)
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "EvalResult":
        return cls(**{**data, "fitness": tuple(data["fitness"])})

    @classmethod
    def failure(
        cls, status: str, message: str, penalty: tuple[float, ...] = (), seed: int = 0, **kwargs: Any
    ) -> "EvalResult":
        """A failed evaluation: its ``status`` and ``message`` (and any metrics, extra …).

        A fitness reports only *that* and *why* an evaluation failed; the failure *value* is
        written by one writer, the evaluation layer (:meth:`Objectives.with_failure_value`,
        called by :func:`run_evaluation` with the run's :class:`Objectives`). The fitness
        declares that value through its ``failure_fitness`` attribute. ``penalty`` is
        accepted for fitnesses written before: whatever it holds is replaced by the run's
        failure value. Until then the fitness is ``penalty`` (default: no value, ``()``).
        """
        return cls(fitness=penalty, status=status, message=message, seed=seed, **kwargs)


class Fitness(Protocol):
    """Anything that evaluates a genome.

    Optional attributes, read by :meth:`Objectives.of`: ``n_objectives`` (default 1),
    ``weights`` (DEAP weights, default ``(1.0,) * n_objectives``: every objective
    maximised), ``failure_fitness`` (the value of a failed evaluation, strictly worse than
    any value the fitness gives a trained model) and ``objective_names``.
    """

    def __call__(self, genome: Genome, context: EvalContext) -> EvalResult: ...


#: failure value of a fitness that declares none, in the direction of each weight
DEFAULT_FAILURE = -1.0


@dataclass(frozen=True)
class Objectives:
    """What a fitness's values mean, and the one value every failed evaluation gets.

    With weights ``w`` (DEAP's: ``w_i > 0`` maximises objective ``i``, ``w_i < 0`` minimises
    it) and failure value ``f``, a trained model's values ``v`` must satisfy

        ``w_i · v_i > w_i · f_i``  for every objective ``i``,

    so a failure is strictly worse than every trained model in *each* objective: below it
    for any selection that reads one objective or a positive combination of them, and
    dominated by it for Pareto ranking (NSGA-II) — whatever the operator.

    Attributes:
        weights: one finite, non-zero DEAP weight per objective.
        failure: the failure value, one finite number per objective (JSON-safe: it is
            stored in checkpoints and the results database like any fitness).
        names: a name per objective, for reports.
    """

    weights: tuple[float, ...]
    failure: tuple[float, ...]
    names: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "weights", tuple(float(w) for w in self.weights))
        object.__setattr__(self, "failure", tuple(float(v) for v in self.failure))
        n = len(self.weights)
        if n < 1 or not all(math.isfinite(w) and w != 0 for w in self.weights):
            raise ConfigError(f"fitness weights must be one finite, non-zero number per objective, got {self.weights}")
        if len(self.failure) != n or not all(math.isfinite(v) for v in self.failure):
            raise ConfigError(f"the failure fitness must be {n} finite number(s) (one per objective), got {self.failure}")
        names = tuple(self.names) or (("F",) if n == 1 else tuple(f"f{i}" for i in range(n)))
        if len(names) != n:
            raise ConfigError(f"{len(names)} objective names for {n} objectives: {names}")
        object.__setattr__(self, "names", names)

    @property
    def n(self) -> int:
        """The number of objectives."""
        return len(self.weights)

    def outranks_failure(self, values: tuple[float, ...]) -> bool:
        """``w_i · v_i > w_i · f_i`` for every objective (and one value per objective)."""
        return len(values) == self.n and all(
            w * v > w * f for w, v, f in zip(self.weights, values, self.failure))

    def with_failure_value(self, result: EvalResult) -> EvalResult:
        """``result`` with the failure value :attr:`failure` as its fitness when it failed
        (unchanged when ``ok``): the one writer of the value a failed evaluation gets,
        whatever value, if any, the fitness put there."""
        if not result.ok:
            result.fitness = self.failure
        return result

    def failed(self, status: str, message: str, **kwargs: Any) -> EvalResult:
        """A failed :class:`EvalResult` (``status``, ``message``, ``kwargs`` as for
        :meth:`EvalResult.failure`) carrying this run's failure value."""
        return self.with_failure_value(EvalResult.failure(status, message, **kwargs))

    def primary(self, values: tuple[float, ...]) -> float:
        """``w_0 · v_0``: the first objective, larger is better (successive halving ranks by it)."""
        return self.weights[0] * values[0]

    @staticmethod
    def in_direction(value: float, weights: tuple[float, ...]) -> tuple[float, ...]:
        """``value`` for each maximised objective and ``−value`` for each minimised one, so
        ``w_i · f_i = value · |w_i|``: a low ``value`` is a bad result in every objective."""
        return tuple(float(value) if w > 0 else -float(value) for w in weights)

    @classmethod
    def of(cls, fitness: Any, failure_fitness: float | None = None) -> "Objectives":
        """The objectives a fitness declares, with ``failure_fitness`` (a number, see
        :meth:`in_direction`) as the failure value of a fitness that declares none, or in
        place of a declared one it does not raise above (``None``: the declared one, else
        :data:`DEFAULT_FAILURE`).

        Raises:
            ConfigError: inconsistent declarations, or a ``failure_fitness`` above the
                fitness's own failure value in some objective (failures could then outrank
                trained models).
        """
        n = getattr(fitness, "n_objectives", None)
        weights = getattr(fitness, "weights", None)
        if weights is None:
            if n is not None and (isinstance(n, bool) or not isinstance(n, int) or n < 1):
                raise ConfigError(f"the fitness's n_objectives must be an integer >= 1, got {n!r}")
            weights = (1.0,) * (n or 1)
        weights = tuple(weights)
        if n is not None and n != len(weights):
            raise ConfigError(f"the fitness declares n_objectives={n} but {len(weights)} weights {weights}")
        names = tuple(getattr(fitness, "objective_names", ()) or ())
        declared = getattr(fitness, "failure_fitness", None)
        if declared is None:
            value = DEFAULT_FAILURE if failure_fitness is None else failure_fitness
            return cls(weights, cls.in_direction(value, weights), names)
        own = cls(weights, tuple(declared), names)
        if failure_fitness is None:
            return own
        chosen = cls(weights, cls.in_direction(failure_fitness, weights), names)
        if any(w * c > w * f for w, c, f in zip(weights, chosen.failure, own.failure)):
            raise ConfigError(
                f"failure_fitness={failure_fitness} would rank failed evaluations above trained models: "
                f"the fitness's own failure value is {own.failure}; leave failure_fitness unset (null) "
                f"or choose a lower value")
        return chosen


def evaluation_seed(run_seed: int, generation: int, index: int) -> int:
    """Seed of evaluation ``index`` in ``generation``: a hash of the three numbers.

    ``SeedSequence([run_seed, 0xE7A1, generation, index])`` — independent of worker identity,
    so serial and parallel runs give identical results.
    """
    seq = np.random.SeedSequence([int(run_seed), 0xE7A1, int(generation), int(index)])
    return int(seq.generate_state(1, dtype=np.uint32)[0])


def genome_seed(run_seed: int, key: str) -> int:
    """Seed for evaluating a genome outside the engine's loop (e.g. in ``deap.algorithms``).

    Derived from the run seed and the genome's key, so the same genome always gets the same seed.
    """
    seq = np.random.SeedSequence([int(run_seed), 0xDEA9, int(key, 16) % (2**63)])
    return int(seq.generate_state(1, dtype=np.uint32)[0])


def as_result(outcome: Any, context: EvalContext) -> EvalResult:
    """What a fitness returned as an :class:`EvalResult` of plain values.

    Accepted: an ``EvalResult``; a real number ``f`` (``→ EvalResult((f,))``); a tuple or
    list of real numbers (DEAP's fitness tuple). NumPy scalars and one-element arrays
    count as numbers. ``TypeError`` (a sentence to follow the fitness's name) for anything
    else and for non-numeric metrics or components. (How many values, and whether they
    outrank the failure value, :func:`run_evaluation` checks.)
    """
    if isinstance(outcome, EvalResult):
        result = EvalResult(fitness=(), **{f.name: getattr(outcome, f.name) for f in _FIELDS if f.name != "fitness"})
        result.fitness = outcome.fitness  # a plain EvalResult, whatever subclass the fitness made
    elif isinstance(outcome, (numbers.Real, np.generic, tuple, list)) and not isinstance(outcome, (bool, np.bool_)):
        values = outcome if isinstance(outcome, (tuple, list)) else (outcome,)
        result = EvalResult(tuple(plain_number(v, "the fitness value") for v in values), seed=context.seed)
    else:
        raise TypeError(f"returned {type(outcome).__name__} {safe_str(outcome, 60, repr)}; a fitness returns an "
                        f"EvalResult, a number or a tuple of numbers")
    if result.status not in STATUSES:
        raise ValueError(f"status {safe_str(result.status, 60)!r} is not one of {STATUSES}")
    result.fitness = tuple(plain_number(v, "the fitness value") for v in result.fitness)
    result.metrics = plain_numbers(result.metrics, "metrics")
    result.components = plain_numbers(result.components, "components")
    if not isinstance(result.extra, dict):
        raise TypeError(f"extra is a {type(result.extra).__name__}, not a dict")
    result.extra = plain_json(result.extra)
    result.message = bounded_text(safe_str(result.message, MAX_MESSAGE), MAX_MESSAGE)
    result.n_params = plain_count(result.n_params, "n_params")
    wall_time = float(plain_number(result.wall_time, "wall_time"))
    result.wall_time = wall_time if math.isfinite(wall_time) and wall_time >= 0 else 0.0
    result.seed = plain_count(result.seed, "seed")
    if result.weights is not None and not isinstance(result.weights, bytes):
        raise TypeError(f"weights is a {type(result.weights).__name__}, not bytes")
    return result


_FIELDS = dataclasses.fields(EvalResult)


def run_evaluation(
    fitness: Callable[[Genome, EvalContext], EvalResult],
    genome: Genome,
    context: EvalContext,
    objectives: Objectives | None = None,
) -> EvalResult:
    """Call ``fitness`` safely: time it, and record any exception as an ``error`` result.

    Every failed result gets the failure value ``objectives.failure`` (default: what the
    fitness declares, :meth:`Objectives.of`), written here and only here
    (:meth:`Objectives.with_failure_value`): a fitness reports a failed status, and a value
    it still puts in a failed result is replaced. An ``ok`` result with a non-finite fitness
    becomes ``nan``; one whose fitness does not outrank the failure value in every
    objective (or has the wrong number of values) becomes ``error``, saying so — the
    fitness's declared failure value was not below its range.
    """
    objectives = objectives if objectives is not None else Objectives.of(fitness)
    start = time.perf_counter()
    try:
        with isolated_user_code():  # a fitness that reseeds or changes folder cannot move the master's
            outcome = fitness(*own_copies(genome, context))
            result = _returned(outcome, fitness, context)
    except (KeyboardInterrupt, GeneratorExit, EvaluationAbandoned):
        raise  # Ctrl-C stops the run; an abandoned evaluation's thread ends
    except MemoryError as exc:
        result = EvalResult.failure("oom", f"MemoryError: {safe_str(exc)}", seed=context.seed)
    except BaseException as exc:  # a failing model is a result, never a crashed run (sys.exit included)
        result = EvalResult.failure("error", failure_cause(exc), seed=context.seed)
    if result.ok:
        result = _checked_values(result, fitness, objectives, context)
    if not result.wall_time:
        result.wall_time = time.perf_counter() - start
    return objectives.with_failure_value(result)


def _returned(outcome: Any, fitness: Any, context: EvalContext) -> EvalResult:
    """:func:`as_result` of what ``fitness`` returned, or the ``error`` result that says why it
    cannot be one (naming the fitness)."""
    try:
        return as_result(outcome, context)
    except Exception as exc:  # TypeError, ValueError … or user code in a returned object
        cause = safe_str(exc, MAX_MESSAGE) if isinstance(exc, (TypeError, ValueError)) else failure_cause(exc)
        return EvalResult.failure("error", f"fitness {display_name(fitness)}: {cause}", seed=context.seed)


def _checked_values(result: EvalResult, fitness: Any, objectives: Objectives, context: EvalContext) -> EvalResult:
    """An ``ok`` result whose values are finite and outrank the failure value in every
    objective, or the failed result (``nan`` / ``error``) that says why not."""
    if not all(math.isfinite(v) for v in result.fitness):
        return EvalResult.failure(
            "nan", f"non-finite fitness {result.fitness}", seed=context.seed,
            metrics=result.metrics, components=result.components, n_params=result.n_params,
        )
    if objectives.outranks_failure(result.fitness):
        return result
    if len(result.fitness) != objectives.n:
        why = f"{len(result.fitness)} value(s) {result.fitness} for {objectives.n} objective(s)"
    else:
        why = (f"{result.fitness} for a trained model, which does not outrank the failure value "
               f"{objectives.failure} in every objective (weights {objectives.weights}): declare a "
               f"failure_fitness below every value the fitness can return")
    return EvalResult.failure(
        "error", f"fitness {display_name(fitness)}: returned {why}", seed=context.seed, metrics=result.metrics,
        components=result.components, n_params=result.n_params, wall_time=result.wall_time, extra=result.extra,
    )
