"""The fixed cost of one evaluation, and the cost of a training step, on each Keras backend.

    python experiments/bench_backends.py [--backends tensorflow jax torch] [--evaluations 5] [--repeats 3]

Every backend runs in its own fresh process (Keras picks its backend once per process)
and measures, with the Keras fitness on random in-memory data:

* ``import`` — seconds to import Keras, the backend and the fitness;
* ``first`` — the first evaluation of the process (backend start-up, first compilation);
* ``fixed`` — the median wall time of ``--evaluations`` evaluations of *different*
  trivial genomes (one 2-filter convolution, a 4-unit dense layer; 2 training steps of 16
  videos of 4×16×16, 16 validation videos scored clean and perturbed). Training is
  negligible, so this is the fixed cost every new model pays: build, trace or compile,
  scoring, teardown. Each genome differs (filters 2, 3, 4 ...) because an evolutionary
  search trains a new architecture almost every time, and JAX caches compilations of
  identical models;
* ``step`` — the time of one training step of a model of the paper replication's quick
  preset's former size (2 convolutions of 16 and 32 filters, dense 64, batch 32, 8×18×32 frames),
  the median over ``--repeats`` of ``(t(4 epochs) − t(1 epoch)) / (3 · 8 steps)``, after a
  warm-up evaluation;
* ``break-even`` — for a backend with a higher fixed cost ``F_b`` but a faster step
  ``s_b`` than TensorFlow's (``F_tf``, ``s_tf``): the training steps per model from which
  it is faster in all, ``(F_b − F_tf) / (s_tf − s_b)``.

Prints a Markdown table. Timings depend on the machine and its load; the script says
which machine it ran on.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BACKENDS = ("tensorflow", "jax", "torch")
QUICK_SHAPE = (8, 18, 32, 1)


def _measure(evaluations: int, repeats: int) -> dict:
    """In the backend's own process: the measurements above, as a dict."""
    start = time.perf_counter()
    import keras
    import numpy as np

    from evodeap.data import from_arrays
    from evodeap.evaluation.api import EvalContext
    from evodeap.fitness.keras_fitness import KerasFitness
    from evodeap.genome.genes import ConvBlock, DenseLayer
    from evodeap.genome.genome import Genome

    imported = time.perf_counter() - start
    rng = np.random.default_rng(0)

    def fitness_on(shape, counts):
        arrays = []
        for n in counts:
            arrays += [rng.random((n,) + shape, dtype=np.float32), rng.integers(0, 4, n)]
        return KerasFitness(from_arrays(*arrays, task="multiclass"), max_params=None, evaluate_test=False,
                            perturbation={"noise_sigma": 0.1, "occlusion_size": 4, "occlusion_prob": 0.5, "seed": 0})

    def genome(filters, layers=1, epochs=1, batch=8):
        convs = [ConvBlock(filters * 2**i, 3, "relu", "max") for i in range(layers)]
        return Genome([*convs, DenseLayer(4 if layers == 1 else 64, "relu")],
                      {"learning_rate": 0.01, "batch_size": batch, "optimizer": "adam", "dropout": 0.0,
                       "epochs": epochs}, family="cnn")

    def seconds(fitness, g, seed):
        result = fitness(g, EvalContext(seed=seed))
        if result.status != "ok":
            raise RuntimeError(f"{result.status}: {result.message}")
        return result.wall_time

    trivial = fitness_on((4, 16, 16, 1), (16, 16))
    first = seconds(trivial, genome(2), 0)
    fixed = [seconds(trivial, genome(3 + i), i + 1) for i in range(evaluations)]
    quick = fitness_on(QUICK_SHAPE, (256, 32))
    warm = seconds(quick, genome(16, layers=2, batch=32), 0)
    steps = []
    for r in range(repeats):
        one = seconds(quick, genome(16, layers=2, epochs=1, batch=32), 1 + 2 * r)
        four = seconds(quick, genome(16, layers=2, epochs=4, batch=32), 2 + 2 * r)
        steps.append(max(0.0, (four - one) / (3 * 8)))
    return {"backend": keras.backend.backend(), "import": imported, "first": first,
            "fixed": statistics.median(fixed), "fixed_all": fixed, "quick_warm_up": warm,
            "step": statistics.median(steps), "step_all": steps}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backends", nargs="+", default=list(BACKENDS), choices=BACKENDS)
    parser.add_argument("--evaluations", type=int, default=5, help="trivial evaluations per backend (median)")
    parser.add_argument("--repeats", type=int, default=3, help="step-time measurements per backend (median)")
    parser.add_argument("--worker", help=argparse.SUPPRESS)  # internal: measure in this process
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(_measure(args.evaluations, args.repeats)))
        return

    print(f"machine: {platform.machine()} {os.cpu_count()} CPUs, {platform.platform()}, "
          f"python {platform.python_version()}; load average {os.getloadavg()[0]:.1f}; "
          f"{time.strftime('%Y-%m-%d %H:%M')}; {args.evaluations} trivial evaluations and {args.repeats} "
          f"step measurements per backend", flush=True)
    results = {}
    for backend in args.backends:
        env = {**os.environ, "KERAS_BACKEND": backend, "TF_CPP_MIN_LOG_LEVEL": "3",
               "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep)}
        done = subprocess.run([sys.executable, __file__, "--worker", backend, "--evaluations", str(args.evaluations),
                               "--repeats", str(args.repeats)],
                              env=env, capture_output=True, text=True)
        if done.returncode != 0:
            print(f"{backend}: failed: {done.stderr.strip().splitlines()[-1] if done.stderr.strip() else '?'}")
            continue
        results[backend] = json.loads(done.stdout.strip().splitlines()[-1])
        print(f"{backend}: {results[backend]}", flush=True)

    reference = results.get("tensorflow")
    print("\n| backend | import (s) | first evaluation (s) | fixed cost per new model (s, median) "
          "| quick-size step (ms) | break-even vs TensorFlow (steps per model) |")
    print("|---|---|---|---|---|---|")
    for backend, r in results.items():
        even = "—"
        if reference is not None and backend != "tensorflow":
            extra_fixed = r["fixed"] - reference["fixed"]
            saved = reference["step"] - r["step"]
            if extra_fixed <= 0:  # cheaper to start: ahead until its slower steps (if any) catch up
                even = "always (lower fixed cost, faster steps)" if saved >= 0 else (
                    f"only below {extra_fixed / saved:.1f} steps (lower fixed cost, slower steps)")
            else:
                even = f"from {extra_fixed / saved:.0f} steps" if saved > 0 else "never (higher fixed cost, slower steps)"
        print(f"| {backend} | {r['import']:.1f} | {r['first']:.2f} | {r['fixed']:.2f} | {1000 * r['step']:.1f} | {even} |")


if __name__ == "__main__":
    main()
