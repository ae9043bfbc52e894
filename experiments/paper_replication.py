"""The paper's experiment: a CNN and an RNN on videos, each before tuning, after tuning and
against random search at equal compute.

    evodeap run experiments/paper_replication.py --out runs/paper-quick            # preset quick (default)
    evodeap report runs/paper-quick                                                 # Tables 2–5, Figures 2–4
    evodeap run experiments/paper_replication.py --preset evidence --out runs/paper-evidence  # quick × 10 seeds
    evodeap run experiments/paper_replication.py --preset paper --out runs/paper    # population 50, 20 frames

Arms (one sub-run each, same seeds; ``<family>`` is ``cnn`` or ``rnn``):

* ``<family>-before`` — the paper's hand-picked configuration (learning rate 0.01, batch
  32, Adam, no dropout, E = as many epochs as an evolved model may use; the CNN two
  convolution layers of 32 filters, the RNN one convolution layer of 32 filters as its
  per-frame encoder and two SimpleRNN layers of 32 units), trained once per generation and
  continued: generation g ends with the model trained (g+1)·E epochs (strategy ``fixed``,
  ``fixed_schedule="continue"``; docs/paper.md says why this share of compute);
* ``<family>-after`` — the full method: hyperparameter and structural mutation
  (``split``), two-point cut-and-splice crossover, Boltzmann selection, adaptive
  ``μ(t) = μ0·e^(−λt)``, search-space refinement every k generations, and the structural
  genes of how frames become a vector (``frame_pool``: flatten, global max / average,
  rows) and how the sequence becomes one (``time_pool``: mean, max, last);
* ``<family>-random`` — random search (strategy ``random``): fresh draws from the same
  space, the same training; it runs :data:`RANDOM_EXTRA_GENERATIONS` more generations than
  evolution, and the report compares the best model among its first evaluations that spend
  the same seed's ``after`` arm's training FLOPs (:mod:`evodeap.paper.evidence`).

Families: ``cnn`` — per-frame convolutions, then the frames pooled over time (``mean``,
``max`` or ``last``): no recurrence, the control; ``rnn`` — the ``cnn+rnn`` family: the same
per-frame convolutional encoder feeding SimpleRNN layers over the frame sequence. Both read
the same frames, so the difference between them is what recurrence adds.

Data: Captioned Moving MNIST, hard version, generated here; task ``digits+direction``
(which digits appear, and the direction each digit first moves in: 18 labels, docs/paper.md
says why). Design data and evidence data differ: every sizing decision was made on the
validation split of data seed :data:`DESIGN_DATA_SEED`; sub-run seed ``s`` trains and tests
on data seed :func:`data_seed` (s) = 1000 + s. Fitness ``F = α·A − β·T + γ·R`` with A the
validation macro ROC AUC; the thresholded test metrics (F1, accuracy, precision, recall)
decide at per-label thresholds chosen on the validation split.
"""
import dataclasses

from evodeap.config.settings import ExperimentConfig
from evodeap.genome.space import SearchSpace

#: The data seed every design decision (sizing, ranges) was made on, validation split only.
DESIGN_DATA_SEED = 0
#: Sub-run seed ``s`` uses data seed ``EVIDENCE_DATA_SEED_BASE + s`` (never the design seed).
EVIDENCE_DATA_SEED_BASE = 1000
#: Model family of each arm family (``rnn``: a per-frame conv encoder feeding SimpleRNN layers).
FAMILIES = {"cnn": "cnn", "rnn": "cnn+rnn"}
#: Generations the random-search arm runs beyond evolution's, so that it can reach the
#: evolutionary arm's compute (the report stops counting it there).
RANDOM_EXTRA_GENERATIONS = 2


def data_seed(seed: int) -> int:
    """The data seed of sub-run seed ``seed`` (different from :data:`DESIGN_DATA_SEED`)."""
    return EVIDENCE_DATA_SEED_BASE + seed


CONFIG = ExperimentConfig(
    name="paper_replication",
    # the paper's ranges (lr 1e-4..1e-1 log, batch 16..128, 3–7 layers) and the two
    # structural genes of how frames become a vector (frame_pool, time_pool)
    space=SearchSpace().with_kinds("frame_pool", "time_pool"),
    fitness="keras",
    fitness_params={
        "data": {"version": "hard", "task": "digits+direction", "videos": [1000, 250, 250], "frames": 20,
                 "downsample": 2},
        "metric": "auc",
        "accuracy_weight": 1.0,
        "cost_weight": 0.1,
        "robustness_weight": 0.5,
        "frame_size": None,  # an rnn-family model reads the frames at full resolution
        "thresholds": "validation",
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

# The quick preset, sized on the design data's validation split (docs/paper.md, "Sizing"):
# 8 frames (16 generated, every second kept) at 18×32, 2,000 training videos, up to 6 epochs,
# within about 10 minutes of run time on the 2-core development machine.
QUICK = {
    "population_size": 10,
    "generations": 4,
    "refine_every": 3,
    "refine_top": 0.3,
    "fitness_params.data": {"version": "hard", "task": "digits+direction", "videos": [2000, 500, 500],
                            "frames": 16, "frame_stride": 2, "downsample": 4},
    "space.min_layers": 3,
    "space.max_layers": 6,
    "space.learning_rate.low": 3e-4,
    "space.learning_rate.high": 3e-2,
    "space.optimizer.options": ["adam", "rmsprop"],
    "space.epochs.high": 6,
    "space.conv.filters.high": 32,
    "space.conv.pooling.options": ["max", "avg"],
    "space.rnn.units.high": 64,
    "space.dense.units.high": 64,
    "workers": 2,
    "executor_params": {"recycle_after": 12, "threads_per_worker": 1},
}
PRESETS = {
    "quick": QUICK,
    # the pre-registered evidence (docs/paper.md): the quick preset on ten seeds, each on its
    # own data seed (1000..1009), all arms; analysis fixed before it ran
    "evidence": {**QUICK, "seeds": list(range(10))},
    # the paper's scale: population 50, 20 generations, 1,000 / 250 / 250 videos of 20 frames
    # at 36×64 (use --set workers=N and executor_params.gpus=[...] on a GPU machine)
    "paper": {},
}
DEFAULT_PRESET = "quick"


def hand_picked(family: str, epochs: int) -> dict:
    """The paper's "before tuning" genome (JSON form) for ``family`` (``cnn`` or ``rnn``)."""
    conv = {"kind": "conv", "filters": 32, "kernel_size": 3, "activation": "relu", "pooling": "max"}
    rnn = {"kind": "rnn", "units": 32, "activation": "tanh"}
    return {
        "family": FAMILIES[family],
        "layers": [conv, conv] if family == "cnn" else [conv, rnn, rnn],
        "hyperparameters": {"learning_rate": 0.01, "batch_size": 32, "optimizer": "adam", "dropout": 0.0,
                            "epochs": epochs},
    }


def on_its_data(config: ExperimentConfig) -> ExperimentConfig:
    """``config`` training and testing on the data seed of its run seed (:func:`data_seed`)."""
    params = dict(config.fitness_params)
    if isinstance(params.get("data"), dict):
        params["data"] = {**params["data"], "seed": data_seed(config.seed)}
    return dataclasses.replace(config, fitness_params=params)


def before(family: str):
    def change(config: ExperimentConfig) -> ExperimentConfig:
        space = dataclasses.replace(config.space, family=FAMILIES[family])
        epochs = space.hyperparameters["epochs"].high
        return on_its_data(dataclasses.replace(config, space=space, strategy="fixed", fixed_schedule="continue",
                                               fixed_genome=hand_picked(family, epochs)))

    return change


def after(family: str):
    def change(config: ExperimentConfig) -> ExperimentConfig:
        return on_its_data(dataclasses.replace(config, space=dataclasses.replace(config.space, family=FAMILIES[family])))

    return change


def random_search(family: str):
    def change(config: ExperimentConfig) -> ExperimentConfig:
        return on_its_data(dataclasses.replace(
            config, space=dataclasses.replace(config.space, family=FAMILIES[family]), strategy="random",
            refine_every=0, generations=config.generations + RANDOM_EXTRA_GENERATIONS))

    return change


VARIANTS = {
    "cnn-before": before("cnn"),
    "cnn-after": after("cnn"),
    "cnn-random": random_search("cnn"),
    "rnn-before": before("rnn"),
    "rnn-after": after("rnn"),
    "rnn-random": random_search("rnn"),
}
SEEDS = [0]
REFERENCE = "cnn-before"
REPORTS = ["paper"]
