"""The evolutionary engine's generational loop: :func:`evolve`.

Its parts live beside it: the toolbox (:mod:`evodeap.engine.toolbox`), the ``fixed``
and ``random`` strategies (:mod:`evodeap.engine.fixed`), the checkpointed state and resume
(:mod:`evodeap.engine.state`), the logbook row and the result (:mod:`evodeap.engine.records`).

One generation ``t ≥ 1`` of :func:`evolve`:

0. Python's and NumPy's global random states are seeded from (run seed, ``t``), for plain
   DEAP tools that draw from them (:mod:`evodeap.execution.global_random`);
1. statistics of the current population give ``μ(t)`` and ``β(t)`` (one source each,
   :mod:`evodeap.config.rates`), which are bound into ``toolbox.mutate`` (``indpb``) and
   ``toolbox.select`` (``beta``);
2. every ``k`` generations the search space is refined around the top ``q`` (and the
   variation operators are rebound to the new space);
3. ``elitism`` best individuals are copied unchanged; parents are selected, cloned,
   recombined with probability ``cxpb`` per pair and mutated with probability ``mutpb``;
   every operator call is checked against the operator contract (:mod:`evodeap.operators.contract`),
   and a copy no operator changed that lies outside the (refined) space is repaired into
   it — so every offspring lies inside the space in force; elites and surviving parents
   are kept as they are; with ``screening``, ``F×`` as many candidates are bred (a fraction
   of them random genomes) and the places go to those a surrogate fitted on the evaluations
   so far ranks best (:mod:`evodeap.evaluation.screening`);
4. changed offspring are evaluated through ``toolbox.map`` — a genome whose key was seen
   before in the run is not evaluated again (cache) — with per-evaluation seeds derived
   from (run seed, generation, index); too many failures stop the run
   (:mod:`evodeap.evaluation.failures`);
5. the next population is elites + offspring (or ``survival(parents + offspring, n)``);
   the hall of fame, logbook and callback see it.

Every name of the config is resolved once, before generation 0
(:func:`evodeap.config.resolve.plan_run`), and the run's toolbox
(:class:`evodeap.engine.toolbox.RunToolbox`) is built
once from those objects; per generation only μ(t), β(t) and — after a refinement — the
space are rebound. A failed evaluation gets the fitness's failure value
(:class:`evodeap.evaluation.api.Objectives`), strictly worse than every trained model in
every objective, so no selection, survival, hall of fame or report ranks it above one.
"""
from __future__ import annotations

import tempfile
import time
from typing import Any, Callable

import numpy as np
from deap import tools

from evodeap.config.rates import value_at
from evodeap.config.resolve import RunPlan, plan_run
from evodeap.config.settings import ExperimentConfig, executor_name
from evodeap.engine.fixed import evaluate_continued, run_fixed, run_random
from evodeap.engine.records import (LOGBOOK_FIELDS, EvolutionResult, GenerationReport, logbook_row,
                                    population_stats)
from evodeap.engine.state import ResumeState, engine_state, restore_engine_state
from evodeap.engine.toolbox import RunToolbox, build_toolbox
from evodeap.errors import ConfigError
from evodeap.evaluation.evaluator import EvaluationRecord, Evaluator, resume_state_of
from evodeap.evaluation.failures import check_generation
from evodeap.evaluation.fidelity import MultiFidelity
from evodeap.evaluation.rungs import successive_halving
from evodeap.evaluation.screening import screen
from evodeap.evaluation.weights import WeightStore
from evodeap.execution.executors import make_executor
from evodeap.execution.global_random import preserved_global_random, seed_global_random
from evodeap.execution.timeouts import check_executor_timeout
from evodeap.genome.genome import Genome
from evodeap.operators.refinement import Refinement, refine_space
from evodeap.operators.schedules import PopulationStats
from evodeap.registry import display_name
from evodeap.results.history import describe_mutation, operator_name, variation_record

__all__ = ["evolve"]


def _weight_store(config: ExperimentConfig, fidelity: MultiFidelity | None, weights_dir: str | None,
                  owner: Any) -> WeightStore | None:
    """Where the run keeps trained weights (``None``: it keeps none). Without ``weights_dir``
    an in-memory run gets a temporary folder that lives as long as ``owner``."""
    continued = config.strategy == "fixed" and config.fixed_schedule == "continue"
    if not (config.inheritance or fidelity is not None or continued):
        return None
    if weights_dir is None:
        owner._scratch = tempfile.TemporaryDirectory(prefix="evodeap-weights-")
        weights_dir = owner._scratch.name
    return WeightStore(weights_dir)


class _Evolution:
    """State of one run of :func:`evolve` (kept in one object so the loop reads plainly).

    It is :class:`~evodeap.stateful.Stateful`: :meth:`get_state` / :meth:`set_state` save and
    restore it after a completed generation (:mod:`evodeap.engine.state`).
    """

    def __init__(self, plan: RunPlan, executor: Any,
                 callback: Callable[[GenerationReport], None] | None,
                 on_evaluation: Callable[[EvaluationRecord], None] | None = None,
                 on_checkpoint: Callable[[dict[str, Any]], None] | None = None,
                 weights_dir: str | None = None) -> None:
        config = plan.config
        self.config, self.ops, self.executor = config, plan, executor
        self.fitness, self.objectives, self.individual = plan.fitness, plan.objectives, plan.individual
        self.callback, self.on_checkpoint = callback, on_checkpoint
        init_seq, variation_seq = np.random.SeedSequence(config.seed).spawn(2)
        self.init_rng = np.random.default_rng(init_seq)
        self.rng = np.random.default_rng(variation_seq)
        self.space = config.space
        self.fidelity = plan.fidelity
        self.evaluator = Evaluator(
            seed=config.seed, fitness=self.fitness, executor=executor, objectives=self.objectives,
            fidelity=self.fidelity, stopping=plan.stopping,
            store=_weight_store(config, self.fidelity, weights_dir, self), inheritance=config.inheritance,
            on_evaluation=on_evaluation, timeout=config.evaluation_timeout,
        )
        self.refinements: list[tuple[int, Refinement]] = []
        self.logbook = tools.Logbook()
        self.logbook.header = LOGBOOK_FIELDS
        if self.objectives.n > 1:
            self.hof = tools.ParetoFront()
        elif config.strategy == "fixed":  # one genome trained many times: keep its best trainings
            self.hof = tools.HallOfFame(config.hall_of_fame_size, similar=_never_similar)
        else:
            self.hof = tools.HallOfFame(config.hall_of_fame_size)
        self.generation, self.population = -1, []  # the last recorded generation and its population
        self.elapsed_before = 0.0
        self.start = time.perf_counter()
        self.mu, self.beta = self._rates(0, None)
        self.run_toolbox = RunToolbox(config, plan, space=self.space, rng=self.rng, init_rng=self.init_rng,
                                      mu=self.mu, beta=self.beta, map_fn=executor.map)
        self.toolbox = self.run_toolbox.toolbox
        self.contract = self.run_toolbox.contract

    def _rates(self, generation: int, stats: PopulationStats | None) -> tuple[float | None, float | None]:
        """(μ, β) bound into the operators for ``generation`` — what the logbook shows."""
        return (value_at(self.ops.mutation_rate, generation, stats),
                value_at(self.ops.selection_pressure, generation, stats))

    def _rebind(self) -> None:
        """Bind the space, μ and β now in force into the run's toolbox."""
        self.run_toolbox.rebind(space=self.space, mu=self.mu, beta=self.beta)

    # -- state ---------------------------------------------------------------------------
    def get_state(self) -> dict[str, Any]:
        """Everything needed to continue after the last recorded generation exactly (plain JSON;
        :func:`evodeap.engine.state.engine_state`)."""
        return engine_state(self)

    def set_state(self, state: dict[str, Any]) -> None:
        """Restore :meth:`get_state` output (``self.population`` and ``self.generation`` too)."""
        restore_engine_state(self, state)
        self._rebind()

    def elapsed(self) -> float:
        return self.elapsed_before + time.perf_counter() - self.start

    # -- evaluation -----------------------------------------------------------------------
    def evaluate(self, individuals: list, generation: int, survivors: int | None = None,
                 use_cache: bool = True) -> tuple[list, list[EvaluationRecord], int]:
        """Fitness for ``individuals``; returns (the individuals to keep, new records, cache hits).

        Without multi-fidelity every individual is kept; with it, ``individuals`` are the
        candidates of successive halving (:mod:`evodeap.evaluation.rungs`) and the best
        ``survivors`` are kept.
        """
        bred = len(individuals)
        if self.fidelity is None:
            new, hits = self.evaluator.evaluate(individuals, generation, use_cache)
        else:
            individuals, new, hits = successive_halving(self.evaluator, individuals, generation,
                                                        survivors or len(individuals))
        check_generation(new, bred, generation, self.config.max_failure_fraction, display_name(self.fitness))
        return individuals, new, hits

    def record(self, generation: int, population: list, new: list[EvaluationRecord], hits: int,
               refinement: Refinement | None = None, offspring: list | None = None) -> dict[str, Any]:
        """Log ``population`` as generation ``generation``; then the callback, the checkpoint, the weights' pruning."""
        self.hof.update(population)
        stats = population_stats(population, self.space)
        record = logbook_row(generation, population, new, hits=hits, repaired=self.contract.take_repaired(),
                             stats=stats, mu=self.mu, beta=self.beta, elapsed=self.elapsed(),
                             previous=self.logbook[-1] if len(self.logbook) else None)
        self.logbook.record(**record)
        self.recorded = (population, stats)
        self.generation, self.population = generation, population
        if self.callback is not None:
            self.callback(GenerationReport(generation, population, record, new, self.space, self.hof, refinement,
                                           offspring or []))
        if self.on_checkpoint is not None:
            self.on_checkpoint(self.get_state())
        if self.evaluator.store is not None:  # after the checkpoint: a resume needs the parents' files
            self.evaluator.store.prune({ind.key() for ind in population})
        return record
    def refine(self, generation: int, population: list) -> Refinement | None:
        every = self.config.refine_every
        if not every or generation % every:
            return None
        ranked = sorted(population, key=lambda ind: ind.fitness.wvalues[0], reverse=True)
        elites = ranked[: max(2, int(round(self.config.refine_top * len(population))))]
        refinement = refine_space(self.space, elites, self.config.space,
                                  self.config.refine_epsilon, self.config.refine_min_width)
        self.space = refinement.space
        self.refinements.append((generation, refinement))
        return refinement

    def vary(self, parents: list, generation: int) -> list:
        """Offspring of ``parents``; each carries ``variation`` (its parents' keys and the
        operators that made it, see :mod:`evodeap.results.history`)."""
        toolbox = self.toolbox
        offspring = [toolbox.clone(ind) for ind in parents]
        made = [variation_record([parent]) for parent in parents]
        for i in range(1, len(offspring), 2):
            if self.rng.random() < self.config.cxpb:
                toolbox.mate(offspring[i - 1], offspring[i])
                for child in (offspring[i - 1], offspring[i]):
                    del child.fitness.values
                made[i - 1] = variation_record([parents[i - 1], parents[i]], operator_name(self.config.crossover))
                made[i] = variation_record([parents[i], parents[i - 1]], operator_name(self.config.crossover))
        for child, record in zip(offspring, made):
            if self.rng.random() < self.config.mutpb:
                before = child.plain()
                toolbox.mutate(child)
                del child.fitness.values
                record.update(mutation=operator_name(self.config.mutation), mutated=describe_mutation(before, child))
        for child, parent, record in zip(offspring, parents, made):
            child.variation = record
            child.inherit_from = parent.plain()  # whose trained weights it may start from
            if child.fitness.valid and self.contract.confine(child):  # an unvaried copy of a parent
                del child.fitness.values                                # outside a refined space
            if not child.fitness.valid:
                if child == parent:  # variation left it unchanged: keep its known fitness
                    child.fitness.values = parent.fitness.values
                else:
                    child.birth = generation
        return offspring

    def step(self, generation: int, population: list) -> list:
        recorded, stats = getattr(self, "recorded", (None, None))
        if recorded is not population:  # e.g. just restored from a checkpoint
            stats = population_stats(population, self.space)
        self.mu, self.beta = self._rates(generation, stats)
        refinement = self.refine(generation, population)
        self._rebind()
        n = len(population)
        if self.ops.survive is None:
            elite_count = self.config.elitism
            elites = [self.toolbox.clone(ind) for ind in tools.selBest(population, elite_count)] if elite_count else []
            made = self.breed(population, self._candidates(n - elite_count), generation)
            offspring, new, hits = self.evaluate(made, generation, n - elite_count)
            next_population = elites + offspring
        else:
            made = self.breed(population, self._candidates(n), generation)
            offspring, new, hits = self.evaluate(made, generation, n)
            next_population = [self.toolbox.clone(ind) for ind in self.toolbox.survive(population + offspring, n)]
        self.record(generation, next_population, new, hits, refinement, made)
        return next_population

    def breed(self, population: list, places: int, generation: int) -> list:
        """``places`` offspring of ``population``: selected, recombined and mutated — with
        ``screening``, ``factor × places`` bred and the best ``places`` kept
        (:mod:`evodeap.evaluation.screening`)."""
        screening = self.ops.screening
        if screening is None:
            return self.vary(self.toolbox.select(population, places), generation)
        drawn = screening.random_count(places)
        bred = self.vary(self.toolbox.select(population, screening.factor * places - drawn), generation)
        for _ in range(drawn):  # random candidates: drawn from the variation stream, in the space in force
            child = self.space.sample_genome(self.rng, birth=generation, cls=self.individual)
            child.variation = variation_record([], mutation="random")
            bred.append(child)
        return screen(bred, places, screening, self.space, self.evaluator.evaluations, self.evaluator.cache,
                      self.objectives.weights[0])

    def _candidates(self, survivors: int) -> int:
        """Offspring to produce for ``survivors`` places (``S·η^K`` with multi-fidelity)."""
        return survivors if self.fidelity is None else self.fidelity.candidates(survivors)

    def run(self, resume: ResumeState | None = None) -> EvolutionResult:
        """Evolve (or continue) the run; the caller's global random states are given back."""
        with preserved_global_random():
            return self._run(resume)

    def _resume(self, resume: ResumeState) -> int:
        """Restore the checkpoint, the logbook rows and the evaluator; returns the first generation to run."""
        done = -1
        if resume.checkpoint is not None:
            self.set_state(resume.checkpoint)
            for row in resume.logbook_rows():
                self.logbook.record(**row)
            done = self.generation
        self.evaluator.set_state(resume_state_of(resume.evaluations, done, retry_failures=resume.retry_failures))
        return done + 1

    def _run(self, resume: ResumeState | None) -> EvolutionResult:
        first = 1 if resume is None else self._resume(resume)
        if self.config.strategy == "fixed":
            return run_fixed(self, first if resume is not None and resume.checkpoint is not None else 0)
        if self.config.strategy == "random":
            return run_random(self, first if resume is not None and resume.checkpoint is not None else 0)
        if resume is not None and resume.checkpoint is not None:
            population = self.population
        else:
            seed_global_random(self.config.seed, 0)
            n = self.config.population_size
            population, new, hits = self.evaluate(self.toolbox.population(self._candidates(n)), 0, n)
            stats = population_stats(population, self.space)
            self.mu, self.beta = self._rates(0, stats)
            self.record(0, population, new, hits)
            first = 1
        for generation in range(first, self.config.generations + 1):
            if self.budget_spent():
                break
            seed_global_random(self.config.seed, generation)  # plain DEAP tools draw from it
            population = self.step(generation, population)
        return self.result(population)

    def budget_spent(self) -> bool:
        """True once the run's training FLOPs have reached ``config.compute_budget``."""
        budget = self.config.compute_budget
        return budget is not None and len(self.logbook) > 0 and self.logbook[-1]["train_flops_total"] >= budget

    def result(self, population: list) -> EvolutionResult:
        return EvolutionResult(population, self.logbook, self.hof, self.space, self.evaluator.evaluations,
                               self.refinements)

    def evaluate_continued(self, individual: Any, generation: int) -> list[EvaluationRecord]:
        """One generation of ``fixed_schedule="continue"`` (:func:`evodeap.engine.fixed.evaluate_continued`)."""
        return evaluate_continued(self, individual, generation)


def _never_similar(a: Genome, b: Genome) -> bool:
    return False


class _MapExecutor:
    """Adapts a plain ``map`` function (e.g. a user's pool) to the executor interface."""

    def __init__(self, map_fn: Callable) -> None:
        self.map = map_fn

    def imap_queue(self, fn, queue, on_lost=None):
        while queue:  # everything queued so far as one map call, then what was queued meanwhile
            batch = [queue.popleft() for _ in range(len(queue))]
            yield from zip((tag for tag, _ in batch), self.map(fn, [item for _, item in batch]))


def evolve(
    config: ExperimentConfig,
    *,
    fitness: Callable | None = None,
    callback: Callable[[GenerationReport], None] | None = None,
    map_fn: Callable | None = None,
    executor: Any = None,
    on_evaluation: Callable[[EvaluationRecord], None] | None = None,
    on_checkpoint: Callable[[dict[str, Any]], None] | None = None,
    resume: ResumeState | None = None,
    weights_dir: str | None = None,
    plan: RunPlan | None = None,
) -> EvolutionResult:
    """Run the generational loop of ``config`` and return the final state.

    Args:
        config: the experiment (validated and resolved here, once, unless ``plan`` is given).
        fitness: overrides ``config.fitness``.
        callback: called with a :class:`GenerationReport` after every generation (0 included).
        map_fn: a plain ``map`` to evaluate with (e.g. a custom pool's), instead of an executor.
        executor: an entered executor from :mod:`evodeap.execution.executors` (overrides ``config.executor``).
        on_evaluation: called with each :class:`EvaluationRecord` as soon as it completes.
        on_checkpoint: called with the engine's JSON state after every generation.
        resume: continue from a checkpoint and stored evaluations (see :class:`ResumeState`).
        weights_dir: where trained weights are kept (inheritance, multi-fidelity,
            ``fixed_schedule="continue"``); default:
            a temporary directory removed with the run's state.
        plan: ``config`` already validated and resolved (with ``fitness``) by
            :func:`evodeap.config.resolve.plan_run`; default: planned here.

    Raises:
        ConfigError: ``plan`` was made for another config.
    """
    if plan is None:
        plan = plan_run(config, fitness)
    elif plan.config is not config and plan.config != config:
        raise ConfigError("evolve: the plan was made for another config; pass plan_run(config)")
    hooks = dict(callback=callback, on_evaluation=on_evaluation, on_checkpoint=on_checkpoint, weights_dir=weights_dir)
    if map_fn is not None:
        executor = _MapExecutor(map_fn)
    if executor is not None:
        check_executor_timeout(executor, config.evaluation_timeout)
        return _Evolution(plan, executor, **hooks).run(resume)
    with make_executor(executor_name(config), config.workers, **config.executor_params) as owned:
        return _Evolution(plan, owned, **hooks).run(resume)
