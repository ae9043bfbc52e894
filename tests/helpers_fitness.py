"""Module-level fitness functions for executor tests (picklable into spawned workers)."""
from __future__ import annotations

import os
from dataclasses import dataclass

from evodeap.evaluation.api import EvalContext, EvalResult
from evodeap.genome.genome import Genome
from evodeap.fitness.landscape import landscape_value


@dataclass(frozen=True)
class CrashingFitness:
    """Kills its worker process (like a segfault or an OOM kill) for genomes with ``crash_layers``
    layers; ``marker_dir`` set: crash only on the first attempt (a marker file remembers it)."""

    crash_layers: int = 4
    marker_dir: str | None = None

    def __call__(self, genome: Genome, context: EvalContext) -> EvalResult:
        if len(genome) == self.crash_layers:
            marker = None if self.marker_dir is None else os.path.join(self.marker_dir, genome.key())
            if marker is None or not os.path.exists(marker):
                if marker is not None:
                    open(marker, "w").close()
                os._exit(9)
        return EvalResult(fitness=(landscape_value(genome),), seed=context.seed)


@dataclass(frozen=True)
class EnvironmentFitness:
    """Reports the worker's CUDA_VISIBLE_DEVICES and thread settings in ``extra``."""

    def __call__(self, genome: Genome, context: EvalContext) -> EvalResult:
        return EvalResult(fitness=(landscape_value(genome),), seed=context.seed, extra={
            "cuda": os.environ.get("CUDA_VISIBLE_DEVICES"), "omp": os.environ.get("OMP_NUM_THREADS"),
            "pid": os.getpid(),
        })


@dataclass(frozen=True)
class MetricStubFitness:
    """Landscape value as fitness plus deterministic stand-in test metrics (seed-dependent)."""

    def __call__(self, genome: Genome, context: EvalContext) -> EvalResult:
        value = landscape_value(genome) + (context.seed % 1000) * 1e-6
        metrics = {f"test_{m}": value * k for m, k in
                   (("accuracy", 0.5), ("label_accuracy", 0.8), ("precision", 0.6), ("recall", 0.7),
                                      ("auc", 0.9), ("f1", 0.65))}
        return EvalResult(fitness=(value,), metrics=metrics, seed=context.seed)


@dataclass(frozen=True)
class CostStubFitness(MetricStubFitness):
    """:class:`MetricStubFitness` that also reports a training cost: ``train_flops`` =
    ``1e9 · epochs · layers`` (what the Keras fitness's ``extra`` carries)."""

    def __call__(self, genome: Genome, context: EvalContext) -> EvalResult:
        result = super().__call__(genome, context)
        epochs = int(genome.hyperparameters.get("epochs", 1))
        result.extra.update(train_flops=1e9 * epochs * len(genome), epochs_run=epochs)
        return result


@dataclass(frozen=True)
class WeightsStubFitness:
    """Landscape value, and stand-in "trained weights" (bytes derived from the genome and the
    weights it started from), so weight inheritance runs in milliseconds without Keras.
    ``extra["started_from_weights"]`` records the bytes it started from (their length)."""

    def __call__(self, genome: Genome, context: EvalContext) -> EvalResult:
        start = context.weights or b""
        weights = (genome.key() + ":" + str(len(start))).encode() * 8 if context.return_weights else None
        return EvalResult(fitness=(landscape_value(genome) + len(start) * 1e-9,), seed=context.seed,
                          extra={"started_from_weights": len(start)}, weights=weights)


@dataclass(frozen=True)
class HangingFitness:
    """Never returns (a Python loop, ``seconds`` long) for evaluation ``index`` of generation 0;
    the landscape value otherwise."""

    index: int = 0
    seconds: float = 120.0

    def __call__(self, genome: Genome, context: EvalContext) -> EvalResult:
        if context.generation == 0 and context.index == self.index:
            import time

            end = time.monotonic() + self.seconds
            while time.monotonic() < end:
                time.sleep(0.01)
        return EvalResult(fitness=(landscape_value(genome),), seed=context.seed)
