"""Named starting points for new experiments: :func:`recommended`.

:func:`recommended` is evodeap's recommended configuration — the default for new work, chosen on
the design problems of the benchmark suite and reported on the standard suite
(docs/benchmarks.md, "The recommended configuration"). The paper's method stays available as
published (``experiments/paper_replication.py``; ``evodeap.benchmarks.methods.published_config``).

The recommended configuration (:data:`RECOMMENDED`):

* population 10, one elite, generational replacement;
* tournament selection of size 3;
* uniform crossover with probability 0.5;
* a mutation of exactly one gene per child (``one_gene``), every child mutated;
* no surrogate screening (:mod:`evodeap.evaluation.screening` did not help on the design
  problems at population 10; switch it on with ``screening={...}``);
* no search-space refinement;
* with ``max_fidelity`` (a problem whose epochs are its fidelity): successive halving over the
  epochs with η = 3 from ``R/9``, see :func:`evodeap.evaluation.fidelity.with_multi_fidelity`.
"""
from __future__ import annotations

from typing import Any

from evodeap.config.settings import ExperimentConfig
from evodeap.genome.space import SearchSpace

#: The settings :func:`recommended` gives (see the module docstring).
RECOMMENDED: dict[str, Any] = {
    "population_size": 10, "elitism": 1,
    "selection": "tournament", "selection_params": {"tournsize": 3},
    "crossover": "uniform", "cxpb": 0.5,
    "mutation": "one_gene", "mutpb": 1.0,
    "screening": None,
    "refine_every": 0,
}
#: Generations of a budgeted run: the compute budget stops it long before.
BUDGETED_GENERATIONS = 1_000


def recommended(space: SearchSpace, budget: float | None = None, *, max_fidelity: int | None = None,
                **settings: Any) -> ExperimentConfig:
    """evodeap's recommended configuration on ``space`` (module docstring).

    Args:
        space: the search space.
        budget: the compute budget in the fitness's cost units (``compute_budget``; ``None``:
            no budget, the config's ``generations`` decide).
        max_fidelity: epochs of a full training when epochs are the fidelity: turns on
            successive halving (η = 3, rungs from ``max(1, R // 9)`` to ``R``).
        settings: any other :class:`ExperimentConfig` setting (``fitness``, ``seed`` …); a
            setting of :data:`RECOMMENDED` given here replaces the recommended one.
    """
    from evodeap.evaluation.fidelity import with_multi_fidelity

    values = {**RECOMMENDED, **settings}
    if budget is not None:
        values.setdefault("generations", BUDGETED_GENERATIONS)
        values["compute_budget"] = float(budget)
    config = ExperimentConfig(space=space, **{"name": "recommended", **values})
    if max_fidelity is not None:
        config = with_multi_fidelity(config, min_budget=max(1, max_fidelity // 9), eta=3, max_budget=max_fidelity)
    return config


__all__ = ["BUDGETED_GENERATIONS", "RECOMMENDED", "recommended"]
