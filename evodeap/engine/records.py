"""What a run records per generation: the logbook fields and row, the callback's report, the result.

A logbook row (:data:`LOGBOOK_FIELDS`) holds, for the population after generation ``t``:
the evaluations made (``nevals``), cache hits, failures and repairs; the statistics of
the first objective (``best``, ``mean``, ``std``, ``min``, in the direction of its weight);
the genotypic :func:`diversity`; the number of distinct genomes; ``μ(t)`` and ``β(t)``;
layer counts; elapsed seconds; the best genome's key; and the compute of the generation
and of the run so far (:data:`evodeap.evaluation.budget.COMPUTE_FIELDS`). The rows are
stored once, in the results database's ``generations`` table (see ``docs/runs.md``).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np
from deap import tools
from scipy.spatial.distance import pdist

from evodeap.evaluation.budget import COMPUTE_FIELDS, generation_compute
from evodeap.evaluation.evaluator import EvaluationRecord
from evodeap.genome.genome import Genome
from evodeap.genome.space import SearchSpace
from evodeap.operators.refinement import Refinement
from evodeap.operators.schedules import PopulationStats

LOGBOOK_FIELDS = (
    "generation", "nevals", "cache_hits", "failures", "repaired", "best", "mean", "std", "min", "diversity",
    "unique", "mu", "beta", "layers_mean", "layers_min", "layers_max", "elapsed", "best_key",
) + COMPUTE_FIELDS


@dataclass
class GenerationReport:
    """What the per-generation callback receives."""

    generation: int
    population: list
    record: dict[str, Any]
    evaluations: list[EvaluationRecord]
    space: SearchSpace
    hall_of_fame: Any
    refinement: Refinement | None = None
    offspring: list = field(default_factory=list)  # what variation produced this generation


@dataclass
class EvolutionResult:
    """Everything :func:`evodeap.engine.loop.evolve` produced."""

    population: list
    logbook: tools.Logbook
    hall_of_fame: Any
    space: SearchSpace
    evaluations: list[EvaluationRecord] = field(default_factory=list)
    refinements: list[tuple[int, Refinement]] = field(default_factory=list)

    @property
    def best(self) -> Genome:
        return self.hall_of_fame[0]


def genotype_vector(genome: Genome, space: SearchSpace) -> np.ndarray:
    """Unit-space coordinates of a genome: hyperparameters, layer count, kind fractions."""
    values = [dom.to_unit(dom.clip(genome.hyperparameters[name])) for name, dom in space.hyperparameters.items()]
    span = max(1, space.max_layers - space.min_layers)
    values.append((len(genome) - space.min_layers) / span)
    n = max(1, len(genome))
    values += [sum(g.kind == kind for g in genome) / n for kind in space.kinds]
    return np.asarray(values, dtype=float)


def diversity(population: Sequence[Genome], space: SearchSpace) -> float:
    """Mean pairwise Euclidean distance of genotype vectors divided by √dims (0 = all equal)."""
    if len(population) < 2:
        return 0.0
    vectors = np.stack([genotype_vector(g, space) for g in population])
    return float(pdist(vectors).mean() / np.sqrt(vectors.shape[1]))


def population_stats(population: Sequence, space: SearchSpace) -> PopulationStats:
    """Statistics of the first objective (best and worst in the direction of its weight)."""
    f = np.array([ind.fitness.values[0] for ind in population], dtype=float)
    maximised = population[0].fitness.weights[0] > 0
    best, worst = (f.max(), f.min()) if maximised else (f.min(), f.max())
    return PopulationStats(best=float(best), mean=float(f.mean()), std=float(f.std()),
                           worst=float(worst), diversity=diversity(population, space))


def logbook_row(generation: int, population: list, new: list[EvaluationRecord], *, hits: int, repaired: int,
                stats: PopulationStats, mu: float | None, beta: float | None, elapsed: float,
                previous: dict[str, Any] | None) -> dict[str, Any]:
    """The logbook row of ``population`` after ``generation`` (fields :data:`LOGBOOK_FIELDS`).

    ``new`` are the generation's fresh evaluations, ``previous`` the row before (for the
    running compute totals, :func:`evodeap.evaluation.budget.generation_compute`).
    """
    lengths = np.array([len(ind) for ind in population])
    best = max(population, key=lambda ind: ind.fitness.wvalues[0])
    return {
        "generation": generation, "nevals": len(new), "cache_hits": hits,
        "failures": sum(not r.result.ok for r in new), "repaired": repaired,
        "best": stats.best, "mean": stats.mean, "std": stats.std, "min": stats.worst,
        "diversity": stats.diversity, "unique": len({ind.key() for ind in population}),
        "mu": mu, "beta": beta, "layers_mean": float(lengths.mean()),
        "layers_min": int(lengths.min()), "layers_max": int(lengths.max()),
        "elapsed": elapsed, "best_key": best.key(),
        **generation_compute([r.result for r in new], previous),
    }


__all__ = ["EvolutionResult", "GenerationReport", "LOGBOOK_FIELDS", "diversity", "genotype_vector", "logbook_row",
           "population_stats"]
