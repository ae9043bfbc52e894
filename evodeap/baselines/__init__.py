"""Other ways to search the same space at the same compute: the peers evodeap is measured against.

* :mod:`evodeap.baselines.common` — each method's random stream, the budgeted evaluator
  (evaluations and compute in the fitness's cost units), records, ``save_records``;
* :mod:`evodeap.baselines.random_search` — random search;
* :mod:`evodeap.baselines.grid` — grid search in a seeded random order;
* :mod:`evodeap.baselines.regularized_evolution` — regularized (aging) evolution, Real et al. 2019;
* :mod:`evodeap.baselines.optuna_tpe` — Optuna TPE, plain and with Hyperband pruning;
* :mod:`evodeap.baselines.keras_tuner` — Keras Tuner's Hyperband;
* :mod:`evodeap.baselines.smac` — SMAC3's multi-fidelity and HPO facades;
* :mod:`evodeap.baselines.nevergrad_search` — Nevergrad's NGOpt, DE and DiscreteOnePlusOne;
* :mod:`evodeap.baselines.dehb_driver` — DEHB in its own Python, driven over JSON lines;
* :mod:`evodeap.baselines.dehb_worker` — the script DEHB's Python runs (imports no evodeap);
* :mod:`evodeap.baselines.methods` — the name -> method registry ``BASELINES`` and ``run_baseline``.
"""
from evodeap.baselines.common import (
    BudgetedEvaluator, best_so_far_curve, flat_genome, flat_parameters, method_rng, require_peer, save_records,
)
from evodeap.baselines.dehb_driver import dehb
from evodeap.baselines.grid import grid_axes, grid_point, grid_points, grid_search, grid_size, quantise, structure_template
from evodeap.baselines.keras_tuner import (
    declare_keras_tuner_space, keras_tuner_genome, keras_tuner_hyperband, keras_tuner_seed,
)
from evodeap.baselines.methods import BASELINES, Baseline, check_baselines, run_baseline
from evodeap.baselines.nevergrad_search import (
    nevergrad_de, nevergrad_discrete_one_plus_one, nevergrad_ngopt, nevergrad_parametrization, nevergrad_search,
)
from evodeap.baselines.optuna_tpe import (
    epoch_rungs, optuna_distribution, optuna_genome, optuna_tpe, optuna_tpe_hyperband, suggest,
)
from evodeap.baselines.random_search import random_search
from evodeap.baselines.regularized_evolution import mutate_one_gene, regularized_evolution, tournament
from evodeap.baselines.smac import smac_configspace, smac_genome, smac_hpo, smac_multi_fidelity

__all__ = [
    "BASELINES", "Baseline", "BudgetedEvaluator", "best_so_far_curve", "check_baselines", "declare_keras_tuner_space",
    "dehb", "epoch_rungs", "flat_genome", "flat_parameters", "grid_axes", "grid_point", "grid_points", "grid_search",
    "grid_size", "keras_tuner_genome", "keras_tuner_hyperband", "keras_tuner_seed", "method_rng", "mutate_one_gene",
    "nevergrad_de", "nevergrad_discrete_one_plus_one", "nevergrad_ngopt", "nevergrad_parametrization",
    "nevergrad_search", "optuna_distribution", "optuna_genome", "optuna_tpe", "optuna_tpe_hyperband", "quantise",
    "random_search", "regularized_evolution", "require_peer", "run_baseline", "save_records", "smac_configspace",
    "smac_genome", "smac_hpo", "smac_multi_fidelity", "structure_template", "suggest", "tournament",
]
