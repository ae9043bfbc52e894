"""Operator ablation: crossover × mutation × refinement × adaptive μ(t), on the same seeds.

By default the study runs on the benchmark suite's design problems (``SUITE = "design"``: the
four LCBench tasks of ``evodeap.benchmarks.problem.DESIGN_SUITE``, each with its budget of 6,544
epochs) for 30 seeds, and asks which operator matters: the reference — the full method as the
paper describes it, two-point crossover, split mutation, refinement and adaptive μ(t) — against
the seven arms that change exactly one of its operators (the default preset ``suite``:
8 arms × 4 problems × 30 seeds = 960 jobs of 0.2–0.5 s, a few minutes on two cores)::

    evodeap run experiments/operator_ablation.py --out runs/ablation            # the design suite
    evodeap report runs/ablation                                               # runs/ablation/report/
    evodeap run experiments/operator_ablation.py --preset factorial --out runs/ablation-full   # all 48 arms
    evodeap run experiments/operator_ablation.py --out runs/ablation-std --suite standard    # 18 problems

Why the design problems: which operator to use is a design decision, and design decisions are
made on design problems (docs/benchmarks.md), so the standard suite stays unseen for reported
comparisons; they also run in minutes (the standard suite takes about 40 minutes of one core).
The report gives, per arm against the reference, the effect size (median over problems of the
median paired difference of the final normalised regret, with a bootstrap 95 % CI over
problems), A12 and Holm-adjusted Wilcoxon tests per problem, and mean ranks with the Friedman
test and a critical-difference diagram across problems (:mod:`evodeap.benchmarks.suite_study`).

The full factorial of the four operator choices is 4 × 3 × 2 × 2 = 48 arms:

* crossover: ``none`` (``cxpb = 0``), ``one_point``, ``two_point``, ``uniform``;
* mutation: ``hyperparameter`` (hyperparameter genes only), ``structural`` (layer genes,
  add/remove layer only), ``split`` (both, the paper's mutation);
* search-space refinement every 5 generations (``refine``) or never (``norefine``);
* mutation rate: the adaptive ``μ(t) = max(floor, μ0·e^(−λt))`` with ``μ0 = 0.05``,
  ``λ = 0.05`` (``adaptive``), or the constant ``μ(t) = μ0 = 0.05`` (``constant``) — the
  ablation removes only the decay, never the starting rate.

Arms are named ``cx-<crossover>+mut-<mutation>+<refine|norefine>+<adaptive|constant>``,
e.g. ``cx-two_point+mut-split+refine+adaptive`` (the reference). Selection is Boltzmann with
β = 5 in every arm.

The landscape study this file ran before — all 48 arms × five seeds on the landscape stand-in,
each an ordinary run directory, with main effects and interactions from ``FACTORS`` — is the
preset ``landscape``. With 5 vs 5 runs the smallest two-sided Mann–Whitney p-value is
2/252 ≈ 0.008, so after a Holm adjustment over 47 comparisons no difference can reach 0.05:
treat it as a screening run. On real training::

    evodeap run experiments/operator_ablation.py --preset landscape --out runs/ablation-landscape
    evodeap run experiments/operator_ablation.py --preset landscape --out runs/ablation-keras --set fitness=keras \\
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
SEEDS = list(range(30))
REFERENCE = arm_name("two_point", "split", "refine", "adaptive")
SUITE = "design"
#: the reference and every arm that changes exactly one of its four operators
ONE_AT_A_TIME = [name for name, levels in FACTORS.items()
                 if sum(a != b for a, b in zip(levels.values(), ("two_point", "split", "refine", "adaptive"))) <= 1]
PRESETS = {
    "suite": {"variants": ONE_AT_A_TIME},
    "factorial": {},  # all 48 arms on the suite
    # the landscape study as it was: all 48 arms, seeds 0-4, one run directory per arm and seed
    "landscape": {"suite": None, "seeds": [0, 1, 2, 3, 4]},
}
DEFAULT_PRESET = "suite"
