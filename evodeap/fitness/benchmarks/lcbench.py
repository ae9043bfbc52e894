"""LCBench (Zimmer et al., TPAMI 2021) through YAHPO Gym's ONNX surrogate (Pfisterer et al.,
AutoML-Conf 2022) as a fitness, with epochs as the fidelity.

The surrogate (``data/lcbench/model.onnx``, Apache-2.0, from slds-lmu/yahpo_data commit
efdab90; see ``data/lcbench/README.txt`` and ``LICENSE-2.0.txt``) maps an OpenML task and
``(epoch, batch_size, learning_rate, momentum, weight_decay, num_layers, max_units,
max_dropout)`` to ``(time, val_accuracy, val_cross_entropy, val_balanced_accuracy,
test_cross_entropy, test_balanced_accuracy)``; ``time`` is the simulated training time in
seconds up to that epoch. It is queried with ``onnxruntime`` (session loaded once per
process); one query of a whole learning curve (all epochs in one batch) takes about a
millisecond.

Genome: the funnel MLP's ``num_layers`` is the number of ``shared_dense`` genes
(``min_layers = 1``, ``max_layers = 5``); ``batch_size``, ``learning_rate``, ``momentum``,
``weight_decay``, ``max_units`` and ``max_dropout`` are hyperparameter genes over the
ranges of ``config_space.json``. The funnel's widths shrink from ``max_units`` and its
dropout grows to ``max_dropout``: shared values, not per-layer ones, so a layer gene holds
no width or rate (see docs/benchmarks.md).

An evaluation trains to ``E`` epochs — ``context.budget`` (a multi-fidelity rung), else
the fitness's ``epochs`` (52, the full fidelity); the surrogate has no noise, so a query
does not depend on the seed. Continuation: when ``context.weights`` is this genome's own
state at ``b = context.trained_epochs`` epochs (the bytes :meth:`LCBenchFitness.__call__`
returns when asked), the evaluation costs only ``time(E) − time(b)`` simulated seconds
and ``E − b`` epochs. Learning-curve early termination (``context.stop_threshold``) stops
at the first epoch ``e`` where :func:`evodeap.evaluation.curves.should_terminate` says so
on the validation-accuracy curve; the result is then epoch ``e``'s.

Fitness (maximised): validation accuracy (%) at the last epoch trained. Metrics:
``val_accuracy``, ``val_cross_entropy``, ``val_balanced_accuracy`` (search) and
``test_cross_entropy``, ``test_balanced_accuracy`` (report), plus the regret references
``best_val_accuracy_sampled``, ``worst_val_accuracy_sampled`` and
``best_test_balanced_accuracy_sampled``: the extremes over :data:`REFERENCE_SAMPLES`
random configurations at 52 epochs (seed 0; best known by sampling, not a proven optimum).
Cost: ``extra["train_flops"]`` = epochs trained in this evaluation (= ``extra["epochs_run"]``; the
unit of YAHPO-SO's budget of 6,544 epochs), ``extra["train_seconds"]`` = simulated seconds.
"""
from __future__ import annotations

import functools
import json
import math
from dataclasses import dataclass
from importlib import resources
from typing import Any, ClassVar, Mapping

import numpy as np

from evodeap.domains import Choice, Integer, Real
from evodeap.errors import ConfigError, GenomeError
from evodeap.evaluation.api import EvalContext, EvalResult
from evodeap.evaluation.curves import should_terminate
from evodeap.fitness.benchmarks.kinds import SharedDense
from evodeap.genome.genome import Genome
from evodeap.genome.space import SearchSpace

FAMILY = "lcbench"
ACTIVATION = "relu"
#: the surrogate's continuous inputs, in the model's order
FEATURES = ("epoch", "batch_size", "learning_rate", "momentum", "weight_decay", "num_layers", "max_units",
            "max_dropout")
#: the hyperparameter genes (every feature but the fidelity and the depth)
SHARED = ("batch_size", "learning_rate", "momentum", "weight_decay", "max_units", "max_dropout")
#: the surrogate's outputs, in order
OUTPUTS = ("time", "val_accuracy", "val_cross_entropy", "val_balanced_accuracy", "test_cross_entropy",
           "test_balanced_accuracy")
MAX_EPOCHS = 52
#: random configurations behind the regret references
REFERENCE_SAMPLES = 10_000
EPOCHS = "epochs (YAHPO lcbench surrogate; simulated seconds in train_seconds)"


def _data(name: str) -> Any:
    return resources.files("evodeap.fitness.benchmarks").joinpath("data", "lcbench", name)


@functools.lru_cache(maxsize=None)
def config_space() -> dict[str, dict[str, Any]]:
    """The shipped ``config_space.json`` as ``name -> hyperparameter record``."""
    return {hp["name"]: hp for hp in json.loads(_data("config_space.json").read_text())["hyperparameters"]}


def tasks() -> tuple[str, ...]:
    """The 34 OpenML task ids of the surrogate's space."""
    return tuple(config_space()["OpenML_task_id"]["choices"])


@functools.lru_cache(maxsize=None)
def _task_codes() -> dict[str, int]:
    return json.loads(_data("encoding.json").read_text())["OpenML_task_id"]


@functools.lru_cache(maxsize=None)
def surrogate() -> Any:
    """The ONNX inference session (one per process)."""
    try:
        import onnxruntime
    except ImportError:
        raise ConfigError("the LCBench fitness needs onnxruntime: pip install 'evodeap[benchmarks]'") from None
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    return onnxruntime.InferenceSession(_data("model.onnx").read_bytes(), options,
                                        providers=["CPUExecutionProvider"])


def predict(task: str, rows: np.ndarray) -> np.ndarray:
    """The surrogate's outputs (:data:`OUTPUTS`, one row each) for ``rows`` of :data:`FEATURES`."""
    x_cat = np.full((len(rows), 1), _task_codes()[task], dtype=np.int32)
    return surrogate().run(None, {"x_cat": x_cat, "x_cont": np.asarray(rows, dtype=np.float32)})[0]


def _domain(record: Mapping[str, Any]) -> Any:
    cls = Integer if record["type"] == "uniform_int" else Real
    return cls(record["lower"], record["upper"], log=bool(record["log"]))


def lcbench_space() -> SearchSpace:
    """1–5 ``shared_dense`` genes (``num_layers``) and the six shared hyperparameters, with
    the surrogate's ranges (``Integer`` / ``Real``, log-scaled where the benchmark is)."""
    space = config_space()
    depth = space["num_layers"]
    return SearchSpace(family=FAMILY, hyperparameters={name: _domain(space[name]) for name in SHARED},
                       layers={"shared_dense": {"activation": Choice((ACTIVATION,))}},
                       min_layers=int(depth["lower"]), max_layers=int(depth["upper"]))


def lcbench_config(genome: Genome) -> dict[str, Any]:
    """``{"num_layers": len(genome), **the six shared hyperparameters}``.

    Raises:
        GenomeError: a layer is not a ``shared_dense`` gene or a hyperparameter is missing.
    """
    if any(gene.kind != "shared_dense" for gene in genome) or set(SHARED) - set(genome.hyperparameters):
        raise GenomeError(f"an LCBench genome is shared_dense genes with hyperparameters {SHARED}, "
                          f"got {genome.describe()} {genome.hyperparameters}")
    return {"num_layers": len(genome), **{name: genome.hyperparameters[name] for name in SHARED}}


def lcbench_genome(config: Mapping[str, Any]) -> Genome:
    """The genome of a configuration (inverse of :func:`lcbench_config`)."""
    return Genome([SharedDense(ACTIVATION)] * int(config["num_layers"]),
                  {name: config[name] for name in SHARED}, family=FAMILY)


def curve_rows(config: Mapping[str, Any], epochs: int) -> np.ndarray:
    """One feature row per epoch ``1 … epochs``."""
    row = [float(config[name]) for name in FEATURES[1:]]
    return np.array([[float(e), *row] for e in range(1, epochs + 1)], dtype=np.float32)


@functools.lru_cache(maxsize=None)
def reference(task: str) -> dict[str, float]:
    """Regret references of ``task``: the best and worst validation accuracy and the best
    test balanced accuracy over :data:`REFERENCE_SAMPLES` configurations drawn uniformly
    (log-uniformly where the space is log-scaled) with seed 0, at 52 epochs."""
    rng = np.random.default_rng(0)
    space = lcbench_space()
    n = REFERENCE_SAMPLES
    columns = {"epoch": np.full(n, MAX_EPOCHS),
               "num_layers": rng.integers(space.min_layers, space.max_layers + 1, n)}
    for name in SHARED:
        columns[name] = [space.hyperparameters[name].sample(rng) for _ in range(n)]
    out = predict(task, np.column_stack([columns[name] for name in FEATURES]))
    val, test = out[:, OUTPUTS.index("val_accuracy")], out[:, OUTPUTS.index("test_balanced_accuracy")]
    return {"best_val_accuracy_sampled": float(val.max()), "worst_val_accuracy_sampled": float(val.min()),
            "best_test_balanced_accuracy_sampled": float(test.max())}


@dataclass(frozen=True)
class LCBenchFitness:
    """LCBench on OpenML ``task`` (one of :func:`tasks`), trained to ``epochs`` (1–52)
    unless a multi-fidelity budget says otherwise: fitness = validation accuracy (%)."""

    task: str = "167168"
    epochs: int = MAX_EPOCHS
    n_objectives: ClassVar[int] = 1
    #: a validation accuracy is ≥ 0
    failure_fitness: ClassVar[tuple[float, ...]] = (-1.0,)

    def __post_init__(self) -> None:
        if self.task not in tasks():
            raise ConfigError(f"LCBench: unknown task {self.task!r}; one of {', '.join(tasks())}")
        if isinstance(self.epochs, bool) or not isinstance(self.epochs, int) or not 1 <= self.epochs <= MAX_EPOCHS:
            raise ConfigError(f"LCBench: epochs must be an integer in [1, {MAX_EPOCHS}], got {self.epochs!r}")

    def _start(self, genome: Genome, context: EvalContext) -> int:
        """Epochs already trained on this genome (its own state in ``context.weights``), else 0."""
        if context.weights is None or not context.trained_epochs:
            return 0
        try:
            state = json.loads(context.weights.decode())
        except (UnicodeDecodeError, ValueError):
            return 0
        own = isinstance(state, dict) and state.get("genome") == genome.key()
        return int(context.trained_epochs) if own else 0

    def __call__(self, genome: Genome, context: EvalContext) -> EvalResult:
        config = lcbench_config(genome)
        planned = int(context.budget) if context.budget is not None else self.epochs
        if not 1 <= planned <= MAX_EPOCHS:
            raise ConfigError(f"LCBench: a budget of {planned} epochs is outside [1, {MAX_EPOCHS}]")
        start = min(self._start(genome, context), planned)
        out = predict(self.task, curve_rows(config, planned))
        curve = [float(v) for v in out[:, OUTPUTS.index("val_accuracy")]]
        stop, terminated = planned, False
        for epoch in range(start + 1, planned + 1):
            if should_terminate(curve[:epoch], planned - epoch, context.stop_threshold, context.stop_min_epochs):
                stop, terminated = epoch, True
                break
        stop = max(stop, start)
        times = out[:, OUTPUTS.index("time")]
        seconds = float(times[stop - 1]) - (float(times[start - 1]) if start else 0.0)
        seconds = max(0.0, seconds) if math.isfinite(seconds) else 0.0
        metrics = {name: float(out[stop - 1, i]) for i, name in enumerate(OUTPUTS) if name != "time"}
        metrics.update(reference(self.task))
        extra = {
            "epochs_run": stop - start, "epochs_planned": planned, "epochs_total": stop,
            "train_flops": float(stop - start), "train_seconds": seconds, "cost_unit": EPOCHS,
            "simulated_time_total": float(times[stop - 1]), "val_curve": curve[:stop],
            "terminated_early": terminated, "benchmark": "LCBenchFitness", "task": self.task, "config": config,
        }
        weights = None
        if context.return_weights:
            weights = json.dumps({"genome": genome.key(), "epochs": stop}).encode()
        value = metrics["val_accuracy"]
        return EvalResult(fitness=(value,), metrics=metrics, components={"A": value}, seed=context.seed,
                          extra=extra, weights=weights)
