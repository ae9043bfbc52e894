"""Pluggable DEAP operators for evodeap genomes.

One module per family (crossover, mutation, selection, schedules, refinement, surrogate), each
operator registered by name so experiments can name them as strings (``registry``:
the tables; ``contract``: what every operator must satisfy; ``repair``: back into the space;
``catalog``: every operator's parameters and defaults, for ``evodeap operators`` and the docs)::

    from evodeap.operators import CROSSOVERS
    toolbox.register("mate", CROSSOVERS.get("two_point"), space=space, rng=rng)
"""
from evodeap.operators import crossover, mutation, selection, surrogate  # noqa: F401  (fill the registries)
from evodeap.operators.crossover import cut_and_splice, cx_one_point, cx_two_point, cx_uniform, two_point_splice, uniform_swap
from evodeap.operators.mutation import (
    gaussian_step,
    mut_add_layer,
    mut_change_activation,
    mut_change_kernel,
    mut_change_units,
    mut_hyperparameters,
    mut_one_gene,
    mut_remove_layer,
    mut_split,
    mut_structure,
)
from evodeap.operators.refinement import Refinement, refine_space
from evodeap.operators.registry import CROSSOVERS, MUTATIONS, SCHEDULES, SELECTIONS, Registry
from evodeap.operators.repair import repair
from evodeap.operators.schedules import (
    Constant,
    ConvergenceDriven,
    ExponentialDecay,
    ExponentialIncrease,
    LinearIncrease,
    PopulationStats,
    make_schedule,
)
from evodeap.operators.selection import boltzmann_probabilities, sel_aging, sel_best, sel_boltzmann, sel_nsga2, sel_tournament

__all__ = [
    "CROSSOVERS", "MUTATIONS", "SCHEDULES", "SELECTIONS", "Constant", "ConvergenceDriven",
    "ExponentialDecay", "ExponentialIncrease", "LinearIncrease", "PopulationStats", "Refinement",
    "Registry", "boltzmann_probabilities", "cut_and_splice", "cx_one_point", "cx_two_point",
    "cx_uniform", "gaussian_step", "make_schedule", "mut_add_layer", "mut_change_activation",
    "mut_change_kernel", "mut_change_units", "mut_hyperparameters", "mut_one_gene", "mut_remove_layer", "mut_split",
    "mut_structure", "refine_space", "repair", "sel_aging", "sel_best", "sel_boltzmann", "sel_nsga2",
    "sel_tournament", "two_point_splice", "uniform_swap",
]
