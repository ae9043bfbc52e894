"""What checking the operator contract costs: microseconds per operator call, plain and checked.

    python experiments/bench_contract.py [--calls 2000]

Times the paper's ``split`` mutation and ``two_point`` crossover on genomes of the default
``cnn`` space, called directly and through :class:`evodeap.operators.contract.OperatorContract`
(return convention, adoption check, structure check, ``space.violations``), plus one
Boltzmann selection of 50 from 50, the per-generation seeding of the global random states
and their save/restore around each evaluation. Prints one Markdown table.
"""
from __future__ import annotations

import argparse
import time

import numpy as np

from evodeap.operators.contract import OperatorContract
from evodeap.execution.global_random import preserved_global_random, seed_global_random
from evodeap.genome.individual import individual_class
from evodeap.operators.crossover import cx_two_point
from evodeap.operators.mutation import mut_split
from evodeap.operators.selection import sel_boltzmann
from evodeap.genome.space import SearchSpace


def per_call_us(fn, calls: int) -> float:
    start = time.perf_counter()
    for _ in range(calls):
        fn()
    return (time.perf_counter() - start) / calls * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=2000)
    args = parser.parse_args()
    space, cls = SearchSpace(), individual_class(1)
    rng = np.random.default_rng(0)
    population = [space.sample_genome(rng, cls=cls) for _ in range(50)]
    for i, ind in enumerate(population):
        ind.fitness.values = (i / 50,)
    contract = OperatorContract(space, rng, policy="error")
    mutate = lambda ind: mut_split(ind, space=space, rng=rng, indpb=0.05)  # noqa: E731
    mate = lambda a, b: cx_two_point(a, b, space=space, rng=rng)  # noqa: E731
    select = lambda inds, k: sel_boltzmann(inds, k, rng=rng, beta=5.0)  # noqa: E731
    checked_mutate = contract.variation("mutation", "split", mutate, 1)
    checked_mate = contract.variation("crossover", "two_point", mate, 2)
    checked_select = contract.selection("selection", "boltzmann", select)
    a, b = cls(population[0]), cls(population[1])
    rows = [
        ("mutation `split`", per_call_us(lambda: mutate(a), args.calls),
         per_call_us(lambda: checked_mutate(a), args.calls)),
        ("crossover `two_point`", per_call_us(lambda: mate(a, b), args.calls),
         per_call_us(lambda: checked_mate(a, b), args.calls)),
        ("selection `boltzmann`, 50 of 50", per_call_us(lambda: select(population, 50), args.calls),
         per_call_us(lambda: checked_select(population, 50), args.calls)),
    ]
    print("| operator call | plain (µs) | checked (µs) | check (µs) |")
    print("|---|---|---|---|")
    for name, plain, checked in rows:
        print(f"| {name} | {plain:.1f} | {checked:.1f} | {checked - plain:.1f} |")
    seeding = per_call_us(lambda: seed_global_random(0, 1), args.calls)
    print(f"| seeding both global random states (once per generation) | — | {seeding:.1f} | {seeding:.1f} |")

    def preserved() -> None:
        with preserved_global_random():
            pass

    kept = per_call_us(preserved, args.calls)
    print(f"| saving and restoring both global random states (once per evaluation) | — | {kept:.1f} | {kept:.1f} |")


if __name__ == "__main__":
    main()
