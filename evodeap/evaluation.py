"""The evaluation contract: what a fitness function receives and returns.

A fitness function is any picklable callable ``fitness(genome, context) -> EvalResult``.
The engine wraps every call in :func:`run_evaluation`, which times it and turns an
exception into a recorded ``error`` result, so a failing model never stops a run.

What a fitness may return (:func:`as_result`): an :class:`EvalResult`, a plain number or
a tuple of numbers (DEAP style) — NumPy scalars included. Numbers in ``fitness``,
``metrics`` and ``components`` are made plain Python numbers and ``extra`` plain JSON, so
every result can be stored; anything else (``None``, a string metric, three values for a
one-objective run ...) is recorded as an ``error`` whose message names the fitness.
"""
from __future__ import annotations

import math
import numbers
import time
from dataclasses import asdict, dataclass, field
from typing import Any, Callable, Mapping, Protocol

import numpy as np

from evodeap.errors import raised_at
from evodeap.genome import Genome
from evodeap.global_random import preserved_global_random
from evodeap.plain import plain_json, plain_number, plain_numbers
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
            ``timeout`` (took longer than ``evaluation_timeout``; see :mod:`evodeap.timeouts`).
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
        cls, status: str, message: str, penalty: tuple[float, ...], seed: int = 0, **kwargs: Any
    ) -> "EvalResult":
        """A failed evaluation with the penalty fitness."""
        return cls(fitness=penalty, status=status, message=message, seed=seed, **kwargs)


class Fitness(Protocol):
    """Anything that evaluates a genome. ``n_objectives`` defaults to 1."""

    def __call__(self, genome: Genome, context: EvalContext) -> EvalResult: ...


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


def as_result(outcome: Any, context: EvalContext, n_objectives: int) -> EvalResult:
    """What a fitness returned as an :class:`EvalResult` of plain values.

    Accepted: an ``EvalResult``; a real number ``f`` (``→ EvalResult((f,))``); a tuple or
    list of real numbers (DEAP's fitness tuple). NumPy scalars and one-element arrays
    count as numbers. ``TypeError``/``ValueError`` (a sentence to follow the fitness's
    name) for anything else, for non-numeric metrics or components, and for a fitness of
    another length than ``n_objectives``.
    """
    if isinstance(outcome, EvalResult):
        result = outcome
    elif isinstance(outcome, (numbers.Real, np.generic, tuple, list)) and not isinstance(outcome, (bool, np.bool_)):
        values = outcome if isinstance(outcome, (tuple, list)) else (outcome,)
        result = EvalResult(tuple(plain_number(v, "the fitness value") for v in values), seed=context.seed)
    else:
        raise TypeError(f"returned {type(outcome).__name__} {_short(outcome)}; a fitness returns an EvalResult, "
                        f"a number or a tuple of numbers")
    result.fitness = tuple(plain_number(v, "the fitness value") for v in result.fitness)
    if len(result.fitness) != n_objectives:
        raise ValueError(f"returned {len(result.fitness)} fitness values {result.fitness}, but the run has "
                         f"{n_objectives} objective(s) (set the fitness's n_objectives)")
    result.metrics = plain_numbers(result.metrics, "metrics")
    result.components = plain_numbers(result.components, "components")
    result.extra = plain_json(result.extra)
    result.n_params = int(plain_number(result.n_params, "n_params"))
    result.wall_time = float(plain_number(result.wall_time, "wall_time"))
    result.seed = int(plain_number(result.seed, "seed"))
    return result


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def run_evaluation(
    fitness: Callable[[Genome, EvalContext], EvalResult],
    genome: Genome,
    context: EvalContext,
    penalty: tuple[float, ...] = (-1.0,),
) -> EvalResult:
    """Call ``fitness`` safely: time it, and record any exception as an ``error`` result.

    A non-finite fitness from an ``ok`` evaluation becomes status ``nan`` with the penalty.
    """
    start = time.perf_counter()
    try:
        with preserved_global_random():  # a fitness that reseeds must not reset the master's streams
            outcome = fitness(genome, context)
    except MemoryError as exc:
        result = EvalResult.failure("oom", f"MemoryError: {exc}", penalty, seed=context.seed)
    except Exception as exc:  # a failing model is a result, never a crashed run
        result = EvalResult.failure(
            "error", f"{type(exc).__name__}: {exc}{raised_at(exc)}", penalty, seed=context.seed
        )
    else:
        try:
            result = as_result(outcome, context, len(penalty))
        except (TypeError, ValueError) as exc:
            result = EvalResult.failure("error", f"fitness {display_name(fitness)}: {exc}", penalty, seed=context.seed)
    if result.status == "ok" and not all(math.isfinite(v) for v in result.fitness):
        result = EvalResult.failure(
            "nan", f"non-finite fitness {result.fitness}", penalty, seed=context.seed,
            metrics=result.metrics, components=result.components, n_params=result.n_params,
        )
    if not result.wall_time:
        result.wall_time = time.perf_counter() - start
    return result
