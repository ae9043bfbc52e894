"""Calling user code safely: what a fitness gets (copies) and what its failures say (causes).

:func:`evodeap.evaluation.api.run_evaluation` gives the fitness :func:`own_copies` of the
genome and context, so a fitness that edits the genome it is given (appends a layer, changes
a hyperparameter) changes neither the genome the run stores nor its key — as in a process
worker, which gets a pickled copy; and it records whatever the fitness raises by
:func:`failure_cause`, bounded to :data:`MAX_MESSAGE` characters whatever ``str()`` of the
exception does (raise, or return megabytes).
"""
from __future__ import annotations

import copy
import dataclasses
from typing import Any

from evodeap.errors import raised_at
from evodeap.evaluation.plain import bounded_text, safe_str

#: the most characters of a result's message that are kept
MAX_MESSAGE = 4_000


def failure_cause(exc: BaseException) -> str:
    """``Type: message at FILE:LINE`` of an exception user code raised, bounded
    (:data:`MAX_MESSAGE`); ``SystemExit(code) at FILE:LINE: …`` for ``sys.exit(code)``."""
    if isinstance(exc, SystemExit):
        return bounded_text(f"SystemExit({safe_str(exc.code, 200)}){raised_at(exc)}: the fitness called "
                            f"sys.exit(), which ends this evaluation, not the run", MAX_MESSAGE)
    return bounded_text(f"{type(exc).__name__}: {safe_str(exc, MAX_MESSAGE)}{raised_at(exc)}", MAX_MESSAGE)


def own_copies(genome: Any, context: Any) -> tuple[Any, Any]:
    """A deep copy of ``genome`` and ``context`` (a frozen dataclass) with a copy of its
    mutable ``weights_genome``: what the fitness gets, so what it does to them changes
    nothing the run keeps."""
    if getattr(context, "weights_genome", None) is not None:
        context = dataclasses.replace(context, weights_genome=copy.deepcopy(context.weights_genome))
    return copy.deepcopy(genome), context
