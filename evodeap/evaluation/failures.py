"""Stop a run whose evaluations fail instead of finishing it with nothing but failures.

A typo in a custom fitness makes every evaluation an ``error``; without a stop the run
would go on to its last generation and end with exit status 0 and the failure fitness as
its "best". After each generation's evaluations the engine calls :func:`check_generation`
and stops the run with a :class:`~evodeap.errors.FailedGenerationError` quoting the most
frequent failure message when

    failed / max(evaluated, bred) ≥ max_failure_fraction,

where *evaluated* counts the generation's new evaluations (replayed ones included; with
multi-fidelity every rung's), *failed* those of them that did not end ``ok``, and *bred*
the genomes the generation bred (offspring, or multi-fidelity candidates) — including
those that took a known fitness (cache hits, copies variation left unchanged), so that a
converged population whose one new genome is invalid does not stop the run. ``1.0``
(default) stops when every genome the generation bred failed, ``None`` never stops.
Everything evaluated is already stored and the generation is not checkpointed, so after a
fix ``evodeap resume`` evaluates that generation again (its failed evaluations are
retried, not replayed).
"""
from __future__ import annotations

import numbers
from collections import Counter
from typing import TYPE_CHECKING, Any, Sequence

from evodeap.errors import ConfigError, FailedGenerationError

if TYPE_CHECKING:
    from evodeap.evaluation.evaluator import EvaluationRecord


def check_fraction(value: Any) -> float | None:
    """``max_failure_fraction`` checked: ``None`` or a number in (0, 1]."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not 0 < value <= 1:
        raise ConfigError(f"max_failure_fraction must be a number in (0, 1] or null, got {value!r}")
    return float(value)


def check_generation(records: Sequence["EvaluationRecord"], bred: int, generation: int,
                     max_fraction: float | None, fitness_name: str) -> None:
    """Raise :class:`FailedGenerationError` when ``failed / max(evaluated, bred) ≥ max_fraction``."""
    if max_fraction is None or not records:
        return
    failed = [record.result for record in records if not record.result.ok]
    total = max(len(records), bred)
    if len(failed) / total < max_fraction:
        return
    (message, count), = Counter(f"{r.status}: {r.message}" for r in failed).most_common(1)
    raise FailedGenerationError(
        f"generation {generation}: {len(failed)} of {total} evaluations failed (max_failure_fraction="
        f"{max_fraction}); the most frequent failure ({count}×) from fitness {fitness_name}: {message}")
