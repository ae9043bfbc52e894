"""Shared helpers of the baseline tests: the space, the cheap landscape fitness and its variants."""
from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from evodeap.evaluation.api import EvalContext, EvalResult
from evodeap.fitness.landscape import LandscapeFitness, landscape_value
from evodeap.genome.genome import Genome
from evodeap.genome.space import SearchSpace

SPACE = SearchSpace(family="cnn")
LANDSCAPE = LandscapeFitness()


class RaisingFitness:
    """Raises for genomes with exactly 4 layers; the landscape otherwise."""

    failure_fitness = (-2.0,)

    def __call__(self, genome: Genome, context: EvalContext) -> EvalResult:
        if len(genome) == 4:
            raise RuntimeError("four layers are forbidden")
        return EvalResult(fitness=(landscape_value(genome),), seed=context.seed)


class EveryThirdRaises:
    """Raises on evaluations 1, 4, 7, … (by evaluation index); the landscape otherwise."""

    failure_fitness = (-2.0,)

    def __call__(self, genome: Genome, context: EvalContext) -> EvalResult:
        if context.index % 3 == 1:
            raise RuntimeError("every third evaluation fails")
        return EvalResult(fitness=(landscape_value(genome),), seed=context.seed)


class CostedFitness:
    """The landscape, reporting a cost of ``10 × epochs trained`` units in ``train_flops``
    (as a benchmark fitness reports seconds or epochs in that field)."""

    def __call__(self, genome: Genome, context: EvalContext) -> EvalResult:
        result = LANDSCAPE(genome, context)
        result.extra["train_flops"] = 10.0 * result.extra["epochs_run"]
        return result


class WeightsFitness:
    """The landscape, and 'weights' that say which epochs they were trained to."""

    def __init__(self) -> None:
        self.contexts: list[EvalContext] = []

    def __call__(self, genome: Genome, context: EvalContext) -> EvalResult:
        self.contexts.append(context)
        return EvalResult(fitness=(landscape_value(genome),), seed=context.seed,
                          weights=f"{genome.key()}@{genome.hyperparameters['epochs']}".encode(),
                          extra={"epochs_run": genome.hyperparameters["epochs"] - context.trained_epochs})


def keys(records) -> list[str]:
    return [r.genome.key() for r in records]
