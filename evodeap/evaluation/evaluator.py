"""How individuals get their fitness in a run: cache, replay, budgets and weights.

:class:`Evaluator` is the engine's half that talks to the executor. For a batch of
individuals it

* takes a stored result for a genome evaluated before in the run (the cache, keyed by
  ``Genome.key()``; full-fidelity results only) and evaluates a genome repeated within
  the batch once;
* on resume, *replays* the stored result of the same (generation, index) instead of
  training again;
* builds each evaluation's :class:`~evodeap.evaluation.api.EvalContext`: its seed from (run
  seed, generation, index), the multi-fidelity budget, the weights to start from (the
  parent's, with ``inheritance``; the candidate's own lower-rung weights when promoted),
  and the early-termination threshold;
* stores returned weights in the run's :class:`~evodeap.evaluation.weights.WeightStore` before the
  result is recorded, so a resumed run finds every file its records refer to;
* streams tasks through the executor (:meth:`Evaluator.stream`), on which the rungs of
  multi-fidelity successive halving are built (:mod:`evodeap.evaluation.rungs`).

Its state — the evaluations it knows — speaks the :class:`~evodeap.stateful.Stateful`
protocol (:meth:`Evaluator.get_state`, :meth:`Evaluator.set_state`); a resume sets it
from the run's database (:func:`resume_state_of`).
"""
from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from functools import partial
from typing import Any, Callable, Iterator

from evodeap.evaluation.budget import EarlyTermination
from evodeap.evaluation.api import EvalContext, EvalResult, Objectives, evaluation_seed, run_evaluation
from evodeap.execution.executors import worker_name
from evodeap.evaluation.fidelity import MultiFidelity
from evodeap.genome.genome import Genome
from evodeap.execution.timeouts import timeout_message
from evodeap.evaluation.weights import WeightStore


@dataclass
class EvaluationRecord:
    """One genome's evaluation in a run (``cached`` when its key was evaluated before)."""

    generation: int
    index: int
    genome: Genome
    result: EvalResult
    cached: bool = False


@dataclass
class Evaluator:
    """Evaluates individuals for the engine (:mod:`evodeap.engine.loop`; see the module docstring).

    Attributes:
        seed: the run seed.
        fitness: ``fitness(genome, context) -> EvalResult``.
        executor: an entered executor (``imap_queue``).
        objectives: what the fitness's values mean, and the failure value.
        fidelity: multi-fidelity settings, or ``None``.
        stopping: early-termination settings, or ``None``.
        store: where trained weights are kept (``None``: weights are not kept).
        inheritance: start offspring from their parent's weights.
        on_evaluation: called with each new record as soon as its result is in.
        timeout: seconds an evaluation may run before the executor abandons it and it is
            recorded with status ``timeout`` (``None``: no limit; see :mod:`evodeap.execution.timeouts`).
    """

    seed: int
    fitness: Callable
    executor: Any
    objectives: Objectives
    fidelity: MultiFidelity | None = None
    stopping: EarlyTermination | None = None
    store: WeightStore | None = None
    inheritance: bool = False
    on_evaluation: Callable[[EvaluationRecord], None] | None = None
    timeout: float | None = None
    cache: dict[str, EvalResult] = field(default_factory=dict)
    replay: dict[tuple[int, int], tuple[Genome, EvalResult]] = field(default_factory=dict)
    evaluations: list[EvaluationRecord] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._thresholds: dict[tuple[int, Any], float | None] = {}
        self._next_index = 0
        self._generation = -1

    # -- state (the Stateful protocol) -------------------------------------------------
    def get_state(self) -> dict[str, Any]:
        """The evaluations this evaluator knows, as plain JSON: ``evaluations`` (those of
        completed generations: they fill the cache and the record list) and ``replay``
        (those of an interrupted generation, used again for the same (generation, index))."""
        return {"evaluations": [_record_to_dict(r) for r in self.evaluations],
                "replay": [_record_to_dict(EvaluationRecord(gen, idx, genome, result))
                           for (gen, idx), (genome, result) in self.replay.items()]}

    def set_state(self, state: dict[str, Any]) -> None:
        """Restore :meth:`get_state` output (or :func:`resume_state_of` output): the cache holds
        the full-fidelity result of every genome of ``evaluations``."""
        self.cache, self.replay, self.evaluations = {}, {}, []
        self._thresholds = {}
        for record in map(_record_from_dict, state.get("evaluations", [])):
            if _full_fidelity(record.result, self.fidelity):
                self.cache.setdefault(record.genome.key(), record.result)
            self.evaluations.append(record)
        for record in map(_record_from_dict, state.get("replay", [])):
            self.replay[(record.generation, record.index)] = (record.genome, record.result)

    # -- contexts -----------------------------------------------------------------------
    def _index(self, generation: int) -> int:
        if generation != self._generation:
            self._generation, self._next_index = generation, 0
        index = self._next_index
        self._next_index += 1
        return index

    def threshold(self, generation: int, budget: int | None) -> float | None:
        """The ``top_k``-th best validation metric ``A`` of the ``ok`` evaluations of earlier
        generations trained to ``budget`` (``None``: full trainings without multi-fidelity)."""
        if self.stopping is None:
            return None
        key = (generation, budget)
        if key not in self._thresholds:
            from evodeap.evaluation.curves import kth_best

            values = [r.result.components["A"] for r in self.evaluations
                      if r.generation < generation and r.result.ok and "A" in r.result.components
                      and r.result.extra.get("budget") == budget]
            self._thresholds[key] = kth_best(values, self.stopping.top_k)
        return self._thresholds[key]

    def context(self, individual: Any, generation: int, *, budget: int | None = None,
                previous: EvaluationRecord | None = None) -> tuple[Genome, EvalContext]:
        """The task of evaluating ``individual``: its plain genome and its context.

        ``previous`` is the individual's own evaluation at the rung below (continuation).
        """
        index = self._index(generation)
        genome = individual.plain()
        start: dict[str, Any] = {}
        if previous is not None and self.store is not None:
            weights = self.store.get_at(genome.key(), previous.result.extra.get("budget"))
            if weights is not None and previous.result.ok:
                start = {"weights": weights, "weights_genome": genome.to_dict(),
                         "trained_epochs": int(previous.result.extra.get("epochs_total", 0)),
                         "curve": tuple(previous.result.extra.get("val_curve", ()))}
        elif self.inheritance and self.store is not None and getattr(individual, "inherit_from", None) is not None:
            parent = individual.inherit_from
            stored = self.store.get(parent.key())
            if stored is not None:
                start = {"weights": stored[0], "weights_genome": parent.to_dict()}
        context = EvalContext(
            evaluation_seed(self.seed, generation, index), generation, index, budget=budget,
            stop_threshold=self.threshold(generation, budget),
            stop_min_epochs=self.stopping.min_epochs if self.stopping else 2,
            return_weights=self.store is not None, **start,
        )
        return genome, context

    # -- running ------------------------------------------------------------------------
    def _accept(self, genome: Genome, context: EvalContext, result: EvalResult) -> EvaluationRecord:
        """Record a fresh result: its budget, its weights file, then the record hook."""
        result.extra["budget"] = context.budget
        if context.weights is not None:
            result.extra.setdefault("started_from", "own" if context.trained_epochs else "parent")
        if result.weights is not None:
            if self.store is not None and result.ok:
                label = context.budget if context.budget is not None else result.extra.get("epochs_total", 0)
                self.store.put(genome.key(), label, result.weights)
            result.weights = None
        record = EvaluationRecord(context.generation, context.index, genome, result)
        if self.on_evaluation is not None:
            self.on_evaluation(record)
        return record

    def _replayed(self, genome: Genome, context: EvalContext) -> EvaluationRecord | None:
        replayed = self.replay.pop((context.generation, context.index), None)
        if replayed is None or replayed[0].key() != genome.key() or replayed[1].extra.get("budget") != context.budget:
            return None
        return EvaluationRecord(context.generation, context.index, genome, replayed[1])

    def stream(self, queue: deque) -> Iterator[tuple[Any, EvaluationRecord]]:
        """Run queued ``(tag, (genome, context))`` tasks — replayed ones first — and yield
        ``(tag, record)`` as results come in; the caller may append to ``queue`` meanwhile."""
        run = partial(_run_task, self.fitness, self.objectives)
        lost = partial(_lost_result, self.objectives)
        limits = {} if self.timeout is None else {"timeout": self.timeout,
                                                  "on_timeout": partial(_timeout_result, self.objectives, self.timeout)}
        pending: deque = deque()
        sent: dict[int, tuple[Any, Genome, EvalContext]] = {}

        def feed() -> Iterator[tuple[Any, EvaluationRecord]]:
            while queue:
                tag, (genome, context) = queue.popleft()
                record = self._replayed(genome, context)
                if record is not None:
                    yield tag, record
                else:
                    sent[len(sent)] = (tag, genome, context)
                    pending.append((len(sent) - 1, (genome, context)))

        while True:
            yield from feed()
            if not pending:
                if queue:  # the caller queued more while replayed records were yielded
                    continue
                return
            for number, result in self.executor.imap_queue(run, pending, lost, **limits):
                tag, genome, context = sent[number]
                yield tag, self._accept(genome, context, result)
                yield from feed()

    def run_batch(self, tasks: list[tuple[Genome, EvalContext]]) -> list[EvaluationRecord]:
        """Evaluate every task; records in task order."""
        records: dict[int, EvaluationRecord] = {}
        for position, record in self.stream(deque(enumerate(tasks))):
            records[position] = record
        return [records[i] for i in range(len(tasks))]

    # -- one batch of individuals (no multi-fidelity) --------------------------------
    def evaluate(self, individuals: list, generation: int, use_cache: bool = True) -> tuple[list[EvaluationRecord], int]:
        """Give every individual without a valid fitness one; returns the new records and cache hits.

        With ``use_cache`` a genome evaluated earlier in the run takes the stored result and a
        genome repeated within the batch is evaluated once; without it (the ``fixed``
        strategy) every individual is a separate training with its own seed.
        """
        pending = [ind for ind in individuals if not ind.fitness.valid]
        tasks, owner_of, sources, hits = [], {}, [], 0
        for ind in pending:
            key = ind.key()
            if use_cache and key in self.cache:
                hits += 1
                sources.append(self.cache[key])
            elif use_cache and key in owner_of:
                sources.append(owner_of[key])
            else:
                owner_of[key] = len(tasks)
                sources.append(len(tasks))
                tasks.append(self.context(ind, generation))
        records = self.run_batch(tasks)
        for record in records:
            self.cache.setdefault(record.genome.key(), record.result)
        for ind, source in zip(pending, sources):
            ind.fitness.values = (records[source].result if isinstance(source, int) else source).fitness
        self.evaluations += records
        return records, hits

    # -- one continued training (the fixed strategy's continue schedule) ----------------
    def last_ok(self, key: str, before: int) -> EvaluationRecord | None:
        """The latest ``ok`` evaluation of genome ``key`` in a generation before ``before``."""
        for record in reversed(self.evaluations):
            if record.generation < before and record.result.ok and record.genome.key() == key:
                return record
        return None

    def evaluate_with_budget(self, individual: Any, generation: int, budget: int,
                             previous: EvaluationRecord | None) -> list[EvaluationRecord]:
        """Train ``individual`` to ``budget`` epochs in all, continuing ``previous`` (its own
        earlier evaluation, whose stored weights it starts from; ``None`` or weights not
        stored: from scratch); sets its fitness and returns the new record (no cache)."""
        records = self.run_batch([self.context(individual, generation, budget=budget, previous=previous)])
        individual.fitness.values = records[0].result.fitness
        self.evaluations += records
        return records

def resume_state_of(stored: list[tuple[int, int, Genome, EvalResult]], done: int,
                    retry_failures: bool = False) -> dict[str, Any]:
    """The :meth:`Evaluator.get_state` form of evaluations stored in a run's database.

    Those of generations ``≤ done`` are ``evaluations`` (cache and record list); later
    ones are ``replay`` — used when the same (generation, index) comes up again — except
    failed ones when ``retry_failures`` (they are evaluated again).
    """
    completed, replay = [], []
    for gen, idx, genome, result in stored:
        if gen <= done:
            completed.append(_record_to_dict(EvaluationRecord(gen, idx, genome, result)))
        elif result.ok or not retry_failures:
            replay.append(_record_to_dict(EvaluationRecord(gen, idx, genome, result)))
    return {"evaluations": completed, "replay": replay}


def _record_to_dict(record: EvaluationRecord) -> dict[str, Any]:
    return {"generation": record.generation, "index": record.index, "genome": record.genome.to_dict(),
            "result": record.result.to_dict(), "cached": record.cached}


def _record_from_dict(data: dict[str, Any]) -> EvaluationRecord:
    return EvaluationRecord(data["generation"], data["index"], Genome.from_dict(data["genome"]),
                            EvalResult.from_dict(data["result"]), data.get("cached", False))


def _full_fidelity(result: EvalResult, fidelity: MultiFidelity | None) -> bool:
    budget = result.extra.get("budget")
    return budget is None or (fidelity is not None and budget == fidelity.max_budget)


def _run_task(fitness: Callable, objectives: Objectives, task: tuple[Genome, EvalContext]) -> EvalResult:
    genome, context = task
    result = run_evaluation(fitness, genome, context, objectives)
    result.extra.setdefault("worker", worker_name())
    return result


def _lost_result(objectives: Objectives, task: tuple[Genome, EvalContext], message: str) -> EvalResult:
    return objectives.failed("error", message, seed=task[1].seed)


def _timeout_result(objectives: Objectives, timeout: float, task: tuple[Genome, EvalContext]) -> EvalResult:
    return objectives.failed("timeout", timeout_message(timeout), seed=task[1].seed, wall_time=timeout)


__all__ = ["EvaluationRecord", "Evaluator", "resume_state_of"]
