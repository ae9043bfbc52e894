"""HPOBench-NN (tabular; Eggensperger et al., NeurIPS Datasets and Benchmarks 2021) as a
fitness: an MLP of depth 1–3 on eight OpenML data sets.

The benchmark's MLP has a depth and *one* width shared by its layers. A ``hpobench_nn``
genome holds one ``shared_dense`` gene per layer, so the depth is the genome's length
(``min_layers = 1``, ``max_layers = 3``: variation adds and removes layers), and the
shared values are hyperparameter genes with the package's names and choice lists:
``width``, ``batch_size``, ``learning_rate_init``, ``alpha`` (L2). 3·10⁴ configurations.

Fitness (maximised): the drawn recorded run's validation accuracy (a fraction in [0, 1]);
metrics add its validation precision and F1. Cost: the run's recorded training seconds.
Data sets: ``car``, ``phoneme``, ``vehicle``, ``australian``, ``kc1``, ``segment``,
``blood_transfusion``, ``credit_g``. See :mod:`evodeap.fitness.benchmarks.tabular`.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, Mapping

from evodeap.domains import Choice
from evodeap.errors import GenomeError
from evodeap.fitness.benchmarks.kinds import SharedDense
from evodeap.fitness.benchmarks.tabular import TabularBenchmarkFitness, benchmark_class
from evodeap.genome.genome import Genome
from evodeap.genome.space import SearchSpace

FAMILY = "hpobench_nn"
#: the hyperparameter genes (everything but the depth), in the package's names
SHARED = ("alpha", "batch_size", "learning_rate_init", "width")
#: the activation of every layer (scikit-learn's MLP default the benchmark keeps)
ACTIVATION = "relu"


def hpobench_space() -> SearchSpace:
    """Depth 1–3 ``shared_dense`` genes; ``alpha``, ``batch_size``, ``learning_rate_init``,
    ``width`` as hyperparameter genes over the package's choice lists."""
    choices = benchmark_class("HPOBench").search_space
    depths = choices["depth"]
    return SearchSpace(family=FAMILY, hyperparameters={name: Choice(tuple(choices[name])) for name in SHARED},
                       layers={"shared_dense": {"activation": Choice((ACTIVATION,))}},
                       min_layers=min(depths), max_layers=max(depths))


def hpobench_config(genome: Genome) -> dict[str, Any]:
    """``{"depth": len(genome), "width": .., "batch_size": .., "learning_rate_init": .., "alpha": ..}``.

    Raises:
        GenomeError: a layer is not a ``shared_dense`` gene or a hyperparameter is missing.
    """
    if any(gene.kind != "shared_dense" for gene in genome) or set(SHARED) - set(genome.hyperparameters):
        raise GenomeError(f"an HPOBench-NN genome is shared_dense genes with hyperparameters {SHARED}, "
                          f"got {genome.describe()} {genome.hyperparameters}")
    return {"depth": len(genome), **{name: genome.hyperparameters[name] for name in SHARED}}


def hpobench_genome(config: Mapping[str, Any]) -> Genome:
    """The genome of a benchmark configuration (inverse of :func:`hpobench_config`)."""
    return Genome([SharedDense(ACTIVATION)] * int(config["depth"]), {name: config[name] for name in SHARED},
                  family=FAMILY)


@dataclass(frozen=True)
class HPOBenchFitness(TabularBenchmarkFitness):
    """HPOBench-NN on ``dataset``: fitness = validation accuracy (fraction) of one recorded
    run drawn from the evaluation seed."""

    dataset: str = "car"
    benchmark: ClassVar[str] = "HPOBench"
    main_metric: ClassVar[str] = "val_acc"
    maximise: ClassVar[bool] = True
    metric_names: ClassVar[Mapping[str, str]] = {
        "val_acc": "val_accuracy", "val_precision": "val_precision", "val_f1": "val_f1",
    }

    def config(self, genome: Genome) -> dict[str, Any]:
        return hpobench_config(genome)
