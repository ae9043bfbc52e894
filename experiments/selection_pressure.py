"""Selection pressure: Boltzmann β ∈ {0, 1, 5, 20} and an increasing-β schedule, × seeds.

    evodeap run experiments/selection_pressure.py --out runs/pressure     # the landscape: seconds
    evodeap report runs/pressure                                         # tables/ and figures/
    evodeap run experiments/selection_pressure.py --out runs/pressure-keras \\
        --set fitness=keras --set fitness_params='{"data": {"videos": [96, 32, 32], "frames": 8, "downsample": 4}, "metric": "auc"}' \\
        --set population_size=8 --set generations=4

Every arm runs on the same seeds. The report gives, per arm, the final best fitness and
the area under the best-so-far curve (mean and median with bootstrap 95 % CIs, and the
Mann–Whitney U test against β = 5), and best-so-far and diversity curves with 95 % bands.
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

VARIANTS = {
    "beta0": {"selection_params.beta": 0.0},
    "beta1": {"selection_params.beta": 1.0},
    "beta5": {"selection_params.beta": 5.0},
    "beta20": {"selection_params.beta": 20.0},
    "increasing": {"selection_pressure": {"name": "exponential_increase", "start": 1.0, "rate": 0.15, "maximum": 50.0}},
}
SEEDS = list(range(10))
REFERENCE = "beta5"
