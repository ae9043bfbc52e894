"""Benchmark (not a test): scale, simulated — virtual wall time to a target against N workers.

Two cores cannot show what happens with many workers, but when every evaluation's training
time is known the :class:`~evodeap.execution.simulated.SimulatedExecutor` can: the same
engine code runs, and the executor books each evaluation on ``N`` virtual workers.

Problem: the landscape fitness with a training time derived from the genome,
``train_seconds = 10 × epochs_run × (2 + layers)`` (so durations vary about 30-fold), also
reported as its cost ``train_flops`` (cost units = simulated seconds). Under multi-fidelity
the fitness hands back a placeholder checkpoint, so a promoted candidate continues its
training and pays only ``b_{k+1} − b_k`` more epochs, as a real one would.

Methods, each with the same compute (the synchronous run's total cost for the seed):

* ``sync`` — evodeap's generations (population P, one barrier per generation);
* ``asha`` — evodeap with ``multi_fidelity`` (rungs 1, 3, 9 epochs, η = 3, asynchronous
  promotions within a generation; the generation is still a barrier);
* ``steady`` — :func:`evodeap.engine.steady_state.steady_state` (regularized evolution,
  N evaluations in flight, population P, sample 5).

Target: the median over seeds of the final best of ``sync`` at N = 1. For each run the
time to target is the virtual time of the first full-fidelity evaluation at or above it
(∞ if never). The table gives medians over seeds of: time to target, total virtual wall
time, the idle share ``1 − Σ busy / (N·T)`` and the range of the workers' own idle shares.

    python experiments/bench_scale.py [--seeds 5] [--population 32] [--generations 20]
"""
from __future__ import annotations

import argparse
import dataclasses
import datetime
import math
import os
import platform
import statistics
import time
from typing import Any, Callable

from evodeap.config.settings import ExperimentConfig
from evodeap.engine.loop import evolve
from evodeap.engine.steady_state import steady_state
from evodeap.evaluation.api import EvalContext, EvalResult
from evodeap.evaluation.fidelity import with_multi_fidelity
from evodeap.execution.simulated import SimulatedExecutor
from evodeap.fitness.landscape import LandscapeFitness
from evodeap.genome.genome import Genome

WORKERS = (1, 4, 16, 64, 256)
RUNGS = dict(min_budget=1, eta=3, max_budget=9)


@dataclasses.dataclass(frozen=True)
class TimedLandscape:
    """The landscape; an evaluation trains ``seconds_per_epoch_layer × epochs_run × (2 + layers)``."""

    seconds_per_epoch_layer: float = 10.0

    def __call__(self, genome: Genome, context: EvalContext) -> EvalResult:
        result = LandscapeFitness()(genome, context)
        seconds = self.seconds_per_epoch_layer * result.extra["epochs_run"] * (2 + len(genome))
        result.extra.update(train_seconds=float(seconds), train_flops=float(seconds))
        if context.return_weights:  # a placeholder checkpoint: promoted candidates continue
            result.weights = b"simulated checkpoint"
        return result


def run_method(method: str, config: ExperimentConfig, workers: int, budget: float | None) -> dict[str, Any]:
    """One run on ``workers`` simulated workers: its full-fidelity trace and the executor's measures."""
    executor = SimulatedExecutor(workers=workers)
    trace: list[tuple[float, float]] = []  # (virtual completion time, fitness) of full-fidelity results

    def seen(record: Any) -> None:
        if record.result.extra.get("budget") in (None, RUNGS["max_budget"]):
            trace.append((executor.clock, record.result.fitness[0]))

    fitness = TimedLandscape()
    if method == "sync":
        result = evolve(config, fitness=fitness, executor=executor, on_evaluation=seen)
        evaluations = len(result.evaluations)
    elif method == "asha":
        asha = with_multi_fidelity(config, asynchronous=True, **RUNGS)
        asha = dataclasses.replace(asha, generations=10_000, compute_budget=budget)
        evaluations = len(evolve(asha, fitness=fitness, executor=executor, on_evaluation=seen).evaluations)
    else:
        evaluations = len(steady_state(config, executor=executor, fitness=fitness, max_evaluations=10**9,
                                       compute_budget=budget, sample_size=5, on_evaluation=seen).records)
    shares = executor.idle_shares()
    return {"trace": trace, "wall": executor.clock, "idle": executor.idle_share(), "idle_min": min(shares),
            "idle_max": max(shares), "evaluations": evaluations,
            "compute": sum(s.finish - s.start for s in executor.timeline)}


def time_to(trace: list[tuple[float, float]], target: float) -> float:
    """The first time in ``trace`` with a value ≥ ``target`` (∞ if none)."""
    return next((t for t, value in trace if value >= target), math.inf)


def median(values: list[float]) -> float:
    return statistics.median(values)


def measure(population: int, generations: int, seeds: list[int],
            progress: Callable[[str], None]) -> tuple[list[dict[str, Any]], float]:
    """Every (N, method, seed) run; returns the rows (medians over seeds) and the target."""
    runs: dict[tuple[int, str], list[dict[str, Any]]] = {}
    budgets: dict[int, float] = {}
    for seed in seeds:
        config = ExperimentConfig(population_size=population, generations=generations, seed=seed)
        for workers in WORKERS:
            for method in ("sync", "asha", "steady"):
                run = run_method(method, config, workers, budgets.get(seed))
                if method == "sync":
                    budgets[seed] = run["compute"]  # the same for every N: the same evaluations
                runs.setdefault((workers, method), []).append(run)
        progress(f"seed {seed} done")
    target = median([max(v for _, v in run["trace"]) for run in runs[(1, "sync")]])
    rows = []
    for (workers, method), group in runs.items():
        rows.append({"N": workers, "method": method,
                     "to_target": median([time_to(r["trace"], target) for r in group]),
                     "reached": sum(time_to(r["trace"], target) < math.inf for r in group), "seeds": len(group),
                     **{key: median([r[key] for r in group])
                        for key in ("wall", "idle", "idle_min", "idle_max", "evaluations", "compute")}})
    return rows, target


def hours(seconds: float) -> str:
    return "never" if math.isinf(seconds) else f"{seconds / 3600:.1f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--population", type=int, default=32)
    parser.add_argument("--generations", type=int, default=20)
    args = parser.parse_args()
    start = time.perf_counter()
    rows, target = measure(args.population, args.generations, list(range(args.seeds)),
                           lambda line: print(line, flush=True))
    print(f"\nmachine: {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}, "
          f"{datetime.date.today()}; {time.perf_counter() - start:.0f} s of real time")
    print(f"population {args.population}, sync: {args.generations} generations; {args.seeds} seeds (medians); "
          f"target = {target:.4f} (median final best of sync at N = 1)\n")
    print("| N | method | time to target (h) | reached | wall time (h) | idle share | workers' idle shares "
          "| evaluations | compute (h) |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['N']} | {r['method']} | {hours(r['to_target'])} | {r['reached']}/{r['seeds']} | "
              f"{hours(r['wall'])} | {r['idle']:.1%} | {r['idle_min']:.0%}–{r['idle_max']:.0%} | "
              f"{r['evaluations']:.0f} | {hours(r['compute'])} |")


if __name__ == "__main__":
    main()
