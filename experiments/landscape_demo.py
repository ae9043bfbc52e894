"""Landscape demo: the whole evolutionary loop on the stand-in fitness, in seconds.

    evodeap run experiments/landscape_demo.py
    evodeap run experiments/landscape_demo.py --set selection_params.beta=20 --seed 3

The landscape (``evodeap.landscape``) has a known optimum of 1.0, so you can watch how
fast each operator setting approaches it.
"""
from evodeap.config import ExperimentConfig
from evodeap.space import SearchSpace

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
