"""Benchmark (not a test): what resolving names once and building the toolbox once saves.

Prints, for the landscape experiment of ``bench_landscape.py`` (population 30):

* registry look-ups (``Registry.get`` calls) and DEAP toolboxes built in one run of 1 and
  of ``--generations`` generations — constant in the number of generations when names are
  resolved once per run;
* the median time of one full ``build_toolbox(config)`` (resolve every name, build a
  toolbox: what the engine did every generation before) and of one per-generation
  ``RunToolbox.rebind`` (new μ and β) — over ``--repeats`` calls;
* the median wall time of a whole run per generation (``--runs`` runs).

    python experiments/bench_toolbox.py [--generations 20] [--repeats 200] [--runs 3]
"""
from __future__ import annotations

import argparse
import dataclasses
import statistics
import time

import numpy as np
from deap import base

from evodeap.config.settings import ExperimentConfig
from evodeap.engine.toolbox import RunToolbox, build_toolbox
from evodeap.engine.loop import evolve
from evodeap.registry import Registry
from evodeap.config.resolve import plan_run
from evodeap.genome.space import SearchSpace
from evodeap.execution.timing import median_seconds

CONFIG = ExperimentConfig(
    name="bench", space=SearchSpace(family="cnn"), population_size=30, generations=20,
    crossover="two_point", mutation="split", selection="boltzmann",
    selection_pressure={"name": "convergence", "scale": 2.0, "maximum": 200.0},
    mutation_rate={"name": "exponential_decay", "initial": 0.05, "rate": 0.03},
    elitism=2, refine_every=10,
)


def counts(config: ExperimentConfig) -> tuple[int, int]:
    """(registry look-ups, toolboxes built) during one run of ``config``."""
    seen = {"lookups": 0, "toolboxes": 0}
    real_get, real_toolbox = Registry.get, base.Toolbox

    def get(self, name):
        seen["lookups"] += 1
        return real_get(self, name)

    class Toolbox(real_toolbox):
        def __init__(self):
            seen["toolboxes"] += 1
            super().__init__()

    Registry.get, base.Toolbox = get, Toolbox
    try:
        evolve(config)
    finally:
        Registry.get, base.Toolbox = real_get, real_toolbox
    return seen["lookups"], seen["toolboxes"]



def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--generations", type=int, default=20)
    parser.add_argument("--repeats", type=int, default=200)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    config = dataclasses.replace(CONFIG, generations=args.generations)
    for generations in (1, args.generations):
        lookups, toolboxes = counts(dataclasses.replace(config, generations=generations))
        print(f"{generations:>3} generation(s): {lookups} registry look-ups, {toolboxes} toolbox(es) built")
    rng = np.random.default_rng(0)
    full = median_seconds(lambda: build_toolbox(config, rng=rng), args.repeats)
    run_toolbox = RunToolbox(config, plan_run(config), space=config.space, rng=rng, init_rng=rng,
                             mu=0.05, beta=1.0)
    values = iter(np.linspace(0.01, 0.05, args.repeats * 2))
    rebind = median_seconds(lambda: run_toolbox.rebind(space=config.space, mu=next(values), beta=next(values)),
                            args.repeats)
    print(f"build_toolbox (resolve + build): {full * 1e6:.0f} µs; rebind μ and β: {rebind * 1e6:.0f} µs "
          f"(median of {args.repeats})")
    per_generation = []
    for seed in range(args.runs):
        start = time.perf_counter()
        evolve(dataclasses.replace(config, seed=seed))
        per_generation.append((time.perf_counter() - start) / (args.generations + 1))
    print(f"whole run: {statistics.median(per_generation) * 1e3:.1f} ms per generation "
          f"(median of {args.runs} runs, population {config.population_size})")


if __name__ == "__main__":
    main()
