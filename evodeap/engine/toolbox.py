"""The DEAP toolbox of a run: built once from the resolved objects, rebound per generation.

:func:`build_toolbox` gives a plain DEAP ``Toolbox`` (``individual``, ``population``,
``mate``, ``mutate``, ``select``, ``survive``, ``evaluate``, ``map``, ``clone``) that works
unchanged with ``deap.algorithms``; :class:`RunToolbox` is the engine's handle on it, which
rebinds only what changes during a run (μ(t), β(t), a refined space).
"""
from __future__ import annotations

from typing import Any, Callable

import numpy as np
from deap import base, tools

from evodeap.config.rates import takes, value_at
from evodeap.config.resolve import RunPlan, plan_run
from evodeap.config.settings import ExperimentConfig
from evodeap.evaluation.api import EvalContext, Objectives, genome_seed, run_evaluation
from evodeap.genome.genome import Genome
from evodeap.genome.space import SearchSpace
from evodeap.operators.contract import OperatorContract


def _bind(toolbox: base.Toolbox, alias: str, fn: Callable, params: dict, **context: Any) -> None:
    """Register ``fn`` as ``alias`` with ``params`` and those of ``context`` it takes (e.g. ``rng``, ``space``)."""
    extra = {k: v for k, v in context.items() if takes(fn, k)}
    toolbox.register(alias, fn, **{**extra, **params})


def _rate_param(name: str, schedule: Callable | None, value: float | None) -> dict[str, float]:
    """``{name: value}`` when the operator takes the rate (it has a schedule), else nothing."""
    return {} if schedule is None or value is None else {name: value}


def deap_evaluate(individual: Genome, *, fitness: Callable, seed: int, objectives: Objectives) -> tuple:
    """DEAP-style ``evaluate(ind) -> fitness tuple`` (seed derived from the genome key)."""
    context = EvalContext(seed=genome_seed(seed, individual.key()))
    return run_evaluation(fitness, individual.plain(), context, objectives).fitness


class RunToolbox:
    """The DEAP toolbox of one run, built once from the resolved objects.

    Only what changes during a run is rebound: ``mutate`` when μ(t) or the space changes,
    ``select`` when β(t) changes, ``mate`` and ``individual`` when a refinement replaces the
    space. Rebinding registers a new partial of the same resolved callable — no name is
    looked up again. Every operator is registered wrapped in its contract check
    (:mod:`evodeap.operators.contract`); ``contract`` (also ``toolbox.contract``) checks against the
    space in force and counts the repairs.
    """

    def __init__(self, config: ExperimentConfig, ops: RunPlan, *, space: SearchSpace,
                 rng: np.random.Generator, init_rng: np.random.Generator, mu: float | None,
                 beta: float | None, map_fn: Callable = map) -> None:
        self.config = config
        self.ops = ops
        self.rng = rng
        self.init_rng = init_rng
        self.toolbox = base.Toolbox()
        self.contract = OperatorContract(space, rng, config.invalid_offspring)
        self.toolbox.contract = self.contract
        self.toolbox.register("population", tools.initRepeat, list, self._individual)
        if ops.survive is not None:
            _bind(self.toolbox, "survive", ops.survive, config.survival_params, rng=rng)
            self.contract.wrap(self.toolbox, "survive", config.survival)
        self.toolbox.register("evaluate", deap_evaluate, fitness=ops.fitness, seed=config.seed,
                              objectives=ops.objectives)
        self.toolbox.register("map", map_fn)
        self.space: SearchSpace | None = None
        self.mu: float | None = None
        self.beta: float | None = None
        self.rebind(space=space, mu=value_at(ops.mutation_rate, 0, None) if mu is None else mu,
                    beta=value_at(ops.selection_pressure, 0, None) if beta is None else beta)

    def _individual(self):
        return self.toolbox.individual()

    def rebind(self, *, space: SearchSpace, mu: float | None, beta: float | None) -> base.Toolbox:
        """Bind the space, μ and β in force from now on (only those that changed)."""
        ops, config, toolbox, contract = self.ops, self.config, self.toolbox, self.contract
        space_changed = space is not self.space
        if space_changed:
            contract.space = space
            toolbox.register("individual", space.sample_genome, self.init_rng, cls=ops.individual)
            _bind(toolbox, "mate", ops.mate, config.crossover_params, space=space, rng=self.rng)
            contract.wrap(toolbox, "mate", config.crossover)
        if space_changed or mu != self.mu:
            _bind(toolbox, "mutate", ops.mutate, {**ops.mutation_params, **_rate_param("indpb", ops.mutation_rate, mu)},
                  space=space, rng=self.rng)
            contract.wrap(toolbox, "mutate", config.mutation)
        if space_changed or beta != self.beta:
            _bind(toolbox, "select", ops.select,
                  {**ops.selection_params, **_rate_param("beta", ops.selection_pressure, beta)}, rng=self.rng)
            contract.wrap(toolbox, "select", config.selection)
        self.space, self.mu, self.beta = space, mu, beta
        return toolbox


def build_toolbox(
    config: ExperimentConfig,
    *,
    space: SearchSpace | None = None,
    rng: np.random.Generator | None = None,
    fitness: Callable | None = None,
    mu: float | None = None,
    beta: float | None = None,
) -> base.Toolbox:
    """A DEAP toolbox with ``individual``, ``population``, ``mate``, ``mutate``, ``select``,
    ``survive`` (if configured), ``evaluate``, ``map`` and ``clone``.

    It works unchanged with ``deap.algorithms`` (e.g. ``eaMuPlusLambda``). ``mu``/``beta``
    override the schedules' generation-0 values. The operators are wrapped in their contract
    checks (:mod:`evodeap.operators.contract`; ``toolbox.contract``).
    """
    rng = rng if rng is not None else np.random.default_rng(config.seed)
    ops = plan_run(config, fitness)
    return RunToolbox(config, ops, space=space or config.space, rng=rng, init_rng=rng, mu=mu, beta=beta).toolbox


__all__ = ["RunToolbox", "build_toolbox", "deap_evaluate"]
