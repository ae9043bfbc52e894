"""Landscape demo: the whole evolutionary loop on the stand-in fitness, in seconds.

    evodeap run experiments/landscape_demo.py
    evodeap run experiments/landscape_demo.py --set selection_pressure.scale=5 --seed 3
    evodeap run experiments/landscape_demo.py --set selection_pressure=null --set selection_params.beta=20

The landscape (``evodeap.fitness.landscape``) has a known optimum of 1.0, so you can watch how
fast each operator setting approaches it. β comes from the ``convergence`` schedule
(``selection_pressure``); a constant β needs the schedule switched off, as in the last
line — setting ``selection_params.beta`` beside the schedule is an error, not a no-op.
"""
from evodeap.config.settings import ExperimentConfig
from evodeap.genome.space import SearchSpace

CONFIG = ExperimentConfig(
    name="landscape_demo",
    space=SearchSpace(family="cnn", min_layers=3, max_layers=7),
    fitness="landscape",
    population_size=50,
    generations=30,
    crossover="two_point",
    mutation="split",
    mutation_rate={"name": "exponential_decay", "initial": 0.05, "rate": 0.03},
    selection="boltzmann",
    selection_pressure={"name": "convergence", "scale": 2.0, "maximum": 200.0},
    elitism=2,
    refine_every=10,
    refine_top=0.2,
    seed=0,
)
