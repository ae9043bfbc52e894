"""Benchmark (not a test): how well the ``tpe`` surrogate ranks configurations it has not seen.

For each problem, 300 seeded random configurations are evaluated; the surrogate is fitted on
``n`` of them (five random splits) and scores 100 others; the figure is the mean Spearman
rank correlation between its scores and the configurations' fitness, for the univariate
(default) and the multivariate Parzen ratio (:mod:`evodeap.operators.surrogate`).

    python experiments/bench_surrogate.py [--problems lcbench/7593 nasbench201/cifar100]
"""
from __future__ import annotations

import argparse

import numpy as np
from scipy.stats import spearmanr

from evodeap.benchmarks.problem import suite_problem
from evodeap.evaluation.api import EvalContext
from evodeap.operators.surrogate import ParzenRatio


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--problems", nargs="+", default=["lcbench/7593", "nasbench201/cifar100"])
    args = parser.parse_args(argv)
    print("| problem | fitted on | Spearman ρ, univariate | Spearman ρ, multivariate |\n|---|---|---|---|")
    for name in args.problems:
        problem = suite_problem(name)
        fitness, rng = problem.make_fitness(), np.random.default_rng(0)
        genomes = [problem.space.sample_genome(rng) for _ in range(300)]
        values = np.array([fitness(g, EvalContext(seed=i)).fitness[0] for i, g in enumerate(genomes)])
        for n in (20, 50, 100, 200):
            rho = {False: [], True: []}
            for split in range(5):
                order = np.random.default_rng(split).permutation(300)
                train, test = order[:n], order[200:]
                for multivariate in (False, True):
                    surrogate = ParzenRatio(problem.space, multivariate=multivariate)
                    scores = surrogate.fit([genomes[i] for i in train], values[train]).score([genomes[i] for i in test])
                    rho[multivariate].append(spearmanr(scores, values[test]).correlation)
            print(f"| {name} | {n} | {np.mean(rho[False]):.3f} | {np.mean(rho[True]):.3f} |")


if __name__ == "__main__":
    main()
