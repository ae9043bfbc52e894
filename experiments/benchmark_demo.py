"""evodeap on a standard offline benchmark: NAS-Bench-201 on CIFAR-10, in seconds.

    evodeap run experiments/benchmark_demo.py --out runs/nb201
    evodeap run experiments/benchmark_demo.py --out runs/nb201-c100 --set fitness_params.dataset=cifar100
    evodeap resume runs/nb201

Each evaluation looks one recorded training run up in the NAS-Bench-201 table
(``evodeap.fitness.benchmarks``); its recorded training seconds are the run's compute
(``train_flops`` in the logbook). The best mean validation accuracy of the table is
91.607 % (cifar10). Other problems: ``evodeap.fitness.benchmarks.PROBLEMS``;
docs/benchmarks.md.
"""
from evodeap.config.settings import ExperimentConfig
from evodeap.fitness.benchmarks import nasbench201_space

CONFIG = ExperimentConfig(
    name="benchmark_demo",
    space=nasbench201_space(),
    fitness="nasbench201",
    fitness_params={"dataset": "cifar10"},
    population_size=20,
    generations=10,
    crossover="uniform",
    selection="tournament",
    elitism=2,
    seed=0,
)
