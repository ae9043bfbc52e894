"""Selection pressure: Boltzmann β ∈ {0, 1, 5, 20}, an increasing-β schedule and tournament, × 30 seeds.

By default the study runs on the benchmark suite's design problems (``SUITE = "design"``: the
four LCBench tasks of ``evodeap.benchmarks.problem.DESIGN_SUITE``), each arm searching every
problem with its budget (6,544 epochs) for 30 seeds — 6 arms × 4 problems × 30 seeds = 720 jobs
of 0.2–0.5 s, a few minutes on two cores::

    evodeap run experiments/selection_pressure.py --out runs/pressure              # the design suite
    evodeap report runs/pressure                                                  # runs/pressure/report/
    evodeap run experiments/selection_pressure.py --out runs/pressure-std --suite standard   # 18 problems

Why the design problems: which operator to use is a design decision, and design decisions are
made on design problems (docs/benchmarks.md), so the standard suite's 18 problems stay unseen
for the reported comparisons; they also run in minutes, where the standard suite takes about
30 minutes of one core (``--suite standard`` runs it). Each arm is ``CONFIG`` with the arm's
change, on each problem's space, fitness and budget
(:mod:`evodeap.benchmarks.suite_study`). The report gives, per arm against β = 5, the effect
size (median over problems of the median paired difference of the final normalised regret, with
a bootstrap 95 % CI over problems), A12 and Holm-adjusted Wilcoxon tests per problem, and the
mean ranks with the Friedman test and a critical-difference diagram across problems.

The landscape study this file ran before (five Boltzmann arms × 10 seeds on the landscape
stand-in, every arm an ordinary run directory) is the preset ``landscape``; it also runs on real
Keras training::

    evodeap run experiments/selection_pressure.py --preset landscape --out runs/pressure-landscape
    evodeap run experiments/selection_pressure.py --preset landscape --out runs/pressure-keras \\
        --set fitness=keras --set fitness_params='{"data": {"videos": [96, 32, 32], "frames": 8, "downsample": 4}, "metric": "auc"}' \\
        --set population_size=8 --set generations=4

Both reports lead with the two-sided Wilcoxon signed-rank test of each arm against β = 5,
paired by seed and Holm-adjusted over the arms: the suite report (``report/study.md``) counts
the problems where it finds an arm better or worse beside the effect size and A12, then gives
the mean ranks with the Friedman test; the landscape preset's ``study_ranking`` table gives its
p-values (``p (W)``, ``p_holm (W)``) first, then the unpaired Mann–Whitney U test (``p (MW)``)
and A12. p-values below 10⁻⁴ print as ``< 1e-4``.
"""
from evodeap.config.settings import ExperimentConfig
from evodeap.genome.space import SearchSpace

CONFIG = ExperimentConfig(
    name="selection_pressure",
    space=SearchSpace(family="cnn"),
    fitness="landscape",
    population_size=30,
    generations=25,
    crossover="two_point",
    mutation="split",
    mutation_rate={"name": "exponential_decay", "initial": 0.05, "rate": 0.03},
    selection="boltzmann",  # β = 5 by default; each arm below sets its own β or β schedule
    elitism=1,
)

BOLTZMANN = {
    "beta0": {"selection_params.beta": 0.0},
    "beta1": {"selection_params.beta": 1.0},
    "beta5": {"selection_params.beta": 5.0},
    "beta20": {"selection_params.beta": 20.0},
    "increasing": {"selection_pressure": {"name": "exponential_increase", "start": 1.0, "rate": 0.15, "maximum": 50.0}},
}
VARIANTS = {**BOLTZMANN, "tournament3": {"selection": "tournament", "selection_params": {"tournsize": 3}}}
SEEDS = list(range(30))
REFERENCE = "beta5"
SUITE = "design"
PRESETS = {
    # the landscape study as it was: the five Boltzmann arms, seeds 0-9, one run directory per arm and seed
    "landscape": {"suite": None, "variants": list(BOLTZMANN), "seeds": list(range(10))},
}
