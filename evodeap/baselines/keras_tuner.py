"""Keras Tuner's Hyperband oracle choosing genomes and epoch budgets (:func:`keras_tuner_hyperband`)."""
from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from evodeap.baselines.common import (
    BudgetedEvaluator, OnEvaluation, layer_param, method_rng, method_seed, require_peer,
)
from evodeap.evaluation.evaluator import EvaluationRecord
from evodeap.errors import ConfigError
from evodeap.genome.genes import layer_class
from evodeap.genome.genome import Genome
from evodeap.genome.space import Choice, Domain, Integer, Real, SearchSpace


def declare_keras_tuner_space(hp: Any, space: SearchSpace, fidelity: str = "epochs") -> None:
    """Declare the space on a ``keras_tuner.HyperParameters`` (all but the fidelity gene).

    ``n_layers``; for every position ``i < max_layers`` a kind ``layer<i>.kind`` and the
    fields of every kind ``layer<i>.<kind>.<field>`` (positions beyond ``n_layers`` and fields
    of other kinds are drawn but unused: Hyperband samples at random, so this equals a
    conditional space in distribution); every hyperparameter except ``fidelity``.
    """
    def declare(name: str, domain: Domain) -> None:
        if isinstance(domain, Real):
            if domain.low == domain.high:
                hp.Fixed(name, float(domain.low))
            else:
                hp.Float(name, domain.low, domain.high, sampling="log" if domain.log else "linear")
        elif isinstance(domain, Integer):
            if domain.low == domain.high:
                hp.Fixed(name, int(domain.low))
            else:
                hp.Int(name, int(domain.low), int(domain.high), sampling="log" if domain.log else "linear")
        else:
            hp.Choice(name, list(domain.options))

    declare("n_layers", Integer(space.min_layers, space.max_layers))
    for i in range(space.max_layers):
        declare(f"layer{i}.kind", Choice(space.kinds))
        for kind in space.kinds:
            for f, d in space.layers[kind].items():
                declare(layer_param(i, kind, f), d)
    for name, domain in space.hyperparameters.items():
        if name != fidelity:
            declare(name, domain)


def keras_tuner_genome(values: dict[str, Any], space: SearchSpace, rng: np.random.Generator,
                       fidelity: str = "epochs") -> Genome:
    """The genome of a Keras Tuner trial: its sampled values, ``fidelity`` = ``tuner/epochs``, repaired."""
    from evodeap.operators.repair import repair

    layers = []
    for i in range(int(values["n_layers"])):
        kind = values[f"layer{i}.kind"]
        layers.append(layer_class(kind)(**{f: values[layer_param(i, kind, f)] for f in space.layers[kind]}))
    hyper = {name: values[name] for name in space.hyperparameters if name != fidelity}
    hyper[fidelity] = space.hyperparameters[fidelity].clip(int(values["tuner/epochs"]))
    hyper = {name: hyper[name] for name in space.hyperparameters}
    return repair(Genome(layers, hyper, family=space.family), space, rng)


def keras_tuner_seed(seed: int) -> int:
    """The oracle seed for run seed ``seed``: in ``[1, 2³¹ − 1]``, from ``SeedSequence([seed, tag, 1])``.

    Keras Tuner replaces a falsy seed (``0``) by a random one, so run seed 0 must not be passed as is.
    """
    return method_seed(seed, "hyperband")


def keras_tuner_hyperband(space: SearchSpace, fitness: Any, budget: int, seed: int, *, factor: int = 3,
                          max_epochs: int | None = None, directory: str | Path | None = None,
                          on_evaluation: OnEvaluation | None = None,
                          compute_budget: float | None = None) -> list[EvaluationRecord]:
    """Keras Tuner's Hyperband oracle choosing genomes and epoch budgets, for ``budget`` trials.

    A ``keras_tuner.Hyperband`` subclass overrides ``run_trial``: it builds the trial's genome
    (:func:`keras_tuner_genome`; the ``epochs`` gene is Hyperband's ``tuner/epochs``; a promoted
    trial reuses its parent's genome with the larger epoch budget), evaluates
    it with *our* fitness (for Keras: ``evodeap.models.build_model`` + ``KerasFitness`` training and
    scoring on the same data) and reports the first fitness value as the objective
    ``fitness`` (maximised). What equals the other methods: space, model builder, data,
    fitness, failure handling, evaluation seeds, budget counted in trained models (every trial,
    each promotion included). What differs: Hyperband trains most models for fewer epochs
    (``max_epochs / factor^k``), and a promoted trial *continues* from its parent trial's
    trained weights for the epochs from ``tuner/initial_epoch`` to ``tuner/epochs``, as Keras
    Tuner's own ``run_trial`` resumes from the parent's checkpoint (the optimizer's state
    starts afresh). Each trial's weights are kept in memory for its promotions.

    Args:
        space: the search space; it must have an ``epochs`` hyperparameter (the fidelity).
        fitness, budget, seed, on_evaluation, compute_budget: as for :func:`~evodeap.baselines.random_search.random_search`.
        factor: Hyperband's reduction factor η.
        max_epochs: largest epoch budget (default: the ``epochs`` domain's upper bound).
        directory: where Keras Tuner keeps its trial files (default: a temporary directory,
            removed afterwards).

    Raises:
        ConfigError: Keras Tuner is not installed, or the space has no ``epochs`` gene.
    """
    kt = require_peer("keras_tuner")
    if "epochs" not in space.hyperparameters:
        raise ConfigError("keras_tuner_hyperband needs an 'epochs' hyperparameter: it is Hyperband's fidelity")
    epochs_domain = space.hyperparameters["epochs"]
    if max_epochs is None:
        max_epochs = int(max(epochs_domain.options) if isinstance(epochs_domain, Choice) else epochs_domain.high)
    rng = method_rng(seed, "hyperband")
    evaluate = BudgetedEvaluator(fitness, budget, seed, on_evaluation, compute_budget)
    if budget == 0:
        return evaluate.records

    tuner_class = _genome_hyperband_class(kt, space, evaluate, rng)
    hp = kt.HyperParameters()
    declare_keras_tuner_space(hp, space)
    with tempfile.TemporaryDirectory(prefix="evodeap-hyperband-") as scratch:
        tuner = tuner_class(
            hypermodel=None, objective=kt.Objective("fitness", direction="max"), max_epochs=max_epochs,
            factor=factor, hyperband_iterations=None, seed=keras_tuner_seed(seed), hyperparameters=hp,
            tune_new_entries=False, allow_new_entries=False, directory=str(directory or scratch),
            project_name=f"hyperband_seed{seed}", overwrite=True, max_consecutive_failed_trials=budget + 1,
        )
        tuner.oracle.max_trials = budget
        tuner.search(verbose=0)
    return evaluate.records


def _genome_hyperband_class(kt: Any, space: SearchSpace, evaluate: BudgetedEvaluator,
                            rng: np.random.Generator) -> type:
    """A ``keras_tuner.Hyperband`` whose ``run_trial`` evaluates a genome through ``evaluate``."""
    epochs_domain = space.hyperparameters["epochs"]
    genomes: dict[str, Genome] = {}
    weights: dict[str, bytes] = {}

    class GenomeHyperband(kt.Hyperband):
        def run_trial(self, trial: Any, *args: Any, **kwargs: Any) -> dict[str, float]:
            values = trial.hyperparameters.values
            parent = genomes.get(values.get("tuner/trial_id"))
            if parent is None:
                genome = keras_tuner_genome(values, space, rng)
            else:  # a promotion: the parent's genome (repair included) with the larger epoch budget
                epochs = epochs_domain.clip(int(values["tuner/epochs"]))
                genome = Genome(parent, {**parent.hyperparameters, "epochs": epochs}, family=space.family)
            genomes[trial.trial_id] = genome
            start: dict[str, Any] = {"return_weights": True}
            if parent is not None and values["tuner/trial_id"] in weights:
                start.update(weights=weights[values["tuner/trial_id"]], weights_genome=parent.to_dict(),
                             trained_epochs=int(values.get("tuner/initial_epoch", 0)))
            record = evaluate(genome, start, hyperband={k: values[k] for k in values if k.startswith("tuner/")},
                              keras_tuner_trial=trial.trial_id)
            if record.result.weights is not None:
                weights[trial.trial_id], record.result.weights = record.result.weights, None
            if evaluate.left <= 0:  # budget spent: the oracle creates no further trial
                self.oracle.max_trials = len(self.oracle.trials)
            return {"fitness": record.result.fitness[0]}

    return GenomeHyperband
