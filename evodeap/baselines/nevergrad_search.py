"""Nevergrad's optimizers over the space, ask-and-tell: NGOpt, DE and DiscreteOnePlusOne.

The space becomes a nevergrad ``ng.p.Dict`` (:func:`nevergrad_parametrization`) of the flat
parameters of :func:`evodeap.baselines.common.flat_parameters`: a ``n_layers`` choice, a kind
and every kind's fields per position, and every hyperparameter. A candidate becomes a genome by
:func:`evodeap.baselines.common.flat_genome`, which reads only the active genes (positions below
``n_layers``, the fields of each position's kind) and ignores the rest.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from evodeap.baselines.common import (
    BudgetedEvaluator, OnEvaluation, finite_loss, flat_genome, flat_parameters, method_rng, method_seed,
    require_peer,
)
from evodeap.evaluation.evaluator import EvaluationRecord
from evodeap.errors import ConfigError
from evodeap.genome.space import Choice, Domain, Integer, Real, SearchSpace

#: The nevergrad optimizers offered, by evodeap's name -> ``ng.optimizers`` attribute.
NEVERGRAD_OPTIMIZERS = ("NGOpt", "DE", "DiscreteOnePlusOne")


def nevergrad_parameter(domain: Domain) -> Any:
    """The nevergrad parameter of one domain, or ``None`` for a domain of one value (a constant).

    ``Real`` → ``ng.p.Scalar(lower, upper)`` (``ng.p.Log`` on a log domain); ``Integer`` → the
    same with ``set_integer_casting()``; ``Choice`` → ``ng.p.TransitionChoice`` when every option
    is a number (ordered, so neighbouring values are close), ``ng.p.Choice`` otherwise — as
    nevergrad's parametrization guide recommends.
    """
    ng = require_peer("nevergrad")
    if domain.size == 1:
        return None
    if isinstance(domain, (Real, Integer)):
        cls = ng.p.Log if domain.log else ng.p.Scalar
        parameter = cls(lower=float(domain.low), upper=float(domain.high))
        return parameter.set_integer_casting() if isinstance(domain, Integer) else parameter
    numeric = all(isinstance(o, (int, float)) and not isinstance(o, bool) for o in domain.options)
    return (ng.p.TransitionChoice if numeric else ng.p.Choice)(list(domain.options))


def nevergrad_parametrization(space: SearchSpace, seed: int) -> tuple[Any, dict[str, Any]]:
    """``(ng.p.Dict, constants)``: the searched parameters, seeded, and the one-value genes.

    The dict's random state is ``np.random.RandomState(seed)`` (nevergrad draws every random
    choice of its optimizers from the parametrization's random state).
    """
    ng = require_peer("nevergrad")
    searched, constants = {}, {}
    for name, domain in flat_parameters(space):
        parameter = nevergrad_parameter(domain)
        if parameter is None:
            constants[name] = domain.options[0] if isinstance(domain, Choice) else domain.low
        else:
            searched[name] = parameter
    parametrization = ng.p.Dict(**searched)
    parametrization.random_state = np.random.RandomState(seed)
    return parametrization, constants


def nevergrad_search(space: SearchSpace, fitness: Any, budget: int, seed: int, *, optimizer: str = "NGOpt",
                     expected_evaluations: int | None = None, on_evaluation: OnEvaluation | None = None,
                     compute_budget: float | None = None) -> list[EvaluationRecord]:
    """A nevergrad optimizer searching the space by ask-and-tell, one evaluation per candidate.

    Configured as nevergrad's documentation recommends: the optimizer built from the
    parametrization with its ``budget`` (the number of evaluations it plans for: NGOpt picks
    its algorithm from the budget, the space's types and ``num_workers``) and
    ``num_workers=1`` (evaluations are sequential), the loss ``−fitness`` minimised
    (a non-finite fitness tells ``1e12``), randomness from the parametrization's seeded
    random state (:func:`nevergrad_parametrization`), so a seed gives the same search.

    Args:
        space, fitness, budget, seed, on_evaluation, compute_budget: as for
            :func:`~evodeap.baselines.random_search.random_search`.
        optimizer: one of :data:`NEVERGRAD_OPTIMIZERS` (``ng.optimizers.<optimizer>``).
        expected_evaluations: the budget the optimizer plans for (default: ``budget``).

    Raises:
        ConfigError: nevergrad is not installed, or ``optimizer`` is not offered.
    """
    ng = require_peer("nevergrad")
    if optimizer not in NEVERGRAD_OPTIMIZERS:
        raise ConfigError(f"unknown nevergrad optimizer {optimizer!r}; one of {', '.join(NEVERGRAD_OPTIMIZERS)}")
    rng = method_rng(seed, "nevergrad")
    evaluate = BudgetedEvaluator(fitness, budget, seed, on_evaluation, compute_budget)
    if budget == 0:
        return evaluate.records
    parametrization, constants = nevergrad_parametrization(space, method_seed(seed, "nevergrad", bits=31))
    search = getattr(ng.optimizers, optimizer)(parametrization=parametrization,
                                               budget=int(expected_evaluations or budget), num_workers=1)
    while evaluate.left > 0:
        candidate = search.ask()
        genome = flat_genome({**constants, **candidate.value}, space, rng)
        record = evaluate(genome, nevergrad_optimizer=optimizer)
        search.tell(candidate, finite_loss(record.result.fitness[0]))
    return evaluate.records


def nevergrad_ngopt(space: SearchSpace, fitness: Any, budget: int, seed: int, **params: Any) -> list[EvaluationRecord]:
    """:func:`nevergrad_search` with ``NGOpt``, nevergrad's recommended default ("wizard") optimizer."""
    return nevergrad_search(space, fitness, budget, seed, optimizer="NGOpt", **params)


def nevergrad_de(space: SearchSpace, fitness: Any, budget: int, seed: int, **params: Any) -> list[EvaluationRecord]:
    """:func:`nevergrad_search` with ``DE``, nevergrad's differential evolution."""
    return nevergrad_search(space, fitness, budget, seed, optimizer="DE", **params)


def nevergrad_discrete_one_plus_one(space: SearchSpace, fitness: Any, budget: int, seed: int,
                                    **params: Any) -> list[EvaluationRecord]:
    """:func:`nevergrad_search` with ``DiscreteOnePlusOne``, a (1+1) evolution strategy with discrete mutations."""
    return nevergrad_search(space, fitness, budget, seed, optimizer="DiscreteOnePlusOne", **params)
