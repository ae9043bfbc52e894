"""Baseline search methods over an evodeap search space, with the same evaluation budget.

Every method here searches the *same* :class:`~evodeap.genome.space.SearchSpace` with the *same*
fitness (the landscape stand-in or :class:`~evodeap.fitness.KerasFitness`, which builds
models with ``evodeap.models.build_model``) and spends exactly ``budget`` evaluations:

* :func:`random_search` — ``budget`` independent draws of ``space.sample_genome``;
* :func:`grid_search` — a documented grid (see :func:`grid_axes`), visited in a seeded
  random order and truncated to the budget;
* :func:`optuna_tpe` — Optuna's TPE sampler over the space, variable-length structure
  included (see :func:`optuna_genome`);
* :func:`keras_tuner_hyperband` — Keras Tuner's Hyperband oracle; every trial it runs
  (every model trained, promoted ones included) is one evaluation of the budget.

Each evaluation goes through :func:`evodeap.evaluation.api.run_evaluation` with the context
``EvalContext(evaluation_seed(seed, 0, i), 0, i)`` for the ``i``-th evaluation, so a
failing model is recorded (``error``, ``invalid`` …) and never stops the search. Each
method returns the evaluations, in evaluation order, as
:class:`~evodeap.engine.loop.EvaluationRecord` (``generation=0, index=i``).

:func:`save_records` writes them into a run-directory database (``results.sqlite``) so
that reports and notebooks read baselines like evolution runs: evaluation ``i`` is stored
as generation ``i // batch``, index ``i % batch``, with ``batch`` the EA's population size,
and one ``generations`` row (``best`` = best so far) per batch.

* :func:`smac_multi_fidelity` — SMAC3's multi-fidelity facade (BOHB-style Hyperband with a
  random-forest model) choosing genomes and epoch budgets.

Optuna, Keras Tuner and SMAC3 are optional (``pip install 'evodeap[peers]'``).
"""
from __future__ import annotations

import math
import tempfile
import warnings
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np

from evodeap.engine.loop import EvaluationRecord
from evodeap.errors import ConfigError
from evodeap.evaluation.api import EvalContext, evaluation_seed, run_evaluation
from evodeap.genome.genes import layer_class
from evodeap.genome.genome import Genome
from evodeap.genome.space import Choice, Domain, Integer, Real, SearchSpace, order_layers

OnEvaluation = Callable[[EvaluationRecord], None]

#: ``SeedSequence`` tags: each method's own random stream, independent of evaluation seeds.
_STREAM_TAGS = {"random": 0xBA5E1, "grid": 0xBA5E2, "optuna": 0xBA5E3, "hyperband": 0xBA5E4, "smac": 0xBA5E5}


def method_rng(seed: int, method: str) -> np.random.Generator:
    """The random stream of ``method`` for run seed ``seed``: ``SeedSequence([seed, tag])``."""
    return np.random.default_rng(np.random.SeedSequence([int(seed), _STREAM_TAGS[method]]))


class _Budget:
    """Evaluates genomes one by one (numbered 0, 1, …) until ``budget`` evaluations — or,
    with ``compute_budget``, that many training FLOPs — have been spent."""

    def __init__(self, fitness: Any, budget: int, seed: int, on_evaluation: OnEvaluation | None,
                 compute_budget: float | None = None) -> None:
        if isinstance(budget, bool) or not isinstance(budget, int) or budget < 0:
            raise ConfigError(f"budget must be an integer >= 0, got {budget!r}")
        if compute_budget is not None and not compute_budget > 0:
            raise ConfigError(f"compute_budget must be > 0 training FLOPs, got {compute_budget!r}")
        self.fitness = fitness
        self.budget = budget
        self.compute_budget = compute_budget
        self.compute = 0.0
        self.seed = int(seed)
        self.on_evaluation = on_evaluation
        self.records: list[EvaluationRecord] = []

    @property
    def left(self) -> int:
        if self.compute_budget is not None and self.compute >= self.compute_budget:
            return 0
        return self.budget - len(self.records)

    def __call__(self, genome: Genome, start: dict[str, Any] | None = None, **extra: Any) -> EvaluationRecord:
        """Evaluate ``genome``; ``start`` holds further :class:`EvalContext` fields (weights …)."""
        from evodeap.evaluation.budget import evaluation_compute

        i = len(self.records)
        context = EvalContext(seed=evaluation_seed(self.seed, 0, i), generation=0, index=i, **(start or {}))
        result = run_evaluation(self.fitness, genome, context)  # failures get the fitness's failure value
        self.compute += evaluation_compute(result)["train_flops"]
        result.extra.update(extra)
        record = EvaluationRecord(0, i, genome, result)
        self.records.append(record)
        if self.on_evaluation is not None:
            self.on_evaluation(record)
        return record


# -- random search ----------------------------------------------------------------------------
def random_search(space: SearchSpace, fitness: Any, budget: int, seed: int, *,
                  on_evaluation: OnEvaluation | None = None,
                  compute_budget: float | None = None) -> list[EvaluationRecord]:
    """Evaluate ``budget`` genomes drawn independently by ``space.sample_genome``.

    The layer count is uniform in ``[min_layers, max_layers]``, kinds uniform over the
    family's kinds (required kinds guaranteed), every gene uniform on its domain (log-uniform
    on log domains). Duplicates are possible and each one counts toward the budget.

    Args:
        space: the search space.
        fitness: ``fitness(genome, context) -> EvalResult``.
        budget: number of evaluations.
        seed: run seed (genome draws and evaluation seeds derive from it).
        on_evaluation: called with each record as soon as it is evaluated.
        compute_budget: also stop once this many training FLOPs (``extra["train_flops"]``
            summed) are spent — the evaluation that crosses it is the last.

    Returns:
        The evaluation records, in evaluation order.
    """
    rng = method_rng(seed, "random")
    evaluate = _Budget(fitness, budget, seed, on_evaluation, compute_budget)
    while evaluate.left > 0:
        evaluate(space.sample_genome(rng))
    return evaluate.records


# -- grid search --------------------------------------------------------------------------------
def quantise(domain: Domain, levels: int) -> list:
    """The grid values of one domain.

    A :class:`Choice` gives all its options. A :class:`Real` or :class:`Integer` is cut into
    ``levels`` equal cells of the unit interval (log scale for log domains) and takes the
    value at each cell centre, ``from_unit((k + ½) / levels)`` for ``k = 0 … levels − 1``,
    so the grid avoids the (often degenerate) range ends; an integer domain with at most
    ``levels`` values gives all of them; duplicates after rounding are dropped.
    """
    if isinstance(domain, Choice):
        return list(domain.options)
    if isinstance(domain, Integer) and domain.size <= levels:
        return list(range(int(domain.low), int(domain.high) + 1))
    if isinstance(domain, Real) and domain.low == domain.high:
        return [float(domain.low)]
    values = [domain.from_unit((k + 0.5) / levels) for k in range(levels)]
    return list(dict.fromkeys(values))


def structure_template(space: SearchSpace, n_layers: int) -> list[str]:
    """The layer kinds of the grid's fixed structure with ``n_layers`` layers.

    The family's :meth:`~evodeap.kinds.families.Family.template`: one kind per stage (the
    stage's first required kind, else its first), spread as evenly as possible over the
    stages in stage order, earlier stages taking the remainder: stage ``s`` of ``S`` gets
    ``⌊n/S⌋ + [s < n mod S]`` layers (``cnn``, 5 layers: 3 conv, 2 dense; ``cnn+rnn``,
    4 layers: 2 conv, 1 rnn, 1 dense). No dropout layers (the ``dropout``
    hyperparameter still applies). The required kinds are the first stages of every
    built-in family, so the template always holds them.
    """
    return space.family_rules.template(n_layers)


def grid_axes(space: SearchSpace, levels: int = 3) -> list[tuple[str, list]]:
    """The axes of the grid: ``(name, values)`` pairs; the grid is their Cartesian product.

    Axes, in order: ``n_layers`` (every count in ``[min_layers, max_layers]``); one axis per
    field of every stage's kind (``Family.representatives``), ``"<kind>.<field>"`` (all layers of a
    kind in a grid point share these values); one axis per hyperparameter. Values come from
    :func:`quantise` with ``levels`` levels.
    """
    if isinstance(levels, bool) or not isinstance(levels, int) or levels < 1:
        raise ConfigError(f"grid levels must be an integer >= 1, got {levels!r}")
    axes: list[tuple[str, list]] = [("n_layers", list(range(space.min_layers, space.max_layers + 1)))]
    for kind in space.family_rules.representatives():
        axes += [(f"{kind}.{f}", quantise(d, levels)) for f, d in space.layers[kind].items()]
    axes += [(name, quantise(d, levels)) for name, d in space.hyperparameters.items()]
    return axes


def grid_size(axes: Sequence[tuple[str, list]]) -> int:
    """Number of grid points, ``∏ |values|``."""
    return math.prod(len(values) for _, values in axes)


def grid_point(space: SearchSpace, axes: Sequence[tuple[str, list]], index: int) -> Genome:
    """Grid point number ``index`` (mixed radix, the last axis varying fastest) as a genome."""
    chosen: dict[str, Any] = {}
    for name, values in reversed(axes):
        index, digit = divmod(index, len(values))
        chosen[name] = values[digit]
    layers = []
    for kind in structure_template(space, chosen["n_layers"]):
        fields = {f: chosen[f"{kind}.{f}"] for f in space.layers[kind]}
        layers.append(layer_class(kind)(**fields))
    hyper = {name: chosen[name] for name in space.hyperparameters}
    return Genome(order_layers(layers, space.family_rules), hyper, family=space.family)


def grid_points(space: SearchSpace, levels: int = 3) -> list[Genome]:
    """Every grid point, in lexicographic order of :func:`grid_axes` (for small grids)."""
    axes = grid_axes(space, levels)
    return [grid_point(space, axes, i) for i in range(grid_size(axes))]


def grid_search(space: SearchSpace, fitness: Any, budget: int, seed: int, *, levels: int = 3,
                on_evaluation: OnEvaluation | None = None,
                compute_budget: float | None = None) -> list[EvaluationRecord]:
    """Evaluate ``budget`` distinct points of the grid of :func:`grid_axes`, in a seeded random order.

    The grid is the Cartesian product of: the layer count; a fixed structure per layer count
    (:func:`structure_template`) whose layers of one kind share quantised field values; and
    the quantised hyperparameters (:func:`quantise`, ``levels`` levels per numeric gene). A
    full grid is far larger than any budget (the default ``cnn`` space at 3 levels has
    787,320 points), so the points are drawn without replacement in an order fixed by
    ``seed`` and the list is cut at ``budget`` — an unbiased subset of the grid rather than a
    sweep that only ever varies the last axes. A grid smaller than the budget is evaluated
    completely, then again in a new order until the budget is spent (a repeated point is
    re-evaluated with a new evaluation seed).

    Args:
        space, fitness, budget, seed, on_evaluation, compute_budget: as for :func:`random_search`.
        levels: grid levels per real or integer gene.

    Returns:
        The evaluation records, in evaluation order.
    """
    rng = method_rng(seed, "grid")
    axes = grid_axes(space, levels)
    total = grid_size(axes)
    evaluate = _Budget(fitness, budget, seed, on_evaluation, compute_budget)
    while evaluate.left > 0:
        for index in rng.choice(total, size=min(total, evaluate.left), replace=False):
            if evaluate.left <= 0:
                break
            evaluate(grid_point(space, axes, int(index)), grid_index=int(index))
    return evaluate.records


# -- optional peers ---------------------------------------------------------------------------
def _require_peer(module: str) -> Any:
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError:
        raise ConfigError(f"this baseline needs {module}: pip install 'evodeap[peers]'") from None


def _layer_param(position: int, kind: str, field: str) -> str:
    return f"layer{position}.{kind}.{field}"


def optuna_distribution(domain: Domain) -> Any:
    """The Optuna distribution of a domain: ``Float``/``Int`` (``log`` kept) or ``Categorical``."""
    optuna = _require_peer("optuna")
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
        fields = {f: suggest(trial, _layer_param(i, kind, f), d) for f, d in space.layers[kind].items()}
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
        space, fitness, budget, seed, on_evaluation, compute_budget: as for :func:`random_search`.
        **sampler_params: further ``optuna.samplers.TPESampler`` arguments
            (e.g. ``n_startup_trials``, ``multivariate``).

    Raises:
        ConfigError: Optuna is not installed.
    """
    optuna = _require_peer("optuna")
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    rng = method_rng(seed, "optuna")
    sampler = optuna.samplers.TPESampler(seed=int(seed), **sampler_params)
    study = optuna.create_study(direction="maximize", sampler=sampler)
    evaluate = _Budget(fitness, budget, seed, on_evaluation, compute_budget)
    while evaluate.left > 0:
        trial = study.ask()
        record = evaluate(optuna_genome(trial, space, rng), optuna_trial=trial.number)
        study.tell(trial, record.result.fitness[0])
    return evaluate.records


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
                declare(_layer_param(i, kind, f), d)
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
        layers.append(layer_class(kind)(**{f: values[_layer_param(i, kind, f)] for f in space.layers[kind]}))
    hyper = {name: values[name] for name in space.hyperparameters if name != fidelity}
    hyper[fidelity] = space.hyperparameters[fidelity].clip(int(values["tuner/epochs"]))
    hyper = {name: hyper[name] for name in space.hyperparameters}
    return repair(Genome(layers, hyper, family=space.family), space, rng)


def keras_tuner_seed(seed: int) -> int:
    """The oracle seed for run seed ``seed``: in ``[1, 2³¹ − 1]``, from ``SeedSequence([seed, tag])``.

    Keras Tuner replaces a falsy seed (``0``) by a random one, so run seed 0 must not be passed as is.
    """
    state = np.random.SeedSequence([int(seed), _STREAM_TAGS["hyperband"], 1]).generate_state(1)[0]
    return int(state) % (2**31 - 1) + 1


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
        fitness, budget, seed, on_evaluation, compute_budget: as for :func:`random_search`.
        factor: Hyperband's reduction factor η.
        max_epochs: largest epoch budget (default: the ``epochs`` domain's upper bound).
        directory: where Keras Tuner keeps its trial files (default: a temporary directory,
            removed afterwards).

    Raises:
        ConfigError: Keras Tuner is not installed, or the space has no ``epochs`` gene.
    """
    kt = _require_peer("keras_tuner")
    if "epochs" not in space.hyperparameters:
        raise ConfigError("keras_tuner_hyperband needs an 'epochs' hyperparameter: it is Hyperband's fidelity")
    epochs_domain = space.hyperparameters["epochs"]
    if max_epochs is None:
        max_epochs = int(max(epochs_domain.options) if isinstance(epochs_domain, Choice) else epochs_domain.high)
    rng = method_rng(seed, "hyperband")
    evaluate = _Budget(fitness, budget, seed, on_evaluation, compute_budget)
    if budget == 0:
        return evaluate.records

    genomes: dict[str, Genome] = {}
    weights: dict[str, bytes] = {}

    class _GenomeHyperband(kt.Hyperband):
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

    hp = kt.HyperParameters()
    declare_keras_tuner_space(hp, space)
    with tempfile.TemporaryDirectory(prefix="evodeap-hyperband-") as scratch:
        tuner = _GenomeHyperband(
            hypermodel=None, objective=kt.Objective("fitness", direction="max"), max_epochs=max_epochs,
            factor=factor, hyperband_iterations=None, seed=keras_tuner_seed(seed), hyperparameters=hp,
            tune_new_entries=False, allow_new_entries=False, directory=str(directory or scratch),
            project_name=f"hyperband_seed{seed}", overwrite=True, max_consecutive_failed_trials=budget + 1,
        )
        tuner.oracle.max_trials = budget
        tuner.search(verbose=0)
    return evaluate.records


def smac_configspace(space: SearchSpace, seed: int, fidelity: str = "epochs") -> Any:
    """The space as a conditional ``ConfigSpace.ConfigurationSpace`` (all but the fidelity gene).

    ``n_layers`` in ``[min_layers, max_layers]``; for every position ``i < max_layers`` a kind
    ``layer<i>.kind``, active when ``n_layers > i``; the fields of every kind
    ``layer<i>.<kind>.<field>``, active when position ``i`` has that kind; every hyperparameter
    except ``fidelity``. Log domains stay log; a one-value domain is a ``Constant``.
    """
    cs_mod = _require_peer("ConfigSpace")

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
                field = declare(_layer_param(i, k, f), d)
                cs.add(field)
                if len(space.kinds) > 1:
                    cs.add(cs_mod.EqualsCondition(field, kind, k))
    for name, domain in space.hyperparameters.items():
        if name != fidelity:
            cs.add(declare(name, domain))
    return cs


def smac_genome(values: dict[str, Any], budget: float, space: SearchSpace, rng: np.random.Generator,
                fidelity: str = "epochs") -> Genome:
    """The genome of a SMAC configuration (its active values) at ``budget`` epochs, repaired."""
    from evodeap.operators.repair import repair

    layers = []
    for i in range(int(values["n_layers"])):
        kind = values[f"layer{i}.kind"]
        layers.append(layer_class(kind)(**{f: _plain(values[_layer_param(i, kind, f)]) for f in space.layers[kind]}))
    hyper = {name: _plain(values[name]) for name in space.hyperparameters if name != fidelity}
    hyper[fidelity] = space.hyperparameters[fidelity].clip(int(round(budget)))
    hyper = {name: hyper[name] for name in space.hyperparameters}
    return repair(Genome(layers, hyper, family=space.family), space, rng)


def _plain(value: Any) -> Any:
    """A ConfigSpace value as a plain Python scalar (NumPy scalars become ``int``/``float``/``str``)."""
    return value.item() if isinstance(value, np.generic) else value


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
    :func:`keras_tuner_hyperband`, a configuration SMAC asks for again at a larger budget
    *continues* from its own weights at the largest budget trained so far (SMAC itself
    leaves warm starts to the target function); every training counts toward the budget.

    Args:
        space: the search space; it must have an ``epochs`` hyperparameter (the fidelity).
        fitness, budget, seed, on_evaluation, compute_budget: as for :func:`random_search`.
        eta: Hyperband's reduction factor η.
        min_epochs, max_epochs: the smallest and largest epoch budget (default: the
            ``epochs`` domain's upper bound).
        expected_trials: the trials SMAC plans for (default: ``budget``).

    Raises:
        ConfigError: SMAC3 is not installed, or the space has no ``epochs`` gene.
    """
    _require_peer("smac")
    from smac import MultiFidelityFacade, Scenario
    from smac.runhistory.dataclasses import TrialValue

    if "epochs" not in space.hyperparameters:
        raise ConfigError("smac_multi_fidelity needs an 'epochs' hyperparameter: it is the fidelity")
    epochs_domain = space.hyperparameters["epochs"]
    if max_epochs is None:
        max_epochs = int(max(epochs_domain.options) if isinstance(epochs_domain, Choice) else epochs_domain.high)
    if not 1 <= min_epochs < max_epochs:
        raise ConfigError(f"smac_multi_fidelity needs 1 <= min_epochs < max_epochs, got {min_epochs}, {max_epochs}")
    rng = method_rng(seed, "smac")
    evaluate = _Budget(fitness, budget, seed, on_evaluation, compute_budget)
    if budget == 0:
        return evaluate.records
    trained: dict[Any, tuple[int, bytes, Genome]] = {}  # configuration -> (epochs, weights, genome)

    def target(config: Any, seed: int = 0, budget: float | None = None) -> float:  # never called: ask-and-tell
        raise RuntimeError("smac_multi_fidelity evaluates through ask-and-tell")

    with tempfile.TemporaryDirectory(prefix="evodeap-smac-") as scratch:
        scenario = Scenario(smac_configspace(space, seed), deterministic=True, n_trials=int(expected_trials or budget),
                            min_budget=min_epochs, max_budget=max_epochs, seed=int(seed),
                            output_directory=Path(scratch) / "smac", name=f"seed{seed}")
        smac = MultiFidelityFacade(scenario, target, intensifier=MultiFidelityFacade.get_intensifier(scenario, eta=eta),
                                   overwrite=True, logging_level=False)
        while evaluate.left > 0:
            with warnings.catch_warnings():  # SMAC's model averages empty slices early in a run
                warnings.simplefilter("ignore", RuntimeWarning)
                info = smac.ask()
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
            value = record.result.fitness[0]
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                smac.tell(info, TrialValue(cost=-float(value) if math.isfinite(value) else math.inf))
    return evaluate.records


# -- running and storing ------------------------------------------------------------------------
METHODS: dict[str, Callable[..., list[EvaluationRecord]]] = {
    "random": random_search,
    "grid": grid_search,
    "optuna_tpe": optuna_tpe,
    "keras_tuner_hyperband": keras_tuner_hyperband,
    "smac_multi_fidelity": smac_multi_fidelity,
}
#: Methods that need ``evodeap[peers]``.
PEERS = ("optuna_tpe", "keras_tuner_hyperband", "smac_multi_fidelity")


def run_baseline(method: str, space: SearchSpace, fitness: Any, budget: int, seed: int,
                 **params: Any) -> list[EvaluationRecord]:
    """Run the baseline called ``method`` (a key of :data:`METHODS`)."""
    if method not in METHODS:
        raise ConfigError(f"unknown baseline {method!r}; one of {', '.join(METHODS)}")
    return METHODS[method](space, fitness, budget, seed, **params)


def best_so_far_curve(records: Sequence[EvaluationRecord]) -> np.ndarray:
    """``b_i = max(f_0, …, f_i)`` over the first fitness value, in evaluation order."""
    values = np.array([r.result.fitness[0] for r in records], dtype=float)
    return np.maximum.accumulate(values) if values.size else values


def save_records(path: str | Path, records: Sequence[EvaluationRecord], *, name: str, seed: int,
                 space: SearchSpace, batch: int, config: dict | None = None) -> Path:
    """Write ``records`` into ``path/results.sqlite`` as a run-directory database.

    Evaluation ``i`` is stored as generation ``i // batch``, index ``i % batch``; each batch
    gets a ``generations`` row with ``nevals``, ``failures``, the batch's ``mean`` and ``max``,
    and the ``best`` so far with its genome key ``best_key`` (so ``queries.best_per_generation`` and reports read it like an EA run whose
    population size is ``batch``). The ``runs`` row holds ``name``, ``seed`` and ``config``.

    Returns:
        The database path.
    """
    from evodeap.results.storage import ResultsDB

    if batch < 1:
        raise ConfigError(f"batch must be >= 1, got {batch}")
    directory = Path(path)
    directory.mkdir(parents=True, exist_ok=True)
    db_path = directory / "results.sqlite"
    with ResultsDB.create(db_path, name, seed, config or {"method": name}) as db:
        best, best_key = -math.inf, ""
        for start in range(0, len(records), batch):
            chunk = records[start:start + batch]
            for offset, record in enumerate(chunk):
                db.add_evaluation(start // batch, offset, record.genome, record.result)
                if record.result.fitness[0] > best:
                    best, best_key = record.result.fitness[0], record.genome.key()
            values = [r.result.fitness[0] for r in chunk]
            db.add_generation(start // batch, {
                "generation": start // batch, "nevals": len(chunk),
                "failures": sum(not r.result.ok for r in chunk),
                "best": best, "best_key": best_key, "mean": float(np.mean(values)), "max": max(values),
            }, space.to_dict())
        db.set_status("finished")
    return db_path


__all__ = [
    "METHODS", "PEERS", "best_so_far_curve", "declare_keras_tuner_space", "grid_axes", "grid_point",
    "grid_points", "grid_search", "grid_size", "keras_tuner_genome", "keras_tuner_hyperband", "keras_tuner_seed",
    "method_rng",
    "optuna_distribution", "optuna_genome", "suggest", "optuna_tpe", "quantise", "random_search", "run_baseline",
    "save_records", "structure_template",
]
