"""Benchmark (not a test): evodeap's bookkeeping per evaluation beside plain DEAP's.

The same landscape problem (population 50 × 40 generations by default), the same operators
(evodeap's, bound into a plain DEAP toolbox by :func:`evodeap.engine.build_toolbox`) and the
same fitness function run three ways in one process, alternately, ``--repeats`` times each:

* ``deap``      — :func:`deap.algorithms.eaSimple` on that toolbox (the floor);
* ``evodeap``   — :func:`evodeap.engine.evolve` in memory (seed tree, evaluation records,
  operator contract checks, cache, logbook, hall of fame);
* ``evodeap+dir`` — :func:`evodeap.runs.lifecycle.run` with a run directory (results.sqlite,
  a checkpoint per generation, the lock), in a temporary folder.

Each figure is the median CPU time of this process (``time.process_time``: steadier than wall
time on a shared machine; the run-directory arm's fsync waits are not in it) for a whole run,
divided by its number of fitness calls
(evaluations actually computed), so it is the *cost per evaluation*, fitness included; the
fitness itself costs the same in all three. ``--profile`` prints the top functions of one
in-memory evodeap run (cProfile, cumulative time).

    python experiments/bench_engine.py [--population 50] [--generations 40] [--repeats 5] [--profile]
"""
from __future__ import annotations

import argparse
import cProfile
import dataclasses
import io
import platform
import pstats
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
from deap import algorithms

from evodeap.config.settings import ExperimentConfig
from evodeap.engine.loop import evolve
from evodeap.engine.toolbox import build_toolbox
from evodeap.fitness.landscape import landscape_value
from evodeap.genome.space import SearchSpace

CONFIG = ExperimentConfig(
    name="bench-engine", space=SearchSpace(family="cnn"), population_size=50, generations=40,
    crossover="two_point", mutation="split", selection="tournament", selection_params={"tournsize": 3},
    cxpb=0.5, mutpb=0.4, elitism=0, refine_every=0, fitness="landscape",
)


class CountingFitness:
    """``landscape_value`` as a DEAP evaluate function, counting its calls."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, genome) -> tuple[float]:
        self.calls += 1
        return (landscape_value(genome),)


def time_deap(config: ExperimentConfig) -> tuple[float, int]:
    """Seconds and fitness calls of ``eaSimple`` over the same toolbox and generations."""
    toolbox = build_toolbox(config, rng=np.random.default_rng(config.seed))
    counting = CountingFitness()
    toolbox.register("evaluate", counting)
    start = time.process_time()
    population = toolbox.population(n=config.population_size)
    algorithms.eaSimple(population, toolbox, cxpb=config.cxpb, mutpb=config.mutpb, ngen=config.generations,
                        verbose=False)
    return time.process_time() - start, counting.calls


def time_evodeap(config: ExperimentConfig) -> tuple[float, int]:
    """Seconds and evaluations computed (cache hits excluded) of an in-memory ``evolve``."""
    start = time.process_time()
    result = evolve(config)
    seconds = time.process_time() - start
    return seconds, sum(1 for r in result.evaluations if not r.cached)


def time_run_directory(config: ExperimentConfig) -> tuple[float, int]:
    """Seconds and evaluations of a run with a run directory (database, checkpoints, lock)."""
    from evodeap.runs.lifecycle import run

    with tempfile.TemporaryDirectory() as folder:
        start = time.process_time()
        result = run(config, Path(folder) / "run")
        seconds = time.process_time() - start
    return seconds, sum(1 for r in result.evaluations if not r.cached)


def profile(config: ExperimentConfig, top: int = 25) -> str:
    profiler = cProfile.Profile()
    profiler.enable()
    evolve(config)
    profiler.disable()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(top)
    return out.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--population", type=int, default=50)
    parser.add_argument("--generations", type=int, default=40)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--no-dir", action="store_true", help="skip the run-directory arm")
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    config = dataclasses.replace(CONFIG, population_size=args.population, generations=args.generations)
    arms = {"deap": time_deap, "evodeap": time_evodeap}
    if not args.no_dir:
        arms["evodeap+dir"] = time_run_directory
    per_eval: dict[str, list[float]] = {name: [] for name in arms}
    for repeat in range(args.repeats):
        for name, arm in arms.items():  # alternate, so load drifts hit every arm alike
            seconds, evaluations = arm(dataclasses.replace(config, seed=repeat))
            per_eval[name].append(seconds / max(evaluations, 1) * 1e3)
    print(f"# engine cost per evaluation — {platform.machine()} {platform.processor() or ''}, "
          f"{time.strftime('%Y-%m-%d %H:%M')}, population {args.population} × {args.generations} generations, "
          f"{args.repeats} repeats")
    print("| arm | ms per evaluation (median) | min | max | × deap |")
    print("|---|---|---|---|---|")
    floor = statistics.median(per_eval["deap"])
    for name, values in per_eval.items():
        median = statistics.median(values)
        print(f"| {name} | {median:.4f} | {min(values):.4f} | {max(values):.4f} | {median / floor:.1f} |")
    if args.profile:
        print(profile(config))


if __name__ == "__main__":
    main()
