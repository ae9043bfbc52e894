"""NAS-Bench-201 (Dong & Yang, ICLR 2020) as a fitness: six edge genes, one cell.

The cell is a DAG of four nodes with six edges; each edge holds one of five operations
(:data:`~evodeap.fitness.benchmarks.kinds.NB201_OPERATIONS`), 5⁶ = 15,625 cells. A
``nasbench201`` genome is six ``nb201_edge`` genes; gene ``i`` is the package's edge
``Op{i}`` (no hyperparameter genes: the training recipe is fixed by the benchmark).

Fitness (maximised): the drawn recorded run's validation accuracy in percent (data sets
``cifar10``, ``cifar100``, ``imagenet`` = ImageNet16-120). Cost: the run's recorded
training seconds. The best mean validation accuracy is 91.607 on cifar10 and 73.493 on
cifar100 (the optimum row of the paper). See :mod:`evodeap.fitness.benchmarks.tabular`.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, Mapping

from evodeap.domains import Choice
from evodeap.errors import GenomeError
from evodeap.fitness.benchmarks.kinds import NB201_OPERATIONS, NB201Edge
from evodeap.fitness.benchmarks.tabular import TabularBenchmarkFitness
from evodeap.genome.genome import Genome
from evodeap.genome.space import SearchSpace

N_EDGES = 6
FAMILY = "nasbench201"


def nasbench201_space() -> SearchSpace:
    """Six ``nb201_edge`` genes, each over the five operations; no hyperparameter genes."""
    return SearchSpace(family=FAMILY, hyperparameters={}, layers={"nb201_edge": {"op": Choice(NB201_OPERATIONS)}},
                       min_layers=N_EDGES, max_layers=N_EDGES)


def nasbench201_config(genome: Genome) -> dict[str, str]:
    """``{"Op0": op of gene 0, ..., "Op5": op of gene 5}``.

    Raises:
        GenomeError: the genome is not six ``nb201_edge`` genes.
    """
    if len(genome) != N_EDGES or any(gene.kind != "nb201_edge" for gene in genome):
        raise GenomeError(f"a NAS-Bench-201 genome is {N_EDGES} nb201_edge genes, got {genome.describe()}")
    return {f"Op{i}": gene.op for i, gene in enumerate(genome)}


def nasbench201_genome(config: Mapping[str, Any]) -> Genome:
    """The genome of a benchmark configuration (inverse of :func:`nasbench201_config`)."""
    return Genome([NB201Edge(config[f"Op{i}"]) for i in range(N_EDGES)], {}, family=FAMILY)


@dataclass(frozen=True)
class NASBench201Fitness(TabularBenchmarkFitness):
    """NAS-Bench-201 on ``dataset`` (``cifar10``, ``cifar100``, ``imagenet``): fitness =
    validation accuracy (%) of one recorded run drawn from the evaluation seed."""

    dataset: str = "cifar10"
    benchmark: ClassVar[str] = "NASBench201"
    main_metric: ClassVar[str] = "val_acc"
    maximise: ClassVar[bool] = True
    metric_names: ClassVar[Mapping[str, str]] = {
        "val_acc": "val_accuracy", "model_size": "model_size_mb", "latency": "latency_s",
    }

    def config(self, genome: Genome) -> dict[str, Any]:
        return nasbench201_config(genome)
