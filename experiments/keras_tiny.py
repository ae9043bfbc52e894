"""Real Keras training on a tiny Captioned Moving MNIST set — the smallest real run.

    evodeap run experiments/keras_tiny.py --out runs/tiny

Every individual is a Keras model trained through tf.data on generated hard-version
videos (8 frames, downsampled 4× to 18×32), scored with F = α·A − β·T + γ·R.
It takes a few minutes on a 2-core CPU; use it to check an installation end to end.
"""
from evodeap.config.settings import ExperimentConfig
from evodeap.genome.space import Choice, Integer, Real, SearchSpace

SPACE = SearchSpace(
    family="cnn",
    hyperparameters={
        "learning_rate": Real(1e-4, 1e-1, log=True),
        "batch_size": Choice((16, 32)),
        "optimizer": Choice(("adam", "sgd", "rmsprop")),
        "dropout": Real(0.0, 0.5),
        "epochs": Integer(1, 2),
    },
    layers={
        "conv": {"filters": Integer(4, 16, log=True), "kernel_size": Choice((3,)),
                 "activation": Choice(("relu", "tanh")), "pooling": Choice(("max", "avg", "none"))},
        "dense": {"units": Integer(8, 32, log=True), "activation": Choice(("relu", "tanh"))},
        "dropout": {"rate": Real(0.0, 0.5)},
    },
    min_layers=2,
    max_layers=4,
)

CONFIG = ExperimentConfig(
    name="keras_tiny",
    space=SPACE,
    fitness="keras",
    fitness_params={
        "data": {"version": "hard", "task": "digits", "videos": [96, 32, 32], "frames": 8, "downsample": 4, "seed": 0},
        "metric": "auc",
        "cost_weight": 0.1,
        "robustness_weight": 0.5,
    },
    population_size=6,
    generations=3,
    crossover="one_point",
    mutation="split",
    selection="boltzmann",
    selection_params={"beta": 5.0},
    elitism=1,
    seed=0,
)
