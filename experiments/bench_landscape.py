"""Benchmark (not a test): the EA against random search on the stand-in landscape.

Both methods get the same number of evaluations (the EA's unique evaluations, cache
hits excluded) on each of 10 seeds. Prints the median best value and the number of
evaluations each needs to reach the target (median over seeds; "-" when not reached).

    python experiments/bench_landscape.py [--seeds 10] [--population 30] [--generations 30] [--target 0.9]
"""
from __future__ import annotations

import argparse
import dataclasses
import statistics
import time

import numpy as np

from evodeap.config.settings import ExperimentConfig
from evodeap.engine.loop import evolve
from evodeap.fitness.landscape import landscape_value
from evodeap.genome.space import SearchSpace

EA = ExperimentConfig(
    name="bench", space=SearchSpace(family="cnn"), population_size=30, generations=30,
    crossover="two_point", mutation="split", selection="boltzmann",
    selection_pressure={"name": "convergence", "scale": 2.0, "maximum": 200.0},
    mutation_rate={"name": "exponential_decay", "initial": 0.05, "rate": 0.03},
    elitism=2, refine_every=10,
)


def best_so_far(values: list[float]) -> list[float]:
    return list(np.maximum.accumulate(values))


def evals_to_reach(curve: list[float], target: float) -> int | None:
    return next((i + 1 for i, v in enumerate(curve) if v >= target), None)


def run_ea(seed: int, population: int, generations: int) -> list[float]:
    config = dataclasses.replace(EA, seed=seed, population_size=population, generations=generations)
    result = evolve(config)
    return best_so_far([r.result.fitness[0] for r in result.evaluations])


def run_random(seed: int, evaluations: int) -> list[float]:
    rng = np.random.default_rng(seed + 10_000)
    return best_so_far([landscape_value(EA.space.sample_genome(rng)) for _ in range(evaluations)])


def fmt(values: list[int | None]) -> str:
    reached = [v for v in values if v is not None]
    median = statistics.median(reached) if len(reached) > len(values) / 2 else None
    return f"{median:.0f} ({len(reached)}/{len(values)} reached)" if median else f"- ({len(reached)}/{len(values)} reached)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--population", type=int, default=30)
    parser.add_argument("--generations", type=int, default=30)
    parser.add_argument("--target", type=float, default=0.9)
    args = parser.parse_args()
    start = time.perf_counter()
    ea_best, rs_best, ea_hit, rs_hit, budgets = [], [], [], [], []
    for seed in range(args.seeds):
        ea = run_ea(seed, args.population, args.generations)
        rs = run_random(seed, len(ea))
        budgets.append(len(ea))
        ea_best.append(ea[-1])
        rs_best.append(rs[-1])
        ea_hit.append(evals_to_reach(ea, args.target))
        rs_hit.append(evals_to_reach(rs, args.target))
    print(f"landscape benchmark: {args.seeds} seeds, population {args.population}, "
          f"{args.generations} generations, median {statistics.median(budgets):.0f} evaluations per method")
    print(f"| method | median best | min..max best | evaluations to reach {args.target} |")
    print("|---|---|---|---|")
    print(f"| evodeap EA | {statistics.median(ea_best):.4f} | {min(ea_best):.4f}..{max(ea_best):.4f} | {fmt(ea_hit)} |")
    print(f"| random search | {statistics.median(rs_best):.4f} | {min(rs_best):.4f}..{max(rs_best):.4f} | {fmt(rs_hit)} |")
    print(f"wall time {time.perf_counter() - start:.1f} s")


if __name__ == "__main__":
    main()
