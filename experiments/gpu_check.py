"""GPU check: the backend and devices a machine gives evodeap, and how fast it trains there.

One command, a few minutes, on a machine with (or without) GPUs::

    KERAS_BACKEND=jax python experiments/gpu_check.py            # or tensorflow / torch
    python experiments/gpu_check.py --genomes 12 --out gpu_check.json

It

1. asks a spawned worker which Keras backend, package versions and GPUs it sees (the
   master never imports Keras or the backend, so it holds no GPU memory);
2. samples ``--genomes`` genomes (the replication's two families, ``cnn`` and ``cnn+rnn``,
   in turn) of the paper replication's ``quick`` preset — its search space and data (hard
   Captioned Moving MNIST, 2,000 / 500 / 500 videos of 8 frames at 18×32 pixels, task
   ``digits+direction``, generated and cached on first use);
3. trains and scores them with the Keras fitness in evodeap's process executor, one worker
   per GPU, each pinned to its GPU by ``CUDA_VISIBLE_DEVICES`` before it imports the
   backend (one CPU worker when no GPU is found — it says so);
4. prints, per evaluation and in all, the wall time per evaluation, the training
   throughput (training samples × epochs / seconds in ``fit``) and the peak GPU memory
   each worker's backend reports, and with ``--out`` writes the same as JSON.

``--tiny`` shrinks the data and the models so the whole check runs in seconds on a CPU
(used by the test suite).
"""
from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run from a clone without installing
    sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from evodeap.execution.backend import configured_backend, describe_backend, gpu_devices, require_backend  # noqa: E402
from evodeap.evaluation.api import EvalContext, EvalResult, run_evaluation  # noqa: E402
from evodeap.execution.executors import ProcessExecutor  # noqa: E402

TINY_DATA = {"version": "hard", "task": "digits", "videos": [16, 8, 8], "frames": 3, "downsample": 8}


def probe(_: object) -> dict:
    """In a worker: the backend, its versions and its GPUs."""
    return {**describe_backend(), "gpus": gpu_devices(), "host": platform.node(), "python": platform.python_version()}


_FITNESS: dict[str, object] = {}  # per worker process: the Keras fitness, built once


def evaluate(task: tuple) -> EvalResult:
    """In a worker: one Keras-fitness evaluation of ``(fitness parameters, genome, seed)``."""
    params, genome, seed = task
    key = json.dumps(params, sort_keys=True)
    if key not in _FITNESS:
        from evodeap.fitness.keras_fitness import KerasFitness

        _FITNESS[key] = KerasFitness(**params)
    fitness = _FITNESS[key]
    return run_evaluation(fitness, genome, EvalContext(seed=seed))


def quick_preset(tiny: bool, cache_dir: str | None):
    """The paper replication's quick-preset config (smaller still with ``tiny``)."""
    from evodeap.config.experiment import preset_overrides
    from evodeap.config.experiment import load_experiment

    namespace = load_experiment(ROOT / "experiments" / "paper_replication.py")
    overrides = preset_overrides(namespace, "quick")
    if tiny:
        overrides.update({"fitness_params.data": dict(TINY_DATA), "space.max_layers": 3,
                          "space.conv.filters.high": 8, "space.rnn.units.high": 8, "space.dense.units.high": 8,
                          "space.batch_size.options": [8], "space.epochs.high": 1})
    config = namespace["CONFIG"].with_overrides(overrides)
    if cache_dir is not None:
        config = config.with_overrides({"fitness_params.data.cache_dir": cache_dir})
    return config


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--genomes", type=int, default=8, help="genomes to train (default 8)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--tiny", action="store_true", help="tiny data and models (a CPU smoke test)")
    parser.add_argument("--cache-dir", help="where the generated data is cached (default: evodeap's cache)")
    parser.add_argument("--out", help="also write the results to this JSON file")
    args = parser.parse_args(argv)
    require_backend(configured_backend())
    started = time.perf_counter()
    from evodeap.data import DataSpec, load

    config = quick_preset(args.tiny, args.cache_dir)
    bundle = load(DataSpec.from_dict(config.fitness_params["data"]))  # generated (or read) once, here
    n_train = bundle.size("train")
    rng = np.random.default_rng(args.seed)
    spaces = [dataclasses.replace(config.space, family=family) for family in ("cnn", "cnn+rnn")]
    genomes = [spaces[i % 2].sample_genome(rng) for i in range(args.genomes)]
    tasks = [(config.fitness_params, genome, args.seed + i) for i, genome in enumerate(genomes)]

    rows = []
    with contextlib.ExitStack() as stack:
        executor = stack.enter_context(ProcessExecutor(workers=1))
        seen = executor.map(probe, [None])[0]
        gpus = seen["gpus"]
        versions = ", ".join(f"{k} {v}" for k, v in seen["versions"].items())
        print(f"backend: {seen['backend']} ({versions}); host {seen['host']}, python {seen['python']}")
        if gpus:
            print(f"GPUs: {len(gpus)}: " + "; ".join(gpus))
            executor.close()  # one worker per GPU, each started pinned to its own
            executor = stack.enter_context(ProcessExecutor(workers=len(gpus), gpus=[str(i) for i in range(len(gpus))]))
        else:
            print("no GPU found: training on the CPU instead (one worker)")
        workers = max(1, len(gpus))
        print(f"training {len(genomes)} genomes of the quick preset's size ({'tiny: ' if args.tiny else ''}"
              f"{n_train} training videos of {bundle.input_shape}) on {workers} worker(s)", flush=True)
        training_started = time.perf_counter()
        for index, result in executor.imap_unordered(evaluate, tasks):
            extra = result.extra
            train_s = extra.get("train_seconds")
            samples = n_train * extra.get("epochs_run", 0)
            row = {
                "index": index, "family": genomes[index].family, "layers": len(genomes[index]),
                "status": result.status, "seconds": result.wall_time, "train_seconds": train_s, "samples": samples,
                "samples_per_second": samples / train_s if train_s else None,
                "gpu_peak_mb": extra.get("gpu_peak_mb"), "n_params": result.n_params,
                "message": result.message[:200],
            }
            rows.append(row)
            speed = f"{row['samples_per_second']:8.1f} samples/s" if row["samples_per_second"] else " " * 18
            peak = f"{row['gpu_peak_mb']:8.1f} MB GPU peak" if row["gpu_peak_mb"] is not None else ""
            print(f"  #{index:<2d} {row['family']:<4s} {row['layers']} layers {result.status:<7s} "
                  f"{row['seconds']:7.2f} s {speed} {peak} {row['message']}", flush=True)
        training_wall = time.perf_counter() - training_started

    ok = [r for r in rows if r["status"] == "ok"]
    total = time.perf_counter() - started
    summary = {
        "backend": seen["backend"], "versions": seen["versions"], "gpus": gpus, "workers": workers,
        "tiny": args.tiny, "evaluations": len(rows), "ok": len(ok),
        "median_seconds_per_evaluation": statistics.median(r["seconds"] for r in rows) if rows else None,
        # per worker: samples / seconds in fit; all workers together: samples / wall time of the training
        "training_samples_per_second": (sum(r["samples"] for r in ok) / sum(r["train_seconds"] for r in ok)
                                        if ok else None),
        "all_workers_samples_per_second": sum(r["samples"] for r in ok) / training_wall if ok else None,
        "peak_gpu_memory_mb": max((r["gpu_peak_mb"] for r in rows if r["gpu_peak_mb"] is not None), default=None),
        "total_seconds": total, "rows": rows,
    }
    print(f"{len(ok)}/{len(rows)} ok; median {summary['median_seconds_per_evaluation']:.2f} s per evaluation; "
          + (f"training throughput {summary['training_samples_per_second']:.1f} samples/s per worker, "
             f"{summary['all_workers_samples_per_second']:.1f} samples/s in all; " if ok else "")
          + (f"peak GPU memory {summary['peak_gpu_memory_mb']:.1f} MB"
             if summary["peak_gpu_memory_mb"] is not None else "peak GPU memory: n/a (no GPU)")
          + f"; {total:.1f} s in all")
    if args.out:
        Path(args.out).write_text(json.dumps(summary, indent=1))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
