"""A benchmark suite: problems × methods × seeds, run as resumable jobs on every core.

Problems and the method registry are in :mod:`evodeap.benchmarks.problem`, the built-in
methods in :mod:`evodeap.benchmarks.methods`. :func:`run_suite` runs every job not done yet (:mod:`evodeap.benchmarks.jobs`), ``jobs`` at a
  time, each in its own process with one thread, and returns the results of all jobs.
"""
from __future__ import annotations

import multiprocessing
import os
from pathlib import Path
from typing import Callable, Iterable, Mapping, Sequence

from evodeap.benchmarks import methods as _builtin_methods  # noqa: F401  (fills METHODS)
from evodeap.benchmarks import fidelity_peers as _fidelity_peers  # noqa: F401  (fills METHODS)
from evodeap.benchmarks.jobs import JobResult, job_path, read_job, timed, trace_of, write_job
from evodeap.benchmarks.problem import METHODS, SuiteProblem, runs_on
from evodeap.errors import ConfigError


#: the searches the running :func:`run_suite` was given by name (beside ``METHODS``); forked
#: workers inherit them, so a search need not be picklable
_SEARCHES: dict[str, Callable[[SuiteProblem, int], list]] = {}


def run_job(problem: SuiteProblem, method: str, seed: int,
            search: Callable[[SuiteProblem, int], list] | None = None) -> JobResult:
    """Run ``method`` (``search``, or the method of that name in ``METHODS``) on ``problem``
    with ``seed`` and summarise it as a :class:`JobResult`."""
    search = search or METHODS.get(method)
    records, seconds = timed(lambda: search(problem, seed))
    trace, spent = trace_of(records, problem.search_value, problem.score, problem.test)
    return JobResult(problem.name, method, int(seed), float(problem.budget), spent,
                     sum(1 for r in records if not r.cached), seconds, trace)


def _job_in_worker(args: tuple[str, SuiteProblem, str, int]) -> str:
    out, problem, method, seed = args
    return str(write_job(Path(out), run_job(problem, method, seed, _SEARCHES.get(method))))


def _one_thread() -> None:
    for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[name] = "1"


def pending_jobs(out: Path, problems: Sequence[SuiteProblem], methods: Sequence[str],
                 seeds: Iterable[int]) -> list[tuple[SuiteProblem, str, int]]:
    """The ``(problem, method, seed)`` jobs whose result file does not exist yet (a method
    that does not run on a problem, :func:`~evodeap.benchmarks.problem.runs_on`, has none there)."""
    return [(p, m, s) for p in problems for m in methods if runs_on(m, p) for s in seeds
            if not job_path(out, p.name, m, s).exists()]


def run_suite(out: str | Path, problems: Sequence[SuiteProblem], methods: Sequence[str], seeds: Iterable[int], *,
              jobs: int | None = None, on_done: Callable[[str], None] | None = None,
              searches: Mapping[str, Callable[[SuiteProblem, int], list]] | None = None) -> list[JobResult]:
    """Run every job not done yet and return the results of all jobs (done before or now);
    a method that does not run on a problem (:func:`~evodeap.benchmarks.problem.runs_on`) has no jobs there.

    Args:
        out: the suite's folder (``jobs/`` inside it).
        problems, methods, seeds: the suite's grid.
        jobs: processes at a time (default: every core); 1 runs in this process.
        on_done: called with each finished job's file path.
        searches: ``{name: method(problem, seed) -> records}`` for names not in ``METHODS``
            (a suite study's variants, :mod:`evodeap.benchmarks.suite_study`).
    """
    seeds = list(seeds)
    searches = dict(searches or {})
    for method in methods:
        if method not in searches:
            METHODS.get(method)  # an unknown name is refused before anything runs
    out = Path(out)
    todo = [(str(out), p, m, s) for p, m, s in pending_jobs(out, problems, methods, seeds)]
    jobs = os.cpu_count() or 1 if jobs is None else jobs
    if jobs < 1:
        raise ConfigError(f"jobs must be >= 1, got {jobs}")
    _SEARCHES.clear()
    _SEARCHES.update(searches)
    try:
        _run_items(todo, jobs, on_done)
    finally:
        _SEARCHES.clear()
    return [read_job(job_path(out, p.name, m, s)) for p in problems for m in methods if runs_on(m, p) for s in seeds]


def _run_items(todo: list, jobs: int, on_done: Callable[[str], None] | None) -> None:
    if jobs == 1:
        for item in todo:
            path = _job_in_worker(item)
            if on_done:
                on_done(path)
    else:
        with multiprocessing.get_context("fork").Pool(jobs, initializer=_one_thread, maxtasksperchild=50) as pool:
            for path in pool.imap_unordered(_job_in_worker, todo):
                if on_done:
                    on_done(path)


__all__ = ["pending_jobs", "run_job", "run_suite"]
