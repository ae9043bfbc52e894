"""The paper's experiment: before vs after tuning, for the CNN and the SimpleRNN family.

    evodeap run experiments/paper_replication.py --out runs/paper-quick            # preset quick (default)
    evodeap report runs/paper-quick                                                 # Tables 2–5, Figures 2–4
    evodeap run experiments/paper_replication.py --preset evidence --out runs/paper-evidence  # quick × 5 seeds
    evodeap run experiments/paper_replication.py --preset paper --out runs/paper    # population 50, GPU-sized

Arms (one sub-run each, same seeds):

* ``cnn-before`` / ``rnn-before`` — the paper's hand-picked configuration (learning rate
  0.01, batch 32, two convolution layers of 32 filters — or two SimpleRNN layers of 32
  units for the RNN — Adam, no dropout, E = as many epochs as an evolved model may use),
  trained once per generation and continued: generation g ends with the model trained
  (g+1)·E epochs (strategy ``fixed``, ``fixed_schedule="continue"``; docs/paper.md says
  why this share of compute);
* ``cnn-after`` / ``rnn-after`` — the full method: hyperparameter and structural mutation
  (``split``), two-point cut-and-splice crossover, Boltzmann selection, adaptive
  ``μ(t) = μ0·e^(−λt)``, search-space refinement every k generations, and the structural
  genes of how frames become a vector (``frame_pool``: flatten, global max / average,
  rows) and how the sequence becomes one (``time_pool``: mean, max, last).

Data: Captioned Moving MNIST, hard version, generated here; task ``digits`` (which digits
appear: multi-label, 10 outputs). Fitness ``F = α·A − β·T + γ·R`` with A the validation
macro ROC AUC — subset accuracy of a 10-label problem is near 0 for most models a CPU
preset trains, so it gives evolution little signal; Tables 4 and 5 report exact-set and
label-wise accuracy, precision, recall, AUC and F1 on the test split.
"""
import dataclasses

from evodeap.config.settings import ExperimentConfig
from evodeap.domains import Choice
from evodeap.genome.space import SearchSpace

CONFIG = ExperimentConfig(
    name="paper_replication",
    # the paper's ranges (lr 1e-4..1e-1 log, batch 16..128, 3–7 layers) and the two
    # structural genes of how frames become a vector (frame_pool, time_pool)
    space=SearchSpace().with_kinds("frame_pool", "time_pool"),
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

# The quick preset, sized by measurement on the 2-core development machine (docs/paper.md,
# "The quick preset"): models that learn (one 36×64 frame is enough for "which digits
# appear"; 4,000 training videos, up to 8 epochs), within about 7 minutes of run time; two
# single-threaded workers (1.5× the throughput of one two-threaded worker, docs/fitness.md).
QUICK = {
    "population_size": 12,
    "generations": 4,
    "refine_every": 3,
    "refine_top": 0.3,
    "fitness_params.data": {"version": "hard", "task": "digits", "videos": [4000, 1000, 1000], "frames": 1,
                            "downsample": 2},
    "space.max_layers": 6,
    "space.learning_rate.low": 3e-4,
    "space.learning_rate.high": 3e-2,
    "space.optimizer.options": ["adam", "rmsprop"],
    "space.epochs.high": 8,
    "space.conv.filters.high": 32,
    "space.conv.pooling.options": ["max", "avg"],
    "space.rnn.units.high": 64,
    "space.dense.units.high": 64,
    "workers": 2,
    "executor_params": {"recycle_after": 12, "threads_per_worker": 1},
}
PRESETS = {
    "quick": QUICK,
    # the quick preset's comparison over five matched seeds (about 40 minutes): its study
    # report gives confidence intervals and a paired test per family (docs/paper.md)
    "evidence": {**QUICK, "seeds": [0, 1, 2, 3, 4]},
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
        return dataclasses.replace(config, space=space, strategy="fixed", fixed_schedule="continue",
                                   fixed_genome=hand_picked(family, epochs))

    return change


def after(family: str):
    def change(config: ExperimentConfig) -> ExperimentConfig:
        space = dataclasses.replace(config.space, family=family)
        if family == "rnn":  # a global max / average of a raw one-channel frame is one number
            space = space.with_domain("frame_pool.mode", Choice(("flatten", "rows")))
        return dataclasses.replace(config, space=space)

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
