"""One job of a benchmark suite — a (problem, method, seed) — and its small result file.

A job runs one search method on one problem with one seed until the problem's budget (in the
problem's own cost units: the ``train_flops`` field of every evaluation, which a benchmark
fitness fills with its recorded or simulated training seconds or epochs) is spent, and
writes ``<out>/jobs/<problem>/<method>-<seed>.json``:

* ``trace``: ``[cost, search, score, test]`` of every *improvement* of the incumbent (the
  best value search has seen so far), in evaluation order: ``cost`` the cumulative cost at
  which it was found, ``search`` the value search saw, ``score`` its noise-free validation
  value (what the regret is computed on), ``test`` its test value (``nan`` without a test split);
* ``spent``, ``evaluations``, ``wall_seconds`` and the job's identity.

Files are written atomically (:func:`evodeap.files.write_json`); a job whose file exists is
done, so a stopped suite continues where it was. Each file is a few kilobytes and can be
committed, so a long suite can be finished on another machine.
"""
from __future__ import annotations

import json
import math
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Sequence

from evodeap.errors import DamagedFileError
from evodeap.evaluation.budget import evaluation_compute
from evodeap.evaluation.evaluator import EvaluationRecord
from evodeap.files import JOB_FORMAT, write_json



@dataclass(frozen=True)
class JobResult:
    """What one job found (see the module docstring for the fields)."""

    problem: str
    method: str
    seed: int
    budget: float
    spent: float
    evaluations: int
    wall_seconds: float
    trace: tuple[tuple[float, float, float, float], ...]

    def to_dict(self) -> dict[str, Any]:
        return {"format": JOB_FORMAT, "problem": self.problem, "method": self.method, "seed": self.seed,
                "budget": self.budget, "spent": self.spent, "evaluations": self.evaluations,
                "wall_seconds": self.wall_seconds,
                "trace": [[None if math.isnan(v) else v for v in point] for point in self.trace]}  # strict JSON

    @classmethod
    def from_dict(cls, data: Any, where: str) -> "JobResult":
        try:
            if data.get("format") != JOB_FORMAT:
                raise ValueError(f"format {data.get('format')!r}, expected {JOB_FORMAT}")
            trace = tuple((float(c), float(v), float(s), math.nan if t is None else float(t))
                          for c, v, s, t in data["trace"])
            return cls(str(data["problem"]), str(data["method"]), int(data["seed"]), float(data["budget"]),
                       float(data["spent"]), int(data["evaluations"]), float(data["wall_seconds"]), trace)
        except (AttributeError, KeyError, TypeError, ValueError) as error:
            raise DamagedFileError(f"{where} is not a benchmark job result: {error}") from None

    def incumbent_at(self, cost: float) -> tuple[float, float]:
        """``(score, test)`` of the incumbent once ``cost`` has been spent (``-inf`` before any)."""
        found = (-math.inf, math.nan)
        for point_cost, _, score, test in self.trace:
            if point_cost > cost:
                break
            found = (score, test)
        return found


def trace_of(records: Sequence[EvaluationRecord], search: Callable[[EvaluationRecord], float],
             score: Callable[[EvaluationRecord], float], test: Callable[[EvaluationRecord], float],
             ) -> tuple[tuple[tuple[float, float, float, float], ...], float]:
    """The incumbent's improvements over ``records`` (by ``search``) and the total cost spent.

    Cache hits cost nothing; failed evaluations cost what they spent and never become the
    incumbent.
    """
    spent, best, points = 0.0, -math.inf, []
    for record in records:
        if not record.cached:
            spent += evaluation_compute(record.result)["train_flops"]
        if not record.result.ok:
            continue
        value = search(record)
        if value > best:
            best = value
            points.append((spent, float(value), float(score(record)), float(test(record))))
    return tuple(points), spent


def job_path(out: Path, problem: str, method: str, seed: int) -> Path:
    """``<out>/jobs/<problem with / as __>/<method>-<seed>.json``."""
    return Path(out) / "jobs" / problem.replace("/", "__") / f"{method}-{seed}.json"


def read_job(path: Path) -> JobResult:
    """A job's result file, checked."""
    try:
        data = json.loads(Path(path).read_text())
    except (OSError, ValueError) as error:
        raise DamagedFileError(f"{path} cannot be read as JSON: {error}") from None
    return JobResult.from_dict(data, str(path))


def write_job(out: Path, result: JobResult) -> Path:
    """Write ``result`` atomically under ``out``; returns its path."""
    path = job_path(out, result.problem, result.method, result.seed)
    Path(out).mkdir(parents=True, exist_ok=True)
    return write_json(out, path.relative_to(out), result.to_dict())


def timed(run: Callable[[], Sequence[EvaluationRecord]]) -> tuple[Sequence[EvaluationRecord], float]:
    """``run()`` and the wall seconds it took."""
    start = time.perf_counter()
    records = run()
    return records, time.perf_counter() - start


__all__ = ["JOB_FORMAT", "JobResult", "job_path", "read_job", "timed", "trace_of", "write_job"]
