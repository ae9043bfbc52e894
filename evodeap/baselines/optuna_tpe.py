"""Optuna's TPE over the space, plain (full fidelity) and with Hyperband pruning over epochs.

* :func:`optuna_tpe` — ``TPESampler`` asking for whole genomes (define-by-run, variable-length
  structure included: :func:`optuna_genome`), one trial per evaluation;
* :func:`optuna_tpe_hyperband` — the same sampler with Optuna's ``HyperbandPruner``: a trial
  trains at the rungs ``min_epochs·η^k`` (continuing from its own weights), reports each
  rung's fitness and stops when the pruner says so.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from evodeap.baselines.common import (
    BudgetedEvaluator, OnEvaluation, fidelity_range, layer_param, method_rng, require_peer,
)
from evodeap.evaluation.evaluator import EvaluationRecord
from evodeap.genome.genes import layer_class
from evodeap.genome.genome import Genome
from evodeap.genome.space import Domain, Integer, Real, SearchSpace


def optuna_distribution(domain: Domain) -> Any:
    """The Optuna distribution of a domain: ``Float``/``Int`` (``log`` kept) or ``Categorical``."""
    optuna = require_peer("optuna")
    if isinstance(domain, Real):
        return optuna.distributions.FloatDistribution(domain.low, domain.high, log=domain.log)
    if isinstance(domain, Integer):
        return optuna.distributions.IntDistribution(int(domain.low), int(domain.high), log=domain.log)
    return optuna.distributions.CategoricalDistribution(domain.options)


def suggest(trial: Any, name: str, domain: Domain) -> Any:
    """Ask ``trial`` for ``name`` on ``domain`` (``suggest_float``/``suggest_int``/``suggest_categorical``)."""
    if isinstance(domain, Real):
        return float(trial.suggest_float(name, domain.low, domain.high, log=domain.log))
    if isinstance(domain, Integer):
        return int(trial.suggest_int(name, int(domain.low), int(domain.high), log=domain.log))
    return trial.suggest_categorical(name, list(domain.options))


def optuna_genome(trial: Any, space: SearchSpace, rng: np.random.Generator) -> Genome:
    """Ask an Optuna trial for a genome (define-by-run), then repair it into the space.

    Parameters: ``n_layers`` in ``[min_layers, max_layers]``; for each position ``i < n``
    its kind ``layer<i>.kind`` (one of the family's kinds, dropout included) and that kind's
    fields ``layer<i>.<kind>.<field>`` (conditional: asked only when position ``i`` has that
    kind); then every hyperparameter. :func:`evodeap.operators.repair.repair` then restores the
    family's stage order and adds a required kind that is missing (drawn from ``rng``).
    """
    from evodeap.operators.repair import repair

    n = trial.suggest_int("n_layers", space.min_layers, space.max_layers)
    layers = []
    for i in range(n):
        kind = trial.suggest_categorical(f"layer{i}.kind", list(space.kinds))
        fields = {f: suggest(trial, layer_param(i, kind, f), d) for f, d in space.layers[kind].items()}
        layers.append(layer_class(kind)(**fields))
    hyper = {name: suggest(trial, name, d) for name, d in space.hyperparameters.items()}
    return repair(Genome(layers, hyper, family=space.family), space, rng)


def optuna_tpe(space: SearchSpace, fitness: Any, budget: int, seed: int, *,
               on_evaluation: OnEvaluation | None = None, compute_budget: float | None = None,
               **sampler_params: Any) -> list[EvaluationRecord]:
    """Optuna's TPE (``TPESampler(seed=seed, **sampler_params)``) for ``budget`` trials.

    Each trial is asked for a genome by :func:`optuna_genome`, evaluated, and told the first
    fitness value (a failed evaluation tells its failure value, so TPE learns to avoid it).
    Sequential ask-and-tell: with a seed the search is reproducible.

    Args:
        space, fitness, budget, seed, on_evaluation, compute_budget: as for :func:`~evodeap.baselines.random_search.random_search`.
        **sampler_params: further ``optuna.samplers.TPESampler`` arguments
            (e.g. ``n_startup_trials``, ``multivariate``).

    Raises:
        ConfigError: Optuna is not installed.
    """
    optuna = require_peer("optuna")
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    rng = method_rng(seed, "optuna")
    sampler = optuna.samplers.TPESampler(seed=int(seed), **sampler_params)
    study = optuna.create_study(direction="maximize", sampler=sampler)
    evaluate = BudgetedEvaluator(fitness, budget, seed, on_evaluation, compute_budget)
    while evaluate.left > 0:
        trial = study.ask()
        record = evaluate(optuna_genome(trial, space, rng), optuna_trial=trial.number)
        study.tell(trial, record.result.fitness[0])
    return evaluate.records


def epoch_rungs(min_epochs: int, max_epochs: int, eta: int) -> list[int]:
    """The epochs a trial is trained to, rung by rung: ``e_k = min(max_epochs, min_epochs·η^k)``
    for ``k = 0, 1, …`` until ``max_epochs`` (``1, 9, η=3`` gives ``[1, 3, 9]``; ``1, 10`` gives
    ``[1, 3, 9, 10]``), the steps at which Optuna's Hyperband brackets compare trials."""
    rungs = [int(min_epochs)]
    while rungs[-1] < max_epochs:
        rungs.append(min(int(max_epochs), rungs[-1] * int(eta)))
    return rungs


def optuna_tpe_hyperband(space: SearchSpace, fitness: Any, budget: int, seed: int, *, eta: int = 3,
                         min_epochs: int = 1, max_epochs: int | None = None,
                         on_evaluation: OnEvaluation | None = None, compute_budget: float | None = None,
                         **sampler_params: Any) -> list[EvaluationRecord]:
    """Optuna's TPE with its ``HyperbandPruner``: multi-fidelity over the ``epochs`` gene.

    Configured as Optuna's documentation recommends ("for ``TPESampler``, ``HyperbandPruner``
    is the best pruner"): ``TPESampler(seed=seed, **sampler_params)``,
    ``HyperbandPruner(min_resource=min_epochs, max_resource=max_epochs, reduction_factor=eta)``,
    the study named after the seed (Hyperband assigns a trial to its bracket by a hash of the
    study name and trial number, so a fixed name makes the search reproducible). Each trial
    asks :func:`optuna_genome` for a genome (its ``epochs`` gene ignored), trains it to the
    rungs of :func:`epoch_rungs`, each one an evaluation of the budget that *continues* from
    the trial's weights of the rung before (as Keras Tuner and SMAC MF do here), reports the
    fitness at step ``e_k`` and is pruned when ``trial.should_prune()``; a trial that reaches
    ``max_epochs`` is told its last fitness. A trial cut by the end of the budget is told as
    pruned (its last reported value).

    Args:
        space: the search space; it must have an ``epochs`` hyperparameter (the fidelity).
        fitness, budget, seed, on_evaluation, compute_budget: as for
            :func:`~evodeap.baselines.random_search.random_search`.
        eta: Hyperband's reduction factor η.
        min_epochs, max_epochs: the smallest and largest epoch budget (default: the
            ``epochs`` domain's upper bound).
        **sampler_params: further ``optuna.samplers.TPESampler`` arguments.

    Raises:
        ConfigError: Optuna is not installed, the space has no ``epochs`` gene, or not
            ``1 <= min_epochs < max_epochs``.
    """
    optuna = require_peer("optuna")
    min_epochs, max_epochs = fidelity_range(space, "optuna_tpe_hyperband", min_epochs, max_epochs)
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    rng = method_rng(seed, "optuna")
    sampler = optuna.samplers.TPESampler(seed=int(seed), **sampler_params)
    pruner = optuna.pruners.HyperbandPruner(min_resource=min_epochs, max_resource=max_epochs, reduction_factor=eta)
    study = optuna.create_study(direction="maximize", sampler=sampler, pruner=pruner,
                                study_name=f"evodeap-tpe-hyperband-seed{seed}")
    evaluate = BudgetedEvaluator(fitness, budget, seed, on_evaluation, compute_budget)
    epochs_domain = space.hyperparameters["epochs"]
    rungs = sorted({int(epochs_domain.clip(e)) for e in epoch_rungs(min_epochs, max_epochs, eta)})
    while evaluate.left > 0:
        trial = study.ask()
        _train_through_rungs(trial, optuna_genome(trial, space, rng), rungs, evaluate, study, optuna)
    return evaluate.records


def _train_through_rungs(trial: Any, genome: Genome, rungs: list[int], evaluate: BudgetedEvaluator,
                         study: Any, optuna: Any) -> None:
    """Train one trial rung by rung (each rung continuing from the weights of the one before),
    report each fitness at step ``e_k``, and tell the study: pruned, complete, or — when the
    budget ends the trial — pruned at its last reported value (failed if it reported none)."""
    trained: tuple[int, bytes, Genome] | None = None
    value = None
    for epochs in rungs:
        if evaluate.left <= 0:
            break
        rung_genome = Genome(genome, {**genome.hyperparameters, "epochs": epochs}, family=genome.family)
        start: dict[str, Any] = {"return_weights": True}
        if trained is not None:
            start.update(weights=trained[1], weights_genome=trained[2].to_dict(), trained_epochs=trained[0])
        record = evaluate(rung_genome, start, optuna_trial=trial.number, optuna_step=epochs)
        weights, record.result.weights = record.result.weights, None
        trained = (epochs, weights, rung_genome) if weights is not None else None
        value = record.result.fitness[0]
        trial.report(value, epochs)
        if trial.should_prune():
            study.tell(trial, state=optuna.trial.TrialState.PRUNED)
            return
        if epochs == rungs[-1]:
            study.tell(trial, value)
            return
    study.tell(trial, state=optuna.trial.TrialState.PRUNED if value is not None else optuna.trial.TrialState.FAIL)
