"""Benchmark (not a test): search quality per unit of training compute, side by side.

Every method searches the same space with the same model builder, data and fitness, and
gets the same training-compute budget ``C`` (training FLOPs, ``3 × forward FLOPs ×
samples`` as recorded in every evaluation's ``extra["train_flops"]``):

* ``evodeap`` — the paper's method as published (Boltzmann selection, two-point
  crossover, split mutation with adaptive μ(t), refinement), every model trained fully;
* ``evodeap_mf`` — the same with multi-fidelity successive halving (rungs 3 and 9 epochs,
  η = 3);
* ``evodeap_mf_inherit`` — multi-fidelity plus weight inheritance (measures inheritance);
* ``evodeap_et`` — the published method plus learning-curve early termination (top 3);
* ``random``, ``grid`` — random and grid search (:mod:`evodeap.baselines`);
* ``optuna_tpe`` — Optuna's TPE; ``keras_tuner_hyperband`` — Keras Tuner's Hyperband
  (max 9 epochs, η = 3, promotions continue from the parent trial's weights).

The task: Captioned Moving MNIST generated here, *easy* version (one digit), task
``digit`` (10 classes), 4 frames downsampled to 18×32, 1024/256/512 videos — small enough to
train in seconds on a CPU, and a task small CNNs measurably learn (the hard version's
tasks stay at chance for models this small; see docs/efficiency.md). The fitness is the
validation accuracy (α = 1, β = γ = 0), so every method optimises the same number; the
report gives the *test* accuracy of each method's incumbent (best validation accuracy so
far), see :mod:`evodeap.efficiency`.

``C`` is ``BUDGET_MODELS`` times the mean training compute of a random draw from the space
(its own epochs gene), estimated from 2,000 seeded draws without training anything, so
random search trains about ``BUDGET_MODELS`` models.

Each (method, seed) runs in its own process with one thread (``--jobs`` at a time) and
writes ``jobs/<method>-<seed>.json``; finished jobs are kept, so a stopped benchmark
continues where it was. Then the figures and tables are written:

    python experiments/bench_search.py --out runs/bench-search            # about 37 min, 2 cores
    python experiments/bench_search.py --out runs/bench-search --methods evodeap evodeap_mf \
        evodeap_mf_inherit evodeap_et random grid optuna_tpe keras_tuner_hyperband   # + 8 min
    python experiments/bench_search.py --out runs/bench-search --seeds 1 --scale 0.3   # a smoke run
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import math
import os
import platform
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np

from evodeap.config import ExperimentConfig
from evodeap.efficiency import compute_to_reach, incumbent_curve, value_at
from evodeap.executors import worker_environment
from evodeap.fidelity import with_multi_fidelity
from evodeap.space import Choice, Integer, Real, SearchSpace

DATA = {"version": "easy", "task": "digit", "videos": [1024, 256, 512], "frames": 4, "downsample": 4, "seed": 0}
SPACE = SearchSpace(
    family="cnn",
    hyperparameters={
        "learning_rate": Real(1e-4, 1e-1, log=True),
        "batch_size": Choice((16, 32, 64)),
        "optimizer": Choice(("adam", "sgd", "rmsprop")),
        "dropout": Real(0.0, 0.5),
        "epochs": Integer(1, 9),
    },
    layers={
        "conv": {"filters": Integer(4, 32, log=True), "kernel_size": Choice((3,)),
                 "activation": Choice(("relu", "tanh")), "pooling": Choice(("max", "avg"))},
        "dense": {"units": Integer(8, 64, log=True), "activation": Choice(("relu", "tanh"))},
        "dropout": {"rate": Real(0.0, 0.5)},
    },
    min_layers=2,
    max_layers=4,
)
FITNESS = {"data": DATA, "metric": "accuracy", "accuracy_weight": 1.0, "cost_weight": 0.0,
           "robustness_weight": 0.0, "perturbation": None}
BUDGET_MODELS = 16
MAX_EPOCHS = 9
METHODS = ("evodeap", "evodeap_mf", "evodeap_mf_inherit", "evodeap_et", "random", "grid", "optuna_tpe",
           "keras_tuner_hyperband")
#: What a plain run does (about 37 minutes on 2 cores); add ``--methods … evodeap_et`` for the
#: early-termination arm (about 8 more minutes; finished jobs are kept).
DEFAULT_METHODS = tuple(m for m in METHODS if m != "evodeap_et")
REFERENCE = "random"


def make_fitness():
    from evodeap.fitness import KerasFitness

    return KerasFitness(**FITNESS)


def compute_budget(scale: float = 1.0, draws: int = 2000) -> float:
    """``C = scale · BUDGET_MODELS · mean training FLOPs of a random draw`` (no training)."""
    from evodeap.data import DataSpec, task_info
    from evodeap.models import plan_model, training_flops

    spec = DataSpec.from_dict(DATA)
    task = task_info(DATA["task"], DATA["version"])
    rng = np.random.default_rng(12345)
    costs = []
    for _ in range(draws):
        genome = SPACE.sample_genome(rng)
        plan = plan_model(genome, spec.input_shape, task)
        if plan.valid:
            costs.append(training_flops(plan, DATA["videos"][0] * genome.hyperparameters["epochs"]))
    return float(scale * BUDGET_MODELS * np.mean(costs))


def evolution_config(seed: int, budget: float, method: str) -> ExperimentConfig:
    config = ExperimentConfig(
        name=method, space=SPACE, fitness="keras", fitness_params=dict(FITNESS),
        population_size=6, generations=1000, crossover="two_point", mutation="split",
        mutation_rate={"name": "exponential_decay", "initial": 0.05, "rate": 0.05},
        selection="boltzmann", selection_params={"beta": 5.0}, elitism=1, refine_every=3,
        seed=seed, compute_budget=budget,
    )
    if method == "evodeap":
        return config
    if method == "evodeap_et":
        return dataclasses.replace(config, early_termination={"top_k": 3, "min_epochs": 2})
    config = with_multi_fidelity(dataclasses.replace(config, population_size=4), min_budget=3, eta=3,
                                 max_budget=MAX_EPOCHS)
    return dataclasses.replace(config, inheritance=method == "evodeap_mf_inherit")


def run_job(method: str, seed: int, budget: float) -> list[dict]:
    """One search; its evaluations in finishing order as plain rows."""
    if method.startswith("evodeap"):
        from evodeap.engine import evolve

        records = evolve(evolution_config(seed, budget, method)).evaluations
    else:
        from evodeap.baselines import run_baseline

        params = {"max_epochs": MAX_EPOCHS, "factor": 3} if method == "keras_tuner_hyperband" else {}
        records = run_baseline(method, SPACE, make_fitness(), 100_000, seed, compute_budget=budget, **params)
    rows = []
    for r in records:
        res = r.result
        rows.append({
            "generation": r.generation, "index": r.index, "status": res.status,
            "train_flops": float(res.extra.get("train_flops", 0.0)),
            "epochs": float(res.extra.get("epochs_run", 0)), "budget": res.extra.get("budget"),
            "terminated_early": bool(res.extra.get("terminated_early", False)),
            "val_accuracy": res.metrics.get("val_accuracy", math.nan) if res.ok else math.nan,
            "test_accuracy": res.metrics.get("test_accuracy", math.nan) if res.ok else math.nan,
            "wall_time": res.wall_time,
        })
    return rows


def job_path(out: Path, method: str, seed: int) -> Path:
    return out / "jobs" / f"{method}-{seed}.json"


def run_all(out: Path, methods: list[str], seeds: list[int], budget: float, jobs: int) -> None:
    """Run every missing (method, seed) job in its own one-thread process, ``jobs`` at a time."""
    todo = [(m, s) for s in seeds for m in methods if not job_path(out, m, s).exists()]
    running: list[tuple[subprocess.Popen, str, int, float]] = []
    env = {**os.environ, **worker_environment(0, 1, None), "TF_CPP_MIN_LOG_LEVEL": "3"}
    while todo or running:
        while todo and len(running) < jobs:
            method, seed = todo.pop(0)
            cmd = [sys.executable, __file__, "--job", method, str(seed), "--budget", repr(budget), "--out", str(out)]
            running.append((subprocess.Popen(cmd, env=env), method, seed, time.perf_counter()))
        time.sleep(0.5)
        for item in list(running):
            process, method, seed, started = item
            if process.poll() is not None:
                running.remove(item)
                state = "done" if process.returncode == 0 else f"FAILED (exit {process.returncode})"
                print(f"{method:>22} seed {seed}: {state} in {time.perf_counter() - started:.0f} s", flush=True)


# -- the report -------------------------------------------------------------------------------
def load(out: Path, methods: list[str], seeds: list[int]) -> dict[str, dict[int, dict]]:
    data: dict[str, dict[int, dict]] = {}
    for method in methods:
        for seed in seeds:
            path = job_path(out, method, seed)
            if path.exists():
                data.setdefault(method, {})[seed] = json.loads(path.read_text())
    return data


def curve_of(job: dict):
    rows = job["evaluations"]
    return incumbent_curve([r["train_flops"] for r in rows], [r["val_accuracy"] for r in rows],
                           [r["test_accuracy"] for r in rows])


def spent_within(job: dict, budget: float) -> tuple[int, float]:
    """Evaluations and wall seconds up to the budget (the evaluation crossing it included)."""
    spent, count, wall = 0.0, 0, 0.0
    for row in job["evaluations"]:
        if spent >= budget:
            break
        spent += row["train_flops"]
        count += 1
        wall += row["wall_time"]
    return count, wall


def summarise(data: dict, budget: float):
    """One row per method: final incumbent test accuracy at C, compute to reach random's
    final best (per seed), evaluations and wall time."""
    import pandas as pd

    from evodeap.stats import bootstrap_ci, mann_whitney

    reference = {seed: value_at(curve_of(job), budget) for seed, job in data.get(REFERENCE, {}).items()}
    mf_final = [value_at(curve_of(job), budget) for job in data.get("evodeap_mf", {}).values()]
    rows = []
    for method, jobs in data.items():
        finals = [value_at(curve_of(job), budget) for job in jobs.values()]
        reach = [compute_to_reach(curve_of(job), reference[seed], limit=budget) / budget
                 for seed, job in jobs.items() if seed in reference]
        lo, hi = bootstrap_ci(finals, np.median)
        counts = [spent_within(job, budget) for job in jobs.values()]
        u, p = mann_whitney(mf_final, finals) if method != "evodeap_mf" else (math.nan, math.nan)
        reached = [x for x in reach if math.isfinite(x)]
        rows.append({
            "method": method, "seeds": len(finals),
            "test_acc_median": float(np.median(finals)), "ci_low": lo, "ci_high": hi,
            "reach_random_best_median": float(np.median(reach)) if reach else math.nan,
            "reached": f"{len(reached)}/{len(reach)}",
            "evaluations_median": float(np.median([c for c, _ in counts])),
            "wall_min_median": float(np.median([w for _, w in counts])) / 60,
            "p_vs_evodeap_mf": p,
        })
    return pd.DataFrame(rows)


def markdown(frame, budget: float) -> str:
    lines = [
        f"Budget C = {budget:.3g} training FLOPs per search; {int(frame['seeds'].max())} seeds per method.",
        "",
        "| method | test accuracy at C, median [95% CI] | compute to reach random's final best (median, × C) "
        "| seeds that reach it | evaluations | wall min | p vs evodeap_mf |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in frame.itertuples():
        reach = "never" if not math.isfinite(row.reach_random_best_median) else f"{row.reach_random_best_median:.2f}"
        p = "—" if not math.isfinite(row.p_vs_evodeap_mf) else f"{row.p_vs_evodeap_mf:.3f}"
        lines.append(f"| {row.method} | {row.test_acc_median:.3f} [{row.ci_low:.3f}, {row.ci_high:.3f}] | {reach} "
                     f"| {row.reached} | {row.evaluations_median:.0f} | {row.wall_min_median:.1f} | {p} |")
    return "\n".join(lines) + "\n"


def plot(data: dict, budget: float, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    xs = np.linspace(0, budget, 200)
    fig, ax = plt.subplots(figsize=(8, 5))
    for method, jobs in data.items():
        values = np.array([[value_at(curve_of(job), x) for x in xs] for job in jobs.values()])
        with warnings.catch_warnings():  # before a method's first evaluation every seed is NaN
            warnings.simplefilter("ignore", RuntimeWarning)
            median = np.nanmedian(values, axis=0)
            low, high = np.nanpercentile(values, 25, axis=0), np.nanpercentile(values, 75, axis=0)
        ax.plot(xs / 1e12, median, label=method, lw=2 if method.startswith("evodeap") else 1.2)
        ax.fill_between(xs / 1e12, low, high, alpha=0.12)
    ax.set_xlabel("training compute spent (TFLOPs)")
    ax.set_ylabel("test accuracy of the incumbent (median, IQR band)")
    ax.set_title("Search quality per unit of compute — Captioned Moving MNIST, digit task")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def report(out: Path, methods: list[str], seeds: list[int], budget: float) -> str:
    data = load(out, methods, seeds)
    frame = summarise(data, budget)
    frame.to_csv(out / "bench_search.csv", index=False)
    text = markdown(frame, budget)
    (out / "bench_search.md").write_text(text)
    plot(data, budget, out / "bench_search.png")
    return text


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("runs/bench-search"))
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--jobs", type=int, default=2, help="searches at a time, one thread each")
    parser.add_argument("--scale", type=float, default=1.0, help="multiply the compute budget")
    parser.add_argument("--methods", nargs="+", default=list(DEFAULT_METHODS), choices=METHODS)
    parser.add_argument("--job", nargs=2, metavar=("METHOD", "SEED"), help=argparse.SUPPRESS)
    parser.add_argument("--budget", type=float, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.job:
        method, seed = args.job[0], int(args.job[1])
        start = time.perf_counter()
        rows = run_job(method, seed, args.budget)
        path = job_path(args.out, method, seed)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps({"method": method, "seed": seed, "budget": args.budget,
                                   "wall_seconds": time.perf_counter() - start, "evaluations": rows}))
        os.replace(tmp, path)
        return
    budget = compute_budget(args.scale)
    seeds = list(range(args.seeds))
    args.out.mkdir(parents=True, exist_ok=True)
    print(f"{platform.machine()} {os.cpu_count()} CPUs; budget C = {budget:.3g} training FLOPs per search", flush=True)
    start = time.perf_counter()
    run_all(args.out, args.methods, seeds, budget, args.jobs)
    print(f"all jobs: {(time.perf_counter() - start) / 60:.1f} min", flush=True)
    print(report(args.out, args.methods, seeds, budget))


if __name__ == "__main__":
    main()
