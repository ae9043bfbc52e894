"""Time one query of each standard benchmark fitness (tables and ONNX session already loaded).

    python experiments/bench_benchmark_queries.py

Prints the median microseconds per call of ``fitness(genome, EvalContext(seed))`` over
genomes sampled from each problem's space (docs/benchmarks.md quotes it).
"""
import time

import numpy as np

from evodeap.evaluation.api import EvalContext
from evodeap.fitness import make_fitness
from evodeap.fitness.benchmarks import PROBLEMS

for name in ("nasbench201/cifar10", "hpobench_nn/car", "fcnet/protein_structure", "lcbench/167168"):
    problem = PROBLEMS.get(name)
    fitness = make_fitness(problem.fitness, **problem.fitness_params)
    rng = np.random.default_rng(0)
    genomes = [problem.space().sample_genome(rng) for _ in range(200)]
    fitness(genomes[0], EvalContext(seed=0))  # loads the table / session once
    times = []
    for i, genome in enumerate(genomes):
        start = time.perf_counter()
        fitness(genome, EvalContext(seed=i))
        times.append(time.perf_counter() - start)
    print(f"{name:28s} {1e6 * float(np.median(times)):8.0f} µs per query (median of {len(times)})")
