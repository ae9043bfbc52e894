"""Steady-state (asynchronous) evolution: regularized evolution over an executor's queue.

Generational evolution waits for a whole generation before it breeds the next (a barrier);
with many workers of unequal training times most of them wait. Steady-state evolution
(Real et al. 2019, "regularized evolution") breeds one child per finished evaluation, so
every worker is always busy. :func:`steady_state` runs it through any executor's
``imap_queue`` — serial, process, Ray or :class:`~evodeap.execution.simulated.SimulatedExecutor`:

1. ``K`` evaluations are kept in flight (``K = in_flight``, default the executor's
   ``workers``). The first ``P = population_size`` submissions are random genomes, drawn
   from the run's initialisation stream exactly as the generational engine draws its
   generation 0 (so they are the same genomes, with the same evaluation seeds);
2. each completed evaluation joins the population; aging: when the population already holds
   ``P`` members, the *oldest* is removed first (not the worst);
3. after each completion one new evaluation is submitted: a random genome while fewer than
   ``P`` have been submitted or none has completed (the first wave of ``K`` is random, also
   when ``K > P``), else a child — ``S = sample_size`` members drawn uniformly without
   replacement from the population, the one with the best primary objective ``w_0·f_0``
   (ties: the first drawn) is cloned and mutated with ``config.mutation`` (resolved once by
   :func:`evodeap.config.resolve.plan_run`, bound with its generation-0 rate and checked
   against the space by the operator contract);
4. budget: nothing more is submitted once ``max_evaluations`` have been submitted or the
   completed evaluations' training compute ``Σ extra["train_flops"]`` has reached
   ``compute_budget``; evaluations already in flight finish and are kept, so the spend may
   pass the compute budget by at most ``K`` evaluations.

Evaluation ``i`` (in submission order) is recorded as generation 0, index ``i``, with the
seed ``evaluation_seed(run seed, 0, i)``; the variation stream is the engine's. Given a seed
and an executor that yields results in a deterministic order (serial; simulated), the run is
deterministic. A failed evaluation gets the failure value and joins the population like any
other (it ranks last). Every child is trained, also one equal to an earlier genome.
"""
from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from evodeap.config.resolve import RunPlan, plan_run
from evodeap.config.settings import ExperimentConfig
from evodeap.engine.toolbox import RunToolbox
from evodeap.errors import ConfigError
from evodeap.evaluation.budget import evaluation_compute
from evodeap.evaluation.evaluator import EvaluationRecord, Evaluator
from evodeap.execution.global_random import preserved_global_random, seed_global_random


@dataclass
class SteadyStateResult:
    """What :func:`steady_state` returns.

    Attributes:
        records: every evaluation, in completion order.
        population: the final population, oldest first (individuals with their fitness).
        compute: ``Σ extra["train_flops"]`` of the records.
    """

    records: list[EvaluationRecord]
    population: list
    compute: float

    def best(self, primary: Callable[[tuple[float, ...]], float]) -> EvaluationRecord:
        """The record with the highest ``primary(fitness)`` (the first of equals)."""
        if not self.records:
            raise ConfigError("the steady-state run made no evaluation")
        return max(self.records, key=lambda r: primary(r.result.fitness))


def _check_budget(max_evaluations: Any, compute_budget: Any, sample_size: Any, in_flight: Any) -> None:
    def integer(value: Any) -> bool:
        return isinstance(value, int) and not isinstance(value, bool)

    if not integer(max_evaluations) or max_evaluations < 0:
        raise ConfigError(f"max_evaluations must be an integer >= 0, got {max_evaluations!r}")
    if compute_budget is not None and (isinstance(compute_budget, bool) or not compute_budget > 0):
        raise ConfigError(f"compute_budget must be a number > 0 or None, got {compute_budget!r}")
    if not integer(sample_size) or sample_size < 1:
        raise ConfigError(f"sample_size must be an integer >= 1, got {sample_size!r}")
    if not integer(in_flight) or in_flight < 1:
        raise ConfigError(f"in_flight must be an integer >= 1, got {in_flight!r}")


class _SteadyState:
    """The state of one steady-state run (see the module docstring)."""

    def __init__(self, config: ExperimentConfig, ops: RunPlan, executor: Any, sample_size: int,
                 on_evaluation: Callable[[EvaluationRecord], None] | None) -> None:
        init_seq, variation_seq = np.random.SeedSequence(config.seed).spawn(2)  # the engine's streams
        self.rng = np.random.default_rng(variation_seq)
        self.toolbox = RunToolbox(config, ops, space=config.space, rng=self.rng,
                                  init_rng=np.random.default_rng(init_seq), mu=None, beta=None).toolbox
        self.evaluator = Evaluator(seed=config.seed, fitness=ops.fitness, executor=executor,
                                   objectives=ops.objectives, on_evaluation=on_evaluation,
                                   timeout=config.evaluation_timeout)
        self.population_size = config.population_size
        self.sample_size = sample_size
        self.primary = ops.objectives.primary
        self.population: deque = deque()
        self.individuals: list = []  # by submission number

    def child(self) -> Any:
        """A mutated clone of the best of ``S`` members drawn without replacement."""
        members = list(self.population)
        drawn = self.rng.choice(len(members), size=min(self.sample_size, len(members)), replace=False)
        parent = max((members[int(i)] for i in drawn), key=lambda ind: self.primary(ind.fitness.values))
        child = self.toolbox.clone(parent)
        self.toolbox.mutate(child)
        del child.fitness.values
        return child

    def submit(self, queue: deque) -> None:
        breed = len(self.individuals) >= self.population_size and self.population
        individual = self.child() if breed else self.toolbox.individual()
        queue.append((len(self.individuals), self.evaluator.context(individual, 0)))
        self.individuals.append(individual)

    def join(self, individual: Any) -> None:
        """Add a finished individual; the oldest member leaves once the population is full."""
        if len(self.population) >= self.population_size:
            self.population.popleft()
        self.population.append(individual)


def steady_state(config: ExperimentConfig, *, executor: Any, fitness: Any = None, plan: RunPlan | None = None,
                 max_evaluations: int | None = None, compute_budget: float | None = None, sample_size: int = 5,
                 in_flight: int | None = None,
                 on_evaluation: Callable[[EvaluationRecord], None] | None = None) -> SteadyStateResult:
    """Run regularized (steady-state) evolution of ``config`` on an entered ``executor``.

    Args:
        config: the experiment: its space, ``population_size`` (``P``), ``mutation`` (and its
            parameters), fitness, seed and ``evaluation_timeout`` are used; generational
            settings (selection, crossover, elitism, refinement) are not.
        executor: an entered executor with ``imap_queue`` (e.g. ``SimulatedExecutor``).
        fitness: overrides ``config.fitness``.
        plan: ``config`` already validated and resolved by :func:`plan_run`.
        max_evaluations: evaluations to submit in all (default ``P·(generations + 1)``, the
            generational run's count).
        compute_budget: stop submitting once ``Σ extra["train_flops"]`` reaches it
            (default ``config.compute_budget``; ``None``: no compute limit).
        sample_size: ``S``, the tournament sample.
        in_flight: ``K``, evaluations kept in flight (default ``executor.workers``, else 1).
        on_evaluation: called with each record as soon as its result is in.

    Raises:
        ConfigError: a bad budget, sample size or ``in_flight``, or a config with
            ``multi_fidelity`` (every child here is trained fully).
    """
    plan = plan_run(config, fitness) if plan is None else plan
    if config.multi_fidelity:
        raise ConfigError("steady-state evolution trains every child fully; remove multi_fidelity")
    max_evaluations = config.population_size * (config.generations + 1) if max_evaluations is None else max_evaluations
    compute_budget = config.compute_budget if compute_budget is None else compute_budget
    in_flight = int(getattr(executor, "workers", 1)) if in_flight is None else in_flight
    _check_budget(max_evaluations, compute_budget, sample_size, in_flight)
    ops = plan
    with preserved_global_random():
        seed_global_random(config.seed, 0)  # for plain DEAP tools that draw from it
        run = _SteadyState(config, ops, executor, sample_size, on_evaluation)
        records: list[EvaluationRecord] = []
        spent = 0.0
        queue: deque = deque()
        for _ in range(min(in_flight, max_evaluations)):
            run.submit(queue)
        for number, record in run.evaluator.stream(queue):
            records.append(record)
            spent += evaluation_compute(record.result)["train_flops"]
            individual = run.individuals[number]
            individual.fitness.values = record.result.fitness
            run.join(individual)
            if len(run.individuals) < max_evaluations and (compute_budget is None or spent < compute_budget):
                run.submit(queue)
    return SteadyStateResult(records, list(run.population), spent)


__all__ = ["SteadyStateResult", "steady_state"]
