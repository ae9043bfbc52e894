"""What every baseline shares: its random stream, the budgeted evaluator, records and storage.

Every method searches the *same* :class:`~evodeap.genome.space.SearchSpace` with the *same*
fitness and spends its budget through one :class:`BudgetedEvaluator`:

* ``budget`` evaluations at most, numbered ``i = 0, 1, …``; evaluation ``i`` runs through
  :func:`evodeap.evaluation.api.run_evaluation` with the context
  ``EvalContext(evaluation_seed(seed, 0, i), 0, i)``, so a failing model is recorded
  (``error``, ``invalid`` …) and never stops the search;
* with ``compute_budget = C``, also at most ``C`` cost units: the cost of an evaluation is
  the ``train_flops`` its :class:`~evodeap.evaluation.api.EvalResult` reports (training FLOPs
  for Keras; a benchmark fitness reports its own unit, seconds or epochs, in the same field).
  Writing ``c_i`` for that cost, the search stops before evaluation ``n`` as soon as
  ``c_0 + … + c_{n−1} ≥ C`` — the evaluation that crosses ``C`` is the last one;
* every record's ``extra["compute_total"]`` holds ``c_0 + … + c_i``, the compute spent so far.

Each method returns its evaluations, in order, as :class:`~evodeap.engine.loop.EvaluationRecord`
(``generation=0, index=i``). :func:`save_records` writes them into a run-directory database so
reports and notebooks read baselines like evolution runs.
"""
from __future__ import annotations

import importlib
import math
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np

from evodeap.evaluation.evaluator import EvaluationRecord
from evodeap.errors import ConfigError
from evodeap.evaluation.api import EvalContext, evaluation_seed, run_evaluation
from evodeap.evaluation.budget import evaluation_compute
from evodeap.genome.genes import layer_class
from evodeap.genome.genome import Genome
from evodeap.genome.space import Choice, Domain, Integer, SearchSpace

OnEvaluation = Callable[[EvaluationRecord], None]

#: ``SeedSequence`` tags: each method's own random stream, independent of evaluation seeds.
STREAM_TAGS = {"random": 0xBA5E1, "grid": 0xBA5E2, "optuna": 0xBA5E3, "hyperband": 0xBA5E4, "smac": 0xBA5E5,
               "regularized_evolution": 0xBA5E6, "nevergrad": 0xBA5E7, "dehb": 0xBA5E8}


def method_rng(seed: int, method: str) -> np.random.Generator:
    """The random stream of ``method`` for run seed ``seed``: ``SeedSequence([seed, tag])``."""
    return np.random.default_rng(np.random.SeedSequence([int(seed), STREAM_TAGS[method]]))


def method_seed(seed: int, method: str, bits: int = 31) -> int:
    """A seed in ``[1, 2^bits − 1]`` for a peer library, from ``SeedSequence([seed, tag, 1])``
    (never 0: some libraries replace a falsy seed by a random one)."""
    state = np.random.SeedSequence([int(seed), STREAM_TAGS[method], 1]).generate_state(1)[0]
    return int(state) % (2**bits - 1) + 1


class BudgetedEvaluator:
    """Evaluates genomes one by one (numbered 0, 1, …) until ``budget`` evaluations — or, with
    ``compute_budget``, that many cost units (``train_flops`` summed) — have been spent."""

    def __init__(self, fitness: Any, budget: int, seed: int, on_evaluation: OnEvaluation | None,
                 compute_budget: float | None = None) -> None:
        if isinstance(budget, bool) or not isinstance(budget, int) or budget < 0:
            raise ConfigError(f"budget must be an integer >= 0, got {budget!r}")
        if compute_budget is not None and not compute_budget > 0:
            raise ConfigError(f"compute_budget must be > 0 cost units (train_flops), got {compute_budget!r}")
        self.fitness = fitness
        self.budget = budget
        self.compute_budget = compute_budget
        self.compute = 0.0
        self.seed = int(seed)
        self.on_evaluation = on_evaluation
        self.records: list[EvaluationRecord] = []

    @property
    def left(self) -> int:
        """Evaluations still allowed (0 once the compute budget is spent)."""
        if self.compute_budget is not None and self.compute >= self.compute_budget:
            return 0
        return self.budget - len(self.records)

    def __call__(self, genome: Genome, start: dict[str, Any] | None = None, **extra: Any) -> EvaluationRecord:
        """Evaluate ``genome``; ``start`` holds further :class:`EvalContext` fields (weights …);
        ``extra`` goes into the result's ``extra`` (what the method wants to remember)."""
        if self.left <= 0:
            raise RuntimeError("the baseline's budget is spent; no evaluation may follow")
        i = len(self.records)
        context = EvalContext(seed=evaluation_seed(self.seed, 0, i), generation=0, index=i, **(start or {}))
        result = run_evaluation(self.fitness, genome, context)  # failures get the fitness's failure value
        self.compute += evaluation_compute(result)["train_flops"]
        result.extra.update(extra)
        result.extra["compute_total"] = self.compute
        record = EvaluationRecord(0, i, genome, result)
        self.records.append(record)
        if self.on_evaluation is not None:
            self.on_evaluation(record)
        return record


def require_peer(module: str) -> Any:
    """Import the optional peer library ``module``; a :class:`ConfigError` naming the extra if absent."""
    try:
        return importlib.import_module(module)
    except ImportError:
        raise ConfigError(f"this baseline needs {module}: pip install 'evodeap[peers]'") from None


def layer_param(position: int, kind: str, field: str) -> str:
    """The flat parameter name of ``field`` of a ``kind`` layer at ``position``: ``layer<i>.<kind>.<field>``."""
    return f"layer{position}.{kind}.{field}"


def plain(value: Any) -> Any:
    """A library's value as a plain Python scalar (NumPy scalars become ``int``/``float``/``str``)."""
    return value.item() if isinstance(value, np.generic) else value


def fidelity_range(space: SearchSpace, method: str, min_epochs: int, max_epochs: int | None) -> tuple[int, int]:
    """``(min_epochs, max_epochs)`` of a multi-fidelity method, the epochs gene being the fidelity.

    ``max_epochs`` defaults to the ``epochs`` domain's largest value.

    Raises:
        ConfigError: the space has no ``epochs`` gene, or not ``1 <= min_epochs < max_epochs``.
    """
    if "epochs" not in space.hyperparameters:
        raise ConfigError(f"{method} needs an 'epochs' hyperparameter: it is the fidelity")
    domain = space.hyperparameters["epochs"]
    if max_epochs is None:
        max_epochs = int(max(domain.options) if isinstance(domain, Choice) else domain.high)
    if not 1 <= min_epochs < max_epochs:
        raise ConfigError(f"{method} needs 1 <= min_epochs < max_epochs, got {min_epochs}, {max_epochs}")
    return int(min_epochs), int(max_epochs)


def flat_parameters(space: SearchSpace, fidelity: str | None = None) -> list[tuple[str, Domain]]:
    """The space as a flat list of ``(name, domain)``, for libraries without conditional spaces.

    ``n_layers`` in ``[min_layers, max_layers]``; for every position ``i < max_layers`` a kind
    ``layer<i>.kind`` and the fields of every kind ``layer<i>.<kind>.<field>``; every
    hyperparameter except ``fidelity``. :func:`flat_genome` reads only the active ones (positions
    below ``n_layers``, the fields of each position's kind): the others are ignored.
    """
    params: list[tuple[str, Domain]] = [("n_layers", Integer(space.min_layers, space.max_layers))]
    for i in range(space.max_layers):
        params.append((f"layer{i}.kind", Choice(space.kinds)))
        for kind in space.kinds:
            params += [(layer_param(i, kind, f), d) for f, d in space.layers[kind].items()]
    params += [(name, d) for name, d in space.hyperparameters.items() if name != fidelity]
    return params


def flat_genome(values: dict[str, Any], space: SearchSpace, rng: np.random.Generator,
                fidelity: tuple[str, int] | None = None) -> Genome:
    """The genome of flat ``values`` (see :func:`flat_parameters`), repaired into the space.

    Layers: the first ``n_layers`` positions, each of its ``layer<i>.kind`` with that kind's
    fields. Hyperparameters: their values, and ``fidelity = (name, value)`` (clipped into its
    domain) when given. :func:`evodeap.operators.repair.repair` then restores the family's stage
    order and adds a required kind that is missing (drawn from ``rng``).
    """
    from evodeap.operators.repair import repair

    layers = []
    for i in range(int(values["n_layers"])):
        kind = values[f"layer{i}.kind"]
        layers.append(layer_class(kind)(**{f: plain(values[layer_param(i, kind, f)]) for f in space.layers[kind]}))
    hyper = {name: plain(values[name]) for name in space.hyperparameters if name in values}
    if fidelity is not None:
        name, value = fidelity
        hyper[name] = space.hyperparameters[name].clip(int(round(value)))
    hyper = {name: hyper[name] for name in space.hyperparameters if name in hyper}
    return repair(Genome(layers, hyper, family=space.family), space, rng)


def finite_loss(value: float, failure: float = 1e12) -> float:
    """``−value`` (minimised by a peer library), or ``failure`` when ``value`` is not finite."""
    return -float(value) if math.isfinite(value) else failure


# -- records --------------------------------------------------------------------------------------
def best_so_far_curve(records: Sequence[EvaluationRecord]) -> np.ndarray:
    """``b_i = max(f_0, …, f_i)`` over the first fitness value, in evaluation order."""
    values = np.array([r.result.fitness[0] for r in records], dtype=float)
    return np.maximum.accumulate(values) if values.size else values


def save_records(path: str | Path, records: Sequence[EvaluationRecord], *, name: str, seed: int,
                 space: SearchSpace, batch: int, config: dict | None = None) -> Path:
    """Write ``records`` into ``path/results.sqlite`` as a run-directory database.

    Evaluation ``i`` is stored as generation ``i // batch``, index ``i % batch``; each batch
    gets a ``generations`` row with ``nevals``, ``failures``, the batch's ``mean`` and ``max``,
    and the ``best`` so far with its genome key ``best_key`` (so ``storage.best_per_generation``
    and reports read it like an EA run whose population size is ``batch``). The ``runs`` row
    holds ``name``, ``seed`` and ``config``.

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
