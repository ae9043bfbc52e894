"""Operator ablation: crossover × mutation × refinement × adaptive μ(t), on the same seeds.

    evodeap run experiments/operator_ablation.py --out runs/ablation     # landscape: ~4 min on 2 cores
    evodeap report runs/ablation                                        # tables/ and figures/

The full factorial of the four operator choices of the method is 4 × 3 × 2 × 2 = 48 arms:

* crossover: ``none`` (``cxpb = 0``), ``one_point``, ``two_point``, ``uniform``;
* mutation: ``hyperparameter`` (hyperparameter genes only), ``structural`` (layer genes,
  add/remove layer only), ``split`` (both, the paper's mutation);
* search-space refinement every 5 generations (``refine``) or never (``norefine``);
* mutation rate: the adaptive ``μ(t) = max(floor, μ0·e^(−λt))`` with ``μ0 = 0.05``,
  ``λ = 0.05`` (``adaptive``), or the constant ``μ(t) = μ0 = 0.05`` (``constant``) — the
  ablation removes only the decay, never the starting rate.

Arms are named ``cx-<crossover>+mut-<mutation>+<refine|norefine>+<adaptive|constant>``,
e.g. ``cx-two_point+mut-split+refine+adaptive``. The reference arm is the full method as
the paper describes it — two-point crossover, split mutation, refinement and adaptive
μ(t) — and ``evodeap report`` tests every other arm against it (Mann–Whitney U on the final
best fitness and on the area under the best-so-far curve, with Holm-adjusted p-values in
``tables/study_ranking``). Selection is Boltzmann with β = 5 in every arm.

Every arm runs on the same five seeds; with 5 vs 5 runs the smallest two-sided
Mann–Whitney p-value is 2/252 ≈ 0.008, so after a Holm adjustment over 47 comparisons no
difference can reach 0.05: treat this default as a screening run, and add seeds to
``SEEDS`` (or run a subset of ``VARIANTS``) for a confirmatory one. On real training::

    evodeap run experiments/operator_ablation.py --out runs/ablation-keras --set fitness=keras \\
        --set population_size=8 --set generations=4
"""
from __future__ import annotations

import itertools

from evodeap.config.settings import ExperimentConfig
from evodeap.genome.space import SearchSpace

CONFIG = ExperimentConfig(
    name="operator_ablation",
    space=SearchSpace(family="cnn"),
    fitness="landscape",
    population_size=20,
    generations=15,
    crossover="two_point",
    cxpb=0.7,
    mutation="split",
    mutation_rate={"name": "exponential_decay", "initial": 0.05, "rate": 0.05},
    selection="boltzmann",
    selection_params={"beta": 5.0},
    refine_every=5,
    elitism=1,
)

CROSSOVERS = ("none", "one_point", "two_point", "uniform")
MUTATIONS = ("hyperparameter", "structural", "split")
REFINEMENT = {"refine": 5, "norefine": 0}
MUTATION_RATES = {
    "adaptive": {"name": "exponential_decay", "initial": 0.05, "rate": 0.05},
    "constant": 0.05,
}


def arm_name(crossover: str, mutation: str, refine: str, rate: str) -> str:
    """``cx-<crossover>+mut-<mutation>+<refine>+<rate>``."""
    return f"cx-{crossover}+mut-{mutation}+{refine}+{rate}"


def arm_overrides(crossover: str, mutation: str, refine: str, rate: str) -> dict:
    """The ``--set``-style overrides of one arm (crossover ``none`` is ``cxpb = 0``)."""
    return {
        **({"cxpb": 0.0} if crossover == "none" else {"crossover": crossover, "cxpb": 0.7}),
        "mutation": mutation,
        "refine_every": REFINEMENT[refine],
        "mutation_rate": MUTATION_RATES[rate],
    }


VARIANTS = {
    arm_name(*choice): arm_overrides(*choice)
    for choice in itertools.product(CROSSOVERS, MUTATIONS, REFINEMENT, MUTATION_RATES)
}
# each arm's level of the four factors: `evodeap report` computes main effects and
# two-way interactions with CIs from them (evodeap.studies.factorial)
FACTORS = {
    arm_name(*choice): dict(zip(("crossover", "mutation", "refinement", "mutation_rate"), choice))
    for choice in itertools.product(CROSSOVERS, MUTATIONS, REFINEMENT, MUTATION_RATES)
}
SEEDS = [0, 1, 2, 3, 4]
REFERENCE = arm_name("two_point", "split", "refine", "adaptive")
