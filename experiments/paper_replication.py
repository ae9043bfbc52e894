"""The paper's experiment: before vs after tuning, for the CNN and the SimpleRNN family.

    evodeap run experiments/paper_replication.py --out runs/paper-quick            # preset quick (default)
    evodeap report runs/paper-quick                                                 # Tables 2–5, Figures 2–4
    evodeap run experiments/paper_replication.py --preset paper --out runs/paper    # population 50, GPU-sized

Arms (one sub-run each, same seeds):

* ``cnn-before`` / ``rnn-before`` — the paper's hand-picked configuration (learning rate
  0.01, batch 32, two convolution layers of 32 filters — or two SimpleRNN layers of 32
  units for the RNN — Adam, no dropout, as many epochs as the evolved models may use),
  trained ``population_size`` times per generation with fresh seeds: the same compute per
  generation as the evolutionary arm (strategy ``fixed``);
* ``cnn-after`` / ``rnn-after`` — the full method: hyperparameter and structural mutation
  (``split``), two-point cut-and-splice crossover, Boltzmann selection, adaptive
  ``μ(t) = μ0·e^(−λt)``, search-space refinement every k generations.

Data: Captioned Moving MNIST, hard version, generated here; task ``digits`` (which digits
appear: multi-label, 10 outputs). Fitness ``F = α·A − β·T + γ·R`` with A the validation
macro ROC AUC — subset accuracy of a 10-label problem is ~0 for the small models a CPU
preset can train, so it gives evolution no signal; Table 4 still reports test accuracy,
precision, AUC and F1 of each generation's best individual.
"""
import dataclasses

from evodeap.config import ExperimentConfig
from evodeap.space import SearchSpace

CONFIG = ExperimentConfig(
    name="paper_replication",
    space=SearchSpace(),  # the paper's ranges: lr 1e-4..1e-1 (log), batch 16..128, 3–7 layers
    fitness="keras",
    fitness_params={
        "data": {"version": "hard", "task": "digits", "videos": [1000, 250, 250], "frames": 20, "downsample": 2},
        "metric": "auc",
        "accuracy_weight": 1.0,
        "cost_weight": 0.1,
        "robustness_weight": 0.5,
    },
    population_size=50,
    generations=20,
    crossover="two_point",
    mutation="split",
    mutation_rate={"name": "exponential_decay", "initial": 0.05, "rate": 0.05},
    selection="boltzmann",
    selection_params={"beta": 5.0},
    elitism=1,
    refine_every=5,
    refine_top=0.2,
    executor="process",
    workers=1,
    executor_params={"recycle_after": 5},
    seed=0,
)

PRESETS = {
    # about 5–8 minutes on a 2-core CPU without a GPU
    "quick": {
        "population_size": 6,
        "generations": 4,
        "refine_every": 2,
        "fitness_params.data": {"version": "hard", "task": "digits", "videos": [128, 48, 48], "frames": 8,
                                "downsample": 4},
        "space.max_layers": 5,
        "space.epochs.high": 2,
        "space.conv.filters.high": 32,
        "space.rnn.units.high": 32,
        "space.dense.units.high": 64,
    },
    # the paper's scale, for a GPU machine (use --set workers=N and executor_params.gpus=[...])
    "paper": {},
}
DEFAULT_PRESET = "quick"


def hand_picked(family: str, epochs: int) -> dict:
    """The paper's "before tuning" genome (JSON form) for ``family``."""
    layer = ({"kind": "conv", "filters": 32, "kernel_size": 3, "activation": "relu", "pooling": "max"}
             if family == "cnn" else {"kind": "rnn", "units": 32, "activation": "tanh"})
    return {
        "family": family,
        "layers": [layer, layer],
        "hyperparameters": {"learning_rate": 0.01, "batch_size": 32, "optimizer": "adam", "dropout": 0.0,
                            "epochs": epochs},
    }


def before(family: str):
    def change(config: ExperimentConfig) -> ExperimentConfig:
        space = dataclasses.replace(config.space, family=family)
        epochs = space.hyperparameters["epochs"].high
        return dataclasses.replace(config, space=space, strategy="fixed", fixed_genome=hand_picked(family, epochs))

    return change


def after(family: str):
    def change(config: ExperimentConfig) -> ExperimentConfig:
        return dataclasses.replace(config, space=dataclasses.replace(config.space, family=family))

    return change


VARIANTS = {
    "cnn-before": before("cnn"),
    "cnn-after": after("cnn"),
    "rnn-before": before("rnn"),
    "rnn-after": after("rnn"),
}
SEEDS = [0]
REFERENCE = "cnn-before"
REPORTS = ["paper"]
