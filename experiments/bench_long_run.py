"""Does a generation's bookkeeping cost grow with the run's length? A long landscape run, timed.

Runs ``--generations`` (default 10,000) generations of a small run of the stand-in
``landscape`` fitness (population ``--population``, default 20) into a run directory —
the real writer: results database, population history, checkpoint and ``logbook.csv``
after every generation — and prints, at generations 100, 2,000 and 10,000 (those the run
reaches):

* the time per generation: the median interval between consecutive generations over the
  ``--window`` (default 100) generations ending there;
* the resident set size of the process (RSS, from ``/proc/self/statm``);
* the size of ``checkpoint.json`` and ``logbook.csv`` then.

Goal: time per generation flat within 20 % from generation 100 to 10,000, memory flat.

``--memory-sources`` instead runs generations 0–1,200 in memory (no run directory) under
``tracemalloc`` and prints what was allocated between generations 200 and 1,200 and is still
held, per evaluation and by the lines that allocated it.

    python experiments/bench_long_run.py [--generations 10000] [--population 20] [--out DIR]
    python experiments/bench_long_run.py --memory-sources
"""
from __future__ import annotations

import argparse
import dataclasses
import os
import platform
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from evodeap.config.settings import ExperimentConfig
from evodeap.genome.space import SearchSpace
from evodeap.runs.lifecycle import run

MARKS = (100, 2_000, 10_000)


def config(generations: int, population: int, seed: int) -> ExperimentConfig:
    """The run: the landscape demo's operators (experiments/landscape_demo.py), refinement included."""
    return ExperimentConfig(
        name="long_run", space=SearchSpace(family="cnn", min_layers=3, max_layers=7), fitness="landscape",
        population_size=population, generations=generations, crossover="two_point", mutation="split",
        mutation_rate={"name": "exponential_decay", "initial": 0.05, "rate": 0.03}, selection="boltzmann",
        selection_pressure={"name": "convergence", "scale": 2.0, "maximum": 200.0}, elitism=2,
        refine_every=10, refine_top=0.2, seed=seed,
    )


def rss_mb() -> float:
    """The resident set size of this process, in MB."""
    with open("/proc/self/statm") as handle:
        pages = int(handle.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def memory_sources(population: int, seed: int, first: int = 200, last: int = 1_200) -> None:
    """What the engine holds on to between generations ``first`` and ``last`` (module docstring)."""
    import gc
    import tracemalloc

    from evodeap.engine.loop import evolve

    snapshots, evaluated = {}, [0]

    def on_generation(report) -> None:
        evaluated[0] += len(report.evaluations)
        if report.generation in (first, last):
            gc.collect()
            snapshots[report.generation] = (tracemalloc.take_snapshot(), evaluated[0])

    tracemalloc.start(6)
    evolve(config(last, population, seed), callback=on_generation)
    (before, n_before), (after, n_after) = snapshots[first], snapshots[last]
    stats = after.compare_to(before, "traceback")
    grown = sum(s.size_diff for s in stats)
    print(f"generations {first}-{last}: {n_after - n_before} evaluations, {grown / 2**20:.1f} MB still held, "
          f"{grown / max(1, n_after - n_before):.0f} bytes per evaluation; by where it was allocated:")
    for stat in stats[:6]:
        frame = stat.traceback[-1]
        print(f"  {stat.size_diff / 2**20:5.1f} MB  {frame.filename.rsplit('/evodeap/', 1)[-1]}:{frame.lineno}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--generations", type=int, default=10_000)
    parser.add_argument("--population", type=int, default=20)
    parser.add_argument("--window", type=int, default=100)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", help="run directory (default: a temporary one, removed after)")
    parser.add_argument("--memory-sources", action="store_true", help="where the memory a run holds comes from")
    args = parser.parse_args()
    if args.memory_sources:
        memory_sources(args.population, args.seed)
        return
    root = None
    if args.out is None:
        root = tempfile.mkdtemp(prefix="evodeap-long-run-")
        out = Path(root) / "run"
    else:
        out = Path(args.out)
    times: list[float] = []
    marks: dict[int, dict[str, float]] = {}

    def on_generation(report) -> None:
        times.append(time.perf_counter())
        g = report.generation
        if g in MARKS or (g == args.generations and g not in marks):
            sizes = {name: (out / name).stat().st_size / 1e3 if (out / name).exists() else 0.0
                     for name in ("checkpoint.json", "logbook.csv")}
            marks[g] = {"rss": rss_mb(), **sizes}

    start = time.perf_counter()
    run(dataclasses.replace(config(args.generations, args.population, args.seed)), out, on_generation=on_generation)
    wall = time.perf_counter() - start
    intervals = [b - a for a, b in zip(times, times[1:])]  # intervals[i]: generation i → i + 1
    print(f"{platform.node()} · {platform.machine()} · {os.cpu_count()} CPUs · Python {platform.python_version()} · "
          f"load average {os.getloadavg()[0]:.2f} · {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")
    print(f"{args.generations} generations of {args.population} in {wall:.1f} s "
          f"(median of the {args.window} generations ending at each mark; checkpoint and logbook of the "
          f"generation before)")
    print(f"{'generation':>10} {'ms / generation':>16} {'RSS (MB)':>9} {'checkpoint.json (kB)':>21} "
          f"{'logbook.csv (kB)':>17}")
    first = None
    for g in sorted(marks):
        window = intervals[max(0, g - args.window):g]
        per = statistics.median(window) * 1e3 if window else float("nan")
        first = per if first is None else first
        m = marks[g]
        print(f"{g:>10} {per:>16.2f} {m['rss']:>9.1f} {m['checkpoint.json']:>21.1f} {m['logbook.csv']:>17.1f}")
    if len(marks) > 1:
        last = max(marks)
        per_last = statistics.median(intervals[max(0, last - args.window):last]) * 1e3
        print(f"time per generation at {last} vs {min(marks)}: {per_last / first:.2f}×; "
              f"RSS {marks[last]['rss'] - marks[min(marks)]['rss']:+.1f} MB")
    if root is not None:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
