"""SMAC3 over the space: its multi-fidelity facade (BOHB-style, epochs) and its HPO facade (full fidelity).

* :func:`smac_multi_fidelity` — ``MultiFidelityFacade``: Hyperband brackets over the ``epochs``
  gene, a random forest proposing configurations;
* :func:`smac_hpo` — ``HyperparameterOptimizationFacade``: a random forest with log-transformed
  costs, every configuration trained with its own ``epochs`` gene (full fidelity).

Both run ask-and-tell over :func:`smac_configspace`, a conditional space (on ``n_layers`` and on
each position's kind), and tell the cost ``−fitness``.
"""
from __future__ import annotations

import math
import tempfile
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from evodeap.baselines.common import (
    BudgetedEvaluator, OnEvaluation, fidelity_range, layer_param, method_rng, plain, require_peer,
)
from evodeap.evaluation.evaluator import EvaluationRecord
from evodeap.genome.genes import layer_class
from evodeap.genome.genome import Genome
from evodeap.genome.space import Choice, Domain, Integer, Real, SearchSpace


def smac_configspace(space: SearchSpace, seed: int, fidelity: str | None = "epochs") -> Any:
    """The space as a conditional ``ConfigSpace.ConfigurationSpace`` (all but the fidelity gene;
    every gene with ``fidelity=None``).

    ``n_layers`` in ``[min_layers, max_layers]``; for every position ``i < max_layers`` a kind
    ``layer<i>.kind``, active when ``n_layers > i``; the fields of every kind
    ``layer<i>.<kind>.<field>``, active when position ``i`` has that kind; every hyperparameter
    except ``fidelity``. Log domains stay log; a one-value domain is a ``Constant``.
    """
    cs_mod = require_peer("ConfigSpace")

    def declare(name: str, domain: Domain) -> Any:
        if isinstance(domain, (Real, Integer)) and domain.low == domain.high:
            return cs_mod.Constant(name, domain.low)
        if isinstance(domain, Real):
            return cs_mod.Float(name, (float(domain.low), float(domain.high)), log=domain.log)
        if isinstance(domain, Integer):
            return cs_mod.Integer(name, (int(domain.low), int(domain.high)), log=domain.log)
        return cs_mod.Categorical(name, list(domain.options))

    cs = cs_mod.ConfigurationSpace(seed=int(seed))
    n_layers = declare("n_layers", Integer(space.min_layers, space.max_layers))
    cs.add(n_layers)
    for i in range(space.max_layers):
        kind = declare(f"layer{i}.kind", Choice(space.kinds))
        cs.add(kind)
        if i >= space.min_layers:
            cs.add(cs_mod.GreaterThanCondition(kind, n_layers, i))
        for k in space.kinds:
            for f, d in space.layers[k].items():
                field = declare(layer_param(i, k, f), d)
                cs.add(field)
                if len(space.kinds) > 1:
                    cs.add(cs_mod.EqualsCondition(field, kind, k))
    for name, domain in space.hyperparameters.items():
        if name != fidelity:
            cs.add(declare(name, domain))
    return cs


def smac_genome(values: dict[str, Any], budget: float | None, space: SearchSpace, rng: np.random.Generator,
                fidelity: str | None = "epochs") -> Genome:
    """The genome of a SMAC configuration (its active values), repaired into the space; with a
    ``fidelity`` gene, that gene is ``budget`` (rounded, clipped into its domain)."""
    from evodeap.operators.repair import repair

    layers = []
    for i in range(int(values["n_layers"])):
        kind = values[f"layer{i}.kind"]
        layers.append(layer_class(kind)(**{f: plain(values[layer_param(i, kind, f)]) for f in space.layers[kind]}))
    hyper = {name: plain(values[name]) for name in space.hyperparameters if name != fidelity}
    if fidelity is not None:
        hyper[fidelity] = space.hyperparameters[fidelity].clip(int(round(budget)))
    hyper = {name: hyper[name] for name in space.hyperparameters}
    return repair(Genome(layers, hyper, family=space.family), space, rng)


def smac_cost(value: float) -> float:
    """SMAC's cost of a fitness value: ``−value`` (``inf`` for a non-finite value)."""
    return -float(value) if math.isfinite(value) else math.inf


def _never_called(config: Any, seed: int = 0, budget: float | None = None) -> float:
    """The target function SMAC's facades require; evodeap evaluates through ask-and-tell."""
    raise RuntimeError("the SMAC baselines evaluate through ask-and-tell")


def _quiet(call: Any, *args: Any) -> Any:
    """``call(*args)`` with SMAC's RuntimeWarnings (empty-slice means early in a run) silenced."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return call(*args)


def _smac_scenario(space: SearchSpace, seed: int, n_trials: int, scratch: str, fidelity: str | None,
                   **budgets: Any) -> Any:
    """The SMAC ``Scenario``: deterministic (an evaluation is seeded: one seed per configuration)."""
    from smac import Scenario

    return Scenario(smac_configspace(space, seed, fidelity), deterministic=True, n_trials=int(n_trials),
                    seed=int(seed), output_directory=Path(scratch) / "smac", name=f"seed{seed}", **budgets)


def smac_multi_fidelity(space: SearchSpace, fitness: Any, budget: int, seed: int, *, eta: int = 3,
                        min_epochs: int = 1, max_epochs: int | None = None, expected_trials: int | None = None,
                        on_evaluation: OnEvaluation | None = None,
                        compute_budget: float | None = None) -> list[EvaluationRecord]:
    """SMAC3's ``MultiFidelityFacade`` (BOHB-style: Hyperband brackets over epochs, a random
    forest proposing configurations) choosing genomes and epoch budgets, ask-and-tell.

    Configured as SMAC3's documentation recommends for multi-fidelity HPO: the facade's own
    model, acquisition and initial design, ``Hyperband`` intensifier with ``eta``, budgets
    ``[min_epochs, max_epochs]`` in epochs, ``deterministic=True`` (an evaluation is seeded, so
    one seed per configuration), ``n_trials`` = ``expected_trials`` (the facade sizes its
    initial design from it: at most a quarter of the trials), cost = −fitness. The space is
    :func:`smac_configspace` (conditional on ``n_layers`` and each position's kind). As in
    :func:`~evodeap.baselines.keras_tuner.keras_tuner_hyperband`, a configuration SMAC asks for
    again at a larger budget *continues* from its own weights at the largest budget trained so
    far (SMAC itself leaves warm starts to the target function); every training counts toward
    the budget.

    Args:
        space: the search space; it must have an ``epochs`` hyperparameter (the fidelity).
        fitness, budget, seed, on_evaluation, compute_budget: as for
            :func:`~evodeap.baselines.random_search.random_search`.
        eta: Hyperband's reduction factor η.
        min_epochs, max_epochs: the smallest and largest epoch budget (default: the
            ``epochs`` domain's upper bound).
        expected_trials: the trials SMAC plans for (default: ``budget``).

    Raises:
        ConfigError: SMAC3 is not installed, the space has no ``epochs`` gene, or not
            ``1 <= min_epochs < max_epochs``.
    """
    require_peer("smac")
    from smac import MultiFidelityFacade

    min_epochs, max_epochs = fidelity_range(space, "smac_multi_fidelity", min_epochs, max_epochs)
    rng = method_rng(seed, "smac")
    evaluate = BudgetedEvaluator(fitness, budget, seed, on_evaluation, compute_budget)
    if budget == 0:
        return evaluate.records
    with tempfile.TemporaryDirectory(prefix="evodeap-smac-") as scratch:
        scenario = _smac_scenario(space, seed, expected_trials or budget, scratch, "epochs",
                                  min_budget=min_epochs, max_budget=max_epochs)
        smac = MultiFidelityFacade(scenario, _never_called, overwrite=True, logging_level=False,
                                   intensifier=MultiFidelityFacade.get_intensifier(scenario, eta=eta))
        _ask_and_tell_with_warm_starts(smac, space, evaluate, rng)
    return evaluate.records


def _ask_and_tell_with_warm_starts(smac: Any, space: SearchSpace, evaluate: BudgetedEvaluator,
                                   rng: np.random.Generator) -> None:
    """Ask SMAC for (configuration, budget) until the budget is spent; a configuration asked
    again at a larger budget continues from its own weights at the largest budget so far."""
    from smac.runhistory.dataclasses import TrialValue

    trained: dict[Any, tuple[int, bytes, Genome]] = {}  # configuration -> (epochs, weights, genome)
    while evaluate.left > 0:
        info = _quiet(smac.ask)
        genome = smac_genome(dict(info.config), info.budget, space, rng)
        earlier = trained.get(info.config)
        start: dict[str, Any] = {"return_weights": True}
        if earlier is not None and earlier[0] < genome.hyperparameters["epochs"]:
            genome = Genome(earlier[2], {**earlier[2].hyperparameters, "epochs": genome.hyperparameters["epochs"]},
                            family=space.family)
            start.update(weights=earlier[1], weights_genome=earlier[2].to_dict(), trained_epochs=earlier[0])
        record = evaluate(genome, start, smac_budget=float(info.budget))
        if record.result.weights is not None:
            epochs = int(genome.hyperparameters["epochs"])
            if earlier is None or epochs > earlier[0]:
                trained[info.config] = (epochs, record.result.weights, genome)
            record.result.weights = None
        _quiet(smac.tell, info, TrialValue(cost=smac_cost(record.result.fitness[0])))


def smac_hpo(space: SearchSpace, fitness: Any, budget: int, seed: int, *, expected_trials: int | None = None,
             on_evaluation: OnEvaluation | None = None,
             compute_budget: float | None = None) -> list[EvaluationRecord]:
    """SMAC3's ``HyperparameterOptimizationFacade`` over the whole space, full fidelity, ask-and-tell.

    Configured as SMAC3's documentation recommends for HPO: the facade's defaults (a random
    forest on log-transformed costs, expected improvement, a Sobol initial design of at most a
    quarter of ``n_trials``, its intensifier), ``deterministic=True`` (an evaluation is seeded,
    so one seed per configuration), ``n_trials`` = ``expected_trials``, cost = −fitness. The
    space is :func:`smac_configspace` with *every* gene, ``epochs`` included: each
    configuration is trained once, with its own epochs, like a random-search draw.

    Args:
        space, fitness, budget, seed, on_evaluation, compute_budget: as for
            :func:`~evodeap.baselines.random_search.random_search`.
        expected_trials: the trials SMAC plans for (default: ``budget``).

    Raises:
        ConfigError: SMAC3 is not installed.
    """
    require_peer("smac")
    from smac import HyperparameterOptimizationFacade
    from smac.runhistory.dataclasses import TrialValue

    rng = method_rng(seed, "smac")
    evaluate = BudgetedEvaluator(fitness, budget, seed, on_evaluation, compute_budget)
    if budget == 0:
        return evaluate.records
    with tempfile.TemporaryDirectory(prefix="evodeap-smac-hpo-") as scratch:
        scenario = _smac_scenario(space, seed, expected_trials or budget, scratch, None)
        smac = HyperparameterOptimizationFacade(scenario, _never_called, overwrite=True, logging_level=False)
        while evaluate.left > 0:
            info = _quiet(smac.ask)
            record = evaluate(smac_genome(dict(info.config), None, space, rng, fidelity=None))
            _quiet(smac.tell, info, TrialValue(cost=smac_cost(record.result.fitness[0])))
    return evaluate.records
