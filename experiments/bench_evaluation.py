"""Benchmark (not a test): where one Keras evaluation's time goes, and its fixed cost.

Runs real :class:`~evodeap.fitness.KerasFitness` evaluations in this process — after one
warm-up evaluation (TensorFlow loaded, data built) — and prints, per model, the median
seconds of each phase of ``EvalResult.extra["phase_seconds"]`` (data, build, weights,
fit_setup, first_step, steps, scoring, teardown; see :mod:`evodeap.fitness.phases`), the
wall time of an evaluation and its **fixed cost**: wall time minus ``n_steps · s``, with
``s = steps / (n_steps − 1)`` the steady step time (what every new model pays besides
training: data, build, tracing, scoring, teardown).

Models:

* ``trivial`` — one convolution of 8 filters, batch 32, one epoch of 64 one-frame videos
  (2 optimizer steps), scored on 64 validation (clean and perturbed) and 64 test videos;
* ``preset`` — the paper replication's ``quick`` preset size: three conv blocks
  (8/16/32 filters, 3×3, max pooling), a global max pool per frame, 4,000 / 1,000 / 1,000
  hard one-frame videos at 36×64, batch 32 (``--epochs``, default 2).

Each evaluation uses another seed. The wall time is the evaluation's own plus its
teardown (which follows the result).

    python experiments/bench_evaluation.py [--repeats 5] [--models trivial,preset] [--epochs 2]
"""
from __future__ import annotations

import argparse
import os
import platform
import statistics
import time
from datetime import datetime, timezone

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from evodeap.data import DataSpec
from evodeap.evaluation.api import EvalContext
from evodeap.fitness import KerasFitness
from evodeap.fitness.phases import PHASES
from evodeap.genome.genome import Genome

CONV = {"kind": "conv", "kernel_size": 3, "activation": "relu", "pooling": "max"}


def _genome(filters: list[int], epochs: int, pool: bool) -> Genome:
    layers = [{**CONV, "filters": f} for f in filters] + ([{"kind": "frame_pool", "mode": "max"}] if pool else [])
    return Genome.from_dict({
        "family": "cnn", "layers": layers,
        "hyperparameters": {"learning_rate": 0.003, "batch_size": 32, "optimizer": "adam", "dropout": 0.0,
                            "epochs": epochs},
    })


def models(epochs: int) -> dict[str, tuple[DataSpec, Genome]]:
    return {
        "trivial": (DataSpec(version="hard", task="digits", videos=(64, 64, 64), frames=1, downsample=2),
                    _genome([8], 1, pool=False)),
        "preset": (DataSpec(version="hard", task="digits", videos=(4000, 1000, 1000), frames=1, downsample=2),
                   _genome([8, 16, 32], epochs, pool=True)),
    }


def measure(spec: DataSpec, genome: Genome, repeats: int) -> dict:
    fitness = KerasFitness(spec, metric="auc")
    fitness(genome, EvalContext(seed=10_000))  # warm-up: imports, data, first trace of the process
    rows = []
    for seed in range(repeats):
        start = time.perf_counter()
        result = fitness(genome, EvalContext(seed=seed))
        wall = time.perf_counter() - start
        assert result.ok, result.message
        phases = result.extra["phase_seconds"]
        n = int(result.extra["optimizer_steps"])
        step = phases["steps"] / (n - 1) if n > 1 else float("nan")
        rows.append({**phases, "wall": wall, "fixed": wall - n * step, "step": step, "n_steps": n,
                     "auc": result.metrics.get("test_auc", float("nan"))})
    return {key: statistics.median(r[key] for r in rows) for key in rows[0]} | {"all_fixed": [r["fixed"] for r in rows]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--models", default="trivial,preset")
    parser.add_argument("--epochs", type=int, default=2, help="epochs of the preset-sized model")
    args = parser.parse_args()
    table = models(args.epochs)
    chosen = [m.strip() for m in args.models.split(",") if m.strip()]
    unknown = [m for m in chosen if m not in table]
    if unknown:
        parser.error(f"unknown model(s) {unknown}; choose from {', '.join(table)}")
    results = {name: measure(*table[name], args.repeats) for name in chosen}
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"{datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC; {platform.machine()}, {os.cpu_count()} CPUs, "
          f"Python {platform.python_version()}; load average {load:.1f}; median of {args.repeats} evaluations")
    phases = [p for p in PHASES if any(p in r for r in results.values())]
    print("| model | " + " | ".join(phases) + " | wall | steps run | steady step | **fixed cost** | test AUC |")
    print("|---|" + "---|" * (len(phases) + 5))
    for name, r in results.items():
        cells = " | ".join(f"{r.get(p, 0.0):.3f}" for p in phases)
        print(f"| {name} | {cells} | {r['wall']:.3f} | {r['n_steps']:.0f} | {1000 * r['step']:.1f} ms | "
              f"**{r['fixed']:.3f}** | {r['auc']:.3f} |")
    for name, r in results.items():
        print(f"{name}: fixed cost per evaluation {', '.join(f'{v:.3f}' for v in r['all_fixed'])} s")


if __name__ == "__main__":
    main()
