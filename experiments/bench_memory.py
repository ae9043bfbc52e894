"""Resident-memory growth over many sequential Keras evaluations.

Runs ``--evaluations`` (default 50) real :class:`~evodeap.fitness.KerasFitness`
evaluations of random genomes (cnn, rnn and cnn+rnn in turn) on a small random data set
and prints the resident set size (RSS) of the evaluating process after the first
evaluation (TensorFlow loaded and warmed up) and every 10 evaluations, then the growth.
The target is under 100 MB.

TensorFlow leaks memory across ``Model.fit`` calls even after
``keras.backend.clear_session()`` (tensorflow/tensorflow#61791). ``--recycle N``
evaluates in evodeap's process executor with one spawned worker that is replaced after
every N evaluations (``ProcessExecutor(workers=1, recycle_after=N)``), which bounds the growth.

    python experiments/bench_memory.py [--evaluations 50] [--recycle N] [--seed 0]
"""
from __future__ import annotations

import argparse
import os
import platform
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np

from evodeap.evaluation.api import EvalContext, run_evaluation
from evodeap.fitness.runtime import resident_memory_mb
from evodeap.genome.space import Integer, SearchSpace

SHAPE = (4, 16, 16, 1)
COUNTS = (32, 8, 8)
_FITNESS = None  # one per process, like a real worker


def _fitness(seed: int):
    global _FITNESS
    if _FITNESS is None:
        from evodeap.data import from_arrays
        from evodeap.fitness import KerasFitness

        rng = np.random.default_rng(seed)
        arrays = []
        for n in COUNTS:
            arrays += [rng.random((n,) + SHAPE, dtype=np.float32), rng.integers(0, 4, n)]
        _FITNESS = KerasFitness(from_arrays(*arrays, task="multiclass"), max_epochs=1)
    return _FITNESS


def genomes(n: int, seed: int) -> list:
    rng = np.random.default_rng(seed + 1)
    spaces = [
        SearchSpace(family=f, min_layers=2, max_layers=5).with_domain("epochs", Integer(1, 1))
        for f in ("cnn", "rnn", "cnn+rnn")
    ]
    return [spaces[i % 3].sample_genome(rng) for i in range(n)]


def evaluate(task: tuple) -> tuple[str, float, int]:
    """Evaluate one genome; return its status, the process RSS (MB) and the process id."""
    genome, index, seed = task
    fitness = _fitness(seed)
    result = run_evaluation(fitness, genome, EvalContext(seed=seed + index))
    return result.status, resident_memory_mb(), os.getpid()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--evaluations", type=int, default=50)
    parser.add_argument("--recycle", type=int, default=0, help="replace the worker every N evaluations (0: no worker)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    tasks = [(g, i, args.seed) for i, g in enumerate(genomes(args.evaluations, args.seed))]
    mode = f"spawned worker recycled every {args.recycle}" if args.recycle else "this process"
    print(f"machine: {platform.machine()} {os.cpu_count()} CPUs, python {platform.python_version()}; "
          f"{args.evaluations} evaluations in {mode}; data {COUNTS} videos of {SHAPE}")
    start = time.perf_counter()
    if args.recycle:
        # evodeap's own process executor: one spawned worker, replaced after N evaluations
        from evodeap.execution.executors import ProcessExecutor

        outcomes = []
        with ProcessExecutor(workers=1, recycle_after=args.recycle) as executor:
            for _, outcome in executor.imap_unordered(evaluate, tasks):
                outcomes.append(outcome)
                _report(len(outcomes) - 1, outcome[1], start)
    else:
        outcomes = []
        for i, task in enumerate(tasks):
            outcomes.append(evaluate(task))
            _report(i, outcomes[-1][1], start)
    statuses: dict[str, int] = {}
    for status, _, _ in outcomes:
        statuses[status] = statuses.get(status, 0) + 1
    rss = [r for _, r, _ in outcomes]
    print(f"statuses: {statuses}; worker processes: {len({pid for _, _, pid in outcomes})}")
    print(f"RSS after evaluation 1: {rss[0]:.1f} MB; highest: {max(rss):.1f} MB; "
          f"growth (highest - first): {max(rss) - rss[0]:+.1f} MB; "
          f"last - first: {rss[-1] - rss[0]:+.1f} MB "
          f"({(rss[-1] - rss[0]) / max(1, len(rss) - 1):+.2f} MB per evaluation)")


def _report(i: int, rss: float, start: float) -> None:
    if i == 0 or (i + 1) % 10 == 0:
        print(f"after {i + 1:3d} evaluations: RSS {rss:8.1f} MB  ({time.perf_counter() - start:6.1f} s)", flush=True)


if __name__ == "__main__":
    main()
