"""The rungs of multi-fidelity evaluation inside one generation: successive halving and ASHA.

:func:`successive_halving` takes a generation's candidates through the rungs
``r·η^k`` of :class:`~evodeap.evaluation.fidelity.MultiFidelity` on an
:class:`~evodeap.evaluation.evaluator.Evaluator` (whose cache, replay, contexts and
executor stream it uses): every fresh candidate trains at the lowest rung; the best
``⌊n/η⌋`` of a rung go on to the next, continuing from their own weights; those that
finish the top rung get a full-fidelity fitness. Synchronously a rung finishes before
anyone is promoted; asynchronously (ASHA) a candidate is promoted as soon as it is in
the top ``⌊n/η⌋`` of its rung so far. Early termination inside a training is decided by
the threshold each context carries (:meth:`Evaluator.threshold`).
"""
from __future__ import annotations

import copy
from collections import deque
from dataclasses import dataclass
from typing import Any

from evodeap.evaluation.api import EvalContext
from evodeap.evaluation.evaluator import EvaluationRecord, Evaluator
from evodeap.evaluation.fidelity import MultiFidelity, promote, ranked
from evodeap.genome.genome import Genome


@dataclass
class _Candidate:
    """An individual going through the rungs of one generation."""

    individual: Any
    number: int
    last: EvaluationRecord | None = None
    rung: int = -1


def successive_halving(evaluator: Evaluator, candidates: list, generation: int,
                       survivors: int) -> tuple[list, list[EvaluationRecord], int]:
    """Successive halving over ``candidates``; returns (the best ``survivors`` of those with a
    full-fidelity fitness, the new records, cache hits).

    Candidates with a valid fitness (unchanged by variation) or a cached genome skip the
    rungs; a genome repeated among the candidates goes through them once. When fewer
    than ``survivors`` candidates end with a full-fidelity fitness (many duplicates),
    the best are repeated to fill the places.
    """
    known, fresh, seen, hits = [], [], set(), 0
    for ind in candidates:
        if ind.fitness.valid:
            known.append(ind)
            continue
        key = ind.key()
        if key in evaluator.cache:
            ind.fitness.values = evaluator.cache[key].fitness
            known.append(ind)
            hits += 1
        elif key not in seen:
            seen.add(key)
            fresh.append(_Candidate(ind, len(fresh)))
    need = max(0, survivors - len(known))
    runner = _rungs_async if evaluator.fidelity.asynchronous else _rungs_sync
    new = runner(evaluator, fresh, generation, need)
    finishers = []
    for candidate in fresh:
        if candidate.rung == len(evaluator.fidelity.rungs) - 1:
            candidate.individual.fitness.values = candidate.last.result.fitness
            evaluator.cache.setdefault(candidate.individual.key(), candidate.last.result)
            finishers.append(candidate.individual)
    pool = known + finishers
    order = ranked({i: evaluator.objectives.primary(ind.fitness.values) for i, ind in enumerate(pool)})
    best = [pool[i] for i in order[:survivors]]
    for i in range(len(best), survivors if best else 0):
        best.append(copy.deepcopy(best[i % len(order)]))
    evaluator.evaluations += new
    return best, new, hits


def _rung_task(evaluator: Evaluator, candidate: _Candidate, generation: int, rung: int) -> tuple[Genome, EvalContext]:
    return evaluator.context(candidate.individual, generation, budget=evaluator.fidelity.rungs[rung],
                             previous=candidate.last if rung > 0 else None)


def _rungs_sync(evaluator: Evaluator, fresh: list[_Candidate], generation: int, need: int) -> list[EvaluationRecord]:
    """Rung by rung: all entrants of a rung finish before the best go on."""
    new: list[EvaluationRecord] = []
    entrants = fresh
    top = len(evaluator.fidelity.rungs) - 1
    for rung in range(top + 1):
        records = evaluator.run_batch([_rung_task(evaluator, c, generation, rung) for c in entrants])
        for candidate, record in zip(entrants, records):
            candidate.last, candidate.rung = record, rung
        new += records
        if rung < top:
            scores = {c.number: evaluator.objectives.primary(c.last.result.fitness) for c in entrants}
            chosen = set(promote(scores, evaluator.fidelity.eta, minimum=min(len(scores), need)))
            entrants = [c for c in entrants if c.number in chosen]
    return new


def _rungs_async(evaluator: Evaluator, fresh: list[_Candidate], generation: int, need: int) -> list[EvaluationRecord]:
    """ASHA: a candidate goes on as soon as it is in the top ``⌊n/η⌋`` of its rung so far."""
    top = len(evaluator.fidelity.rungs) - 1
    scores: list[dict[int, float]] = [{} for _ in range(top + 1)]
    promoted: list[list[int]] = [[] for _ in range(top + 1)]
    queue = deque((c.number, _rung_task(evaluator, c, generation, 0)) for c in fresh)
    in_flight = len(queue)
    new: list[EvaluationRecord] = []

    def send_on(rung: int, minimum: int = 0) -> None:
        nonlocal in_flight
        for number in promote(scores[rung], evaluator.fidelity.eta, promoted[rung], minimum):
            promoted[rung].append(number)
            queue.append((number, _rung_task(evaluator, fresh[number], generation, rung + 1)))
            in_flight += 1

    for number, record in evaluator.stream(queue):
        in_flight -= 1
        candidate = fresh[number]
        candidate.last, candidate.rung = record, record_rung(record, evaluator.fidelity)
        new.append(record)
        scores[candidate.rung][number] = evaluator.objectives.primary(record.result.fitness)
        if candidate.rung < top:
            send_on(candidate.rung)
        if in_flight == 0:  # all results in: make sure enough reach the top rung
            for rung in range(top):
                send_on(rung, minimum=min(len(scores[rung]), need))
                if queue:
                    break
    return new


def record_rung(record: EvaluationRecord, fidelity: MultiFidelity) -> int:
    """The rung index of a multi-fidelity evaluation (from its recorded budget)."""
    return fidelity.rungs.index(record.result.extra["budget"])


__all__ = ["record_rung", "successive_halving"]
