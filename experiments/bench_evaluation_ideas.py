"""Benchmark (not a test): the ideas behind the evaluation's fixed cost, one by one.

Measures on a trivial one-convolution model (one frame of 36×64, 64 training videos) and on
the preset-sized one (conv 8/16/32, 4,000 videos) what docs/fitness.md "Fixed cost of an
evaluation" cites:

* a full ``gc.collect()`` with TensorFlow loaded, before and after ``gc.freeze()``, and the
  number of objects it walks;
* the first ``fit`` of a new model (tracing its train function) with the optimizer's
  variables created by ``fit`` itself, built before ``fit``, or with ``run_eagerly=True``,
  and the time of a later one-step ``fit``;
* the steady step time of the preset-sized model with and without the optimizer built
  first (three alternating repeats of 250 steps).

    python experiments/bench_evaluation_ideas.py [--repeats 5]
"""
from __future__ import annotations

import argparse
import gc
import os
import platform
import statistics
import time
from datetime import datetime, timezone

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras

from evodeap.data import DataSpec, load
from evodeap.genome.genome import Genome
from evodeap.models import build_model
from evodeap.models.builders import make_loss, make_optimizer

CONV = {"kind": "conv", "kernel_size": 3, "activation": "relu", "pooling": "max"}


def genome(filters: list[int]) -> Genome:
    return Genome.from_dict({"family": "cnn", "layers": [{**CONV, "filters": f} for f in filters], "hyperparameters": {
        "learning_rate": 0.003, "batch_size": 32, "optimizer": "adam", "dropout": 0.0, "epochs": 1}})


def new_model(g: Genome, bundle, mode: str):
    """A compiled model whose optimizer is built by ``fit`` (``plain``), before it
    (``prebuilt``), or which trains eagerly (``eager``)."""
    keras.backend.clear_session(free_memory=False)
    gc.collect()
    model = build_model(g, bundle.input_shape, bundle.task, compile=False)
    model.compile(optimizer=make_optimizer("adam", 0.003), loss=make_loss(bundle.task), run_eagerly=mode == "eager")
    if mode == "prebuilt":
        model.optimizer.build(model.trainable_variables)
    return model


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    small = load(DataSpec(version="hard", task="digits", videos=(64, 64, 64), frames=1, downsample=2))
    large = load(DataSpec(version="hard", task="digits", videos=(4000, 1000, 1000), frames=1, downsample=2))
    print(f"{datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC; {platform.machine()}, {os.cpu_count()} CPUs, "
          f"Python {platform.python_version()}; load average {os.getloadavg()[0]:.1f}")

    trivial = genome([8])
    one_step = small.dataset("train", 64, shuffle_seed=0)  # one batch: one optimizer step
    for mode in ("plain", "prebuilt", "eager"):  # warm up every path once
        new_model(trivial, small, mode).fit(one_step, epochs=1, verbose=0, shuffle=False)
    objects = len(gc.get_objects())
    full = timed(gc.collect)
    gc.freeze()
    frozen = timed(gc.collect)
    gc.unfreeze()
    print(f"gc.collect(): {objects} tracked objects, {full:.3f} s; after gc.freeze(): {1e6 * frozen:.0f} µs")

    for mode in ("plain", "prebuilt", "eager"):
        firsts, laters = [], []
        for _ in range(args.repeats):
            model = new_model(trivial, small, mode)
            firsts.append(timed(lambda: model.fit(one_step, epochs=1, verbose=0, shuffle=False)))
            laters.append(timed(lambda: model.fit(one_step, epochs=1, verbose=0, shuffle=False)))
        print(f"trivial model, optimizer {mode}: first fit {statistics.median(firsts):.3f} s, "
              f"a later one-step fit {1000 * statistics.median(laters):.1f} ms (median of {args.repeats})")

    preset = genome([8, 16, 32])
    epoch = large.dataset("train", 32, shuffle_seed=0)  # 125 steps
    steps = {"plain": [], "prebuilt": []}
    for _ in range(3):
        for mode in steps:
            model = new_model(preset, large, mode)
            model.fit(epoch, epochs=1, verbose=0, shuffle=False)
            steps[mode].append(timed(lambda: model.fit(epoch, epochs=2, verbose=0, shuffle=False)) / 250)
    for mode, values in steps.items():
        print(f"preset-sized model, optimizer {mode}: steady step {', '.join(f'{1000 * v:.1f}' for v in values)} ms")


if __name__ == "__main__":
    main()
