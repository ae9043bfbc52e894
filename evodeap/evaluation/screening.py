"""Surrogate-assisted evolution: breed many offspring, train only those a surrogate ranks best.

``ExperimentConfig.screening = {"surrogate": "tpe", "factor": F, "min_evaluations": m,
"explore": r, "params": {...}}`` makes each generation draw ``F × k`` candidates for its ``k``
places — ``⌊r·F·k⌋`` of them random genomes of the space in force, the rest bred by selection,
crossover and mutation as configured — and keep ``k`` of them:

1. the surrogate (:data:`evodeap.operators.surrogate.SURROGATES`) is fitted on the run's
   evaluations so far — one per distinct genome, its most-trained result (highest
   ``extra["budget"]``, a full training counting as the highest), on the primary objective
   ``w_0·f_0`` (failures carry the failure value, so they rank last) — using only the
   results at the highest budget that has at least ``m`` of them;
2. candidates are ranked: first those never evaluated (a genome evaluated before is a cache
   hit that costs nothing but fills a place with nothing new), each distinct genome once, by
   the surrogate's score (higher first; ties keep breeding order); then the rest in
   breeding order;
3. the first ``k`` are kept.

With fewer than ``m`` usable evaluations the surrogate is not fitted and step 2 keeps
breeding order (novel first). Everything is deterministic given the candidates and the
evaluations, so a resumed run screens exactly as the uninterrupted one.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np

from evodeap.errors import ConfigError
from evodeap.evaluation.budget import Settings
from evodeap.genome.space import SearchSpace


@dataclass(frozen=True)
class Screening(Settings):
    """Offspring screening settings (``ExperimentConfig.screening``; module docstring).

    Attributes:
        surrogate: a name in :data:`evodeap.operators.surrogate.SURROGATES`.
        factor: ``F``, candidates bred per place (integer ≥ 2).
        min_evaluations: ``m``, evaluations needed before the surrogate is used (integer ≥ 2).
        explore: ``r``, the fraction of candidates drawn at random from the space (in [0, 1)).
        params: the surrogate's parameters (e.g. ``{"gamma": 0.25}`` for ``tpe``).
    """

    config_name = "screening"
    surrogate: str = "tpe"
    factor: int = 8
    min_evaluations: int = 10
    explore: float = 0.0
    params: dict[str, Any] = field(default_factory=dict)

    def validate(self) -> "Screening":
        from evodeap.operators.surrogate import SURROGATES

        for name, low in (("factor", 2), ("min_evaluations", 2)):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= 10_000:
                raise ConfigError(f"screening.{name} must be an integer in [{low}, 10000], got {value!r}")
        if isinstance(self.explore, bool) or not isinstance(self.explore, (int, float)) or not 0 <= self.explore < 1:
            raise ConfigError(f"screening.explore must be a fraction in [0, 1), got {self.explore!r}")
        if not isinstance(self.params, dict):
            raise ConfigError(f"screening.params must be a mapping, got {self.params!r}")
        SURROGATES.get(self.surrogate)  # an unknown name: UnknownNameError listing the known ones
        try:
            self.make(SearchSpace())
        except (TypeError, ValueError) as error:
            raise ConfigError(f"screening: surrogate {self.surrogate!r} refuses params {self.params}: {error}") from None
        return self

    def random_count(self, places: int) -> int:
        """``⌊r·F·k⌋``: the random candidates among ``F·k`` for ``k = places``."""
        return int(self.explore * self.factor * places)

    def make(self, space: SearchSpace) -> Any:
        """A fresh surrogate of ``space``."""
        from evodeap.operators.surrogate import SURROGATES

        return SURROGATES.get(self.surrogate)(space, **self.params)


def _budget_rank(result: Any) -> float:
    budget = result.extra.get("budget") if isinstance(result.extra, dict) else None
    return math.inf if budget is None else float(budget)


def training_data(records: Sequence[Any], weight: float, min_evaluations: int) -> tuple[list, list[float]]:
    """Genomes and primary values ``w_0·f_0`` the surrogate is fitted on (module docstring, step 1)."""
    best: dict[str, Any] = {}
    for record in records:
        if record.cached:
            continue
        key = record.genome.key()
        if key not in best or _budget_rank(record.result) >= _budget_rank(best[key].result):
            best[key] = record
    by_budget: dict[float, list] = {}
    for record in best.values():
        by_budget.setdefault(_budget_rank(record.result), []).append(record)
    for budget in sorted(by_budget, reverse=True):
        chosen = by_budget[budget]
        if len(chosen) >= min_evaluations:
            return [r.genome for r in chosen], [weight * float(r.result.fitness[0]) for r in chosen]
    return [], []


def screen(candidates: list, places: int, settings: Screening, space: SearchSpace, records: Sequence[Any],
           evaluated: Any, weight: float) -> list:
    """The ``places`` candidates to evaluate (module docstring, steps 2–3).

    Args:
        candidates: the bred offspring, in breeding order.
        places: ``k``.
        settings: the screening settings.
        space: the search space in force (the surrogate encodes genomes in it).
        records: the run's evaluations so far (:class:`~evodeap.evaluation.evaluator.EvaluationRecord`).
        evaluated: keys of genomes evaluated before (``key in evaluated``).
        weight: ``w_0``, the DEAP weight of the primary objective.
    """
    novel, seen, rest = [], set(), []
    for position, child in enumerate(candidates):
        key = child.key()
        if key in evaluated or key in seen:
            rest.append(position)
        else:
            seen.add(key)
            novel.append(position)
    genomes, values = training_data(records, weight, settings.min_evaluations)
    if genomes and len(novel) > 1:
        scores = settings.make(space).fit(genomes, values).score([candidates[i] for i in novel])
        order = np.argsort(-np.nan_to_num(scores, nan=-np.inf), kind="stable")
        novel = [novel[i] for i in order]
    return [candidates[i] for i in (novel + rest)[:places]]


__all__ = ["Screening", "screen", "training_data"]
