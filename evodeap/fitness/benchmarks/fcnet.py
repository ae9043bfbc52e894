"""HPOLib FC-Net (Klein & Hutter 2019) as a fitness: a two-layer MLP on four UCI
regression sets.

Each of FC-Net's two layers has its own width, activation and dropout: a ``fcnet`` genome
is exactly two ``fcnet_layer`` genes (``units``, ``activation``, ``dropout``; gene ``i`` is
the package's ``*_{i+1}``), and ``batch_size``, ``init_lr``, ``lr_schedule`` are
hyperparameter genes, all over the package's choice lists (62,208 configurations).

Fitness (maximised): ``−val_loss``, minus the drawn recorded run's validation MSE; metrics
add the model size. Cost: the run's recorded training seconds. Data sets:
``naval_propulsion``, ``parkinsons_telemonitoring``, ``protein_structure``,
``slice_localization``. See :mod:`evodeap.fitness.benchmarks.tabular`.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, Mapping

from evodeap.domains import Choice
from evodeap.errors import GenomeError
from evodeap.fitness.benchmarks.kinds import FCNetLayer
from evodeap.fitness.benchmarks.tabular import TabularBenchmarkFitness, benchmark_class
from evodeap.genome.genome import Genome
from evodeap.genome.space import SearchSpace

FAMILY = "fcnet"
N_LAYERS = 2
SHARED = ("batch_size", "init_lr", "lr_schedule")
#: gene field -> the package's parameter prefix (``n_units_1`` ...)
LAYER_FIELDS = {"units": "n_units", "activation": "activation_fn", "dropout": "dropout"}


def fcnet_space() -> SearchSpace:
    """Two ``fcnet_layer`` genes and the ``batch_size``, ``init_lr``, ``lr_schedule`` genes,
    over the package's choice lists."""
    choices = benchmark_class("HPOLib").search_space
    layer = {field: Choice(tuple(choices[f"{prefix}_1"])) for field, prefix in LAYER_FIELDS.items()}
    return SearchSpace(family=FAMILY, hyperparameters={name: Choice(tuple(choices[name])) for name in SHARED},
                       layers={"fcnet_layer": layer}, min_layers=N_LAYERS, max_layers=N_LAYERS)


def fcnet_config(genome: Genome) -> dict[str, Any]:
    """``{"n_units_1": genome[0].units, "activation_fn_1": .., "dropout_1": .., ..._2, "batch_size": ..}``.

    Raises:
        GenomeError: the genome is not two ``fcnet_layer`` genes with the three hyperparameters.
    """
    if (len(genome) != N_LAYERS or any(gene.kind != "fcnet_layer" for gene in genome)
            or set(SHARED) - set(genome.hyperparameters)):
        raise GenomeError(f"an FC-Net genome is {N_LAYERS} fcnet_layer genes with hyperparameters {SHARED}, "
                          f"got {genome.describe()} {genome.hyperparameters}")
    config = {f"{prefix}_{i + 1}": getattr(gene, field)
              for i, gene in enumerate(genome) for field, prefix in LAYER_FIELDS.items()}
    return {**config, **{name: genome.hyperparameters[name] for name in SHARED}}


def fcnet_genome(config: Mapping[str, Any]) -> Genome:
    """The genome of a benchmark configuration (inverse of :func:`fcnet_config`)."""
    layers = [FCNetLayer(**{field: config[f"{prefix}_{i + 1}"] for field, prefix in LAYER_FIELDS.items()})
              for i in range(N_LAYERS)]
    return Genome(layers, {name: config[name] for name in SHARED}, family=FAMILY)


@dataclass(frozen=True)
class FCNetFitness(TabularBenchmarkFitness):
    """FC-Net on ``dataset``: fitness = −validation MSE of one recorded run drawn from the
    evaluation seed (larger is better)."""

    dataset: str = "protein_structure"
    benchmark: ClassVar[str] = "HPOLib"
    main_metric: ClassVar[str] = "val_loss"
    maximise: ClassVar[bool] = False
    metric_names: ClassVar[Mapping[str, str]] = {"val_loss": "val_loss", "model_size": "model_size"}

    def config(self, genome: Genome) -> dict[str, Any]:
        return fcnet_config(genome)
