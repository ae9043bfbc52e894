"""Benchmark (not a test): evaluation throughput and framework overhead per executor.

Runs the same small real search (``experiments/keras_tiny.py``: Keras models trained on
generated video data) with the serial executor, the process executor with 2 workers and
the Ray executor with 2 workers, and prints a Markdown table of

* evaluations per hour (new evaluations ÷ wall time of the run);
* overhead share = 1 − Σ(evaluation time) ÷ (wall time × workers): the fraction of worker
  capacity not spent inside evaluations (start-up, data building, the engine, waiting).

    python experiments/bench_executors.py [--population 8] [--generations 2] [--skip-ray]
"""
from __future__ import annotations

import argparse
import dataclasses
import platform
import runpy
import time
from pathlib import Path

from evodeap.engine.loop import evolve
from evodeap.execution.executors import make_executor

EXPERIMENT = Path(__file__).with_name("keras_tiny.py")


def measure(config, executor_name: str, workers: int) -> dict:
    start = time.perf_counter()
    with make_executor(executor_name, workers) as executor:
        ready = time.perf_counter()
        result = evolve(config, executor=executor)
    wall = time.perf_counter() - start
    busy = sum(r.result.wall_time for r in result.evaluations)
    n = len(result.evaluations)
    return {
        "executor": f"{executor_name} ×{workers}", "evaluations": n, "wall_s": wall,
        "startup_s": ready - start, "evals_per_hour": 3600 * n / wall,
        "overhead_share": 1 - busy / (wall * workers),
        "failed": sum(not r.result.ok for r in result.evaluations),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--population", type=int, default=8)
    parser.add_argument("--generations", type=int, default=2)
    parser.add_argument("--skip-ray", action="store_true")
    args = parser.parse_args()
    config = runpy.run_path(str(EXPERIMENT))["CONFIG"]
    config = dataclasses.replace(config, population_size=args.population, generations=args.generations)
    runs = [("serial", 1), ("process", 2)] + ([] if args.skip_ray else [("ray", 2)])
    rows = [measure(config, name, workers) for name, workers in runs]
    print(f"machine: {platform.machine()}, {__import__('os').cpu_count()} CPUs, Python {platform.python_version()}; "
          f"population {args.population}, {args.generations} generations of {EXPERIMENT.name}")
    print("| executor | evaluations | wall (s) | executor start (s) | evaluations / hour | overhead share | failed |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['executor']} | {r['evaluations']} | {r['wall_s']:.1f} | {r['startup_s']:.1f} | "
              f"{r['evals_per_hour']:.0f} | {r['overhead_share']:.1%} | {r['failed']} |")


if __name__ == "__main__":
    main()
