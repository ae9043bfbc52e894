"""Multi-fidelity evaluation: successive halving inside each generation.

A generation that needs ``S`` new full-fidelity individuals draws ``λ₀ = S·η^K``
candidates and trains them on the rung budgets (in epochs)

    b_0 = r,  b_k = min(r·η^k, R),  …,  b_K = R

(``r`` = ``min_budget``, ``η`` = ``eta``, ``R`` = ``max_budget``; the last rung is always
``R``). After rung ``k`` the best ``⌊m_k/η⌋`` of its ``m_k`` results go on to rung
``k + 1`` and *continue* training from their rung-``k`` weights (they train
``b_{k+1} − b_k`` more epochs); the rest stop. Candidates are only ever compared with
others at the same rung, and the generation's survivors are the best ``S`` of those that
reached ``R`` (plus candidates whose full-fidelity fitness was already known), so every
member of the population has a full-fidelity fitness and selection compares like with like.

Synchronous mode promotes after a whole rung has finished (reproducible with any number
of workers). Asynchronous mode (ASHA, Li et al. 2020) promotes as soon as a result
enters the top ``⌊n/η⌋`` of the ``n`` results its rung has so far, which keeps workers
busy; the counts per rung are the same once the generation is done, but *which*
candidates are promoted depends on the order results arrive.

Compute per generation (epochs, with continuation) is
``S·(η^K·b_0 + Σ_{k≥1} η^{K−k}·(b_k − b_{k−1}))`` against ``S·R`` without multi-fidelity.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Hashable, Mapping, Sequence

from evodeap.evaluation.budget import Settings
from evodeap.errors import ConfigError


def rung_budgets(min_budget: int, eta: int, max_budget: int) -> tuple[int, ...]:
    """``(r, r·η, r·η², …, R)``: geometric budgets below ``R``, then ``R`` itself."""
    budgets = []
    budget = min_budget
    while budget < max_budget:
        budgets.append(budget)
        budget *= eta
    budgets.append(max_budget)
    return tuple(budgets)


def promotion_count(completed: int, eta: int) -> int:
    """How many of a rung's ``completed`` results go on: ``⌊completed / η⌋``."""
    return completed // eta


def ranked(scores: Mapping[Hashable, float]) -> list[Hashable]:
    """Ids by score, best first; ties keep the mapping's (insertion) order."""
    order = {item: position for position, item in enumerate(scores)}
    return sorted(scores, key=lambda item: (-_finite(scores[item]), order[item]))


def promote(scores: Mapping[Hashable, float], eta: int, promoted: Sequence[Hashable] = (),
            minimum: int = 0) -> list[Hashable]:
    """Ids to promote now from one rung (the successive-halving / ASHA rule).

    With ``n = len(scores)`` results in the rung and ``promoted`` those already sent on,
    the rung may have sent on ``max(⌊n/η⌋, minimum)`` in all: the best not-yet-promoted
    ids fill the remaining places. Called once on a finished rung this is synchronous
    successive halving (the top ``⌊n/η⌋``); called after every result it is ASHA.
    ``minimum`` guarantees enough candidates reach the top rung when duplicates or cached
    genomes left fewer than ``S·η^K`` to train. Non-finite scores rank last; ties are
    broken by the order of ``scores`` (first come first).
    """
    done = set(promoted)
    free = max(promotion_count(len(scores), eta), minimum) - len(done)
    if free <= 0:
        return []
    return [item for item in ranked(scores) if item not in done][:free]


def _finite(value: float) -> float:
    return value if math.isfinite(value) else -math.inf


@dataclass(frozen=True)
class MultiFidelity(Settings):
    """Successive-halving settings of an experiment (``ExperimentConfig.multi_fidelity``).

    Attributes:
        min_budget: ``r``, epochs of the first rung (integer ≥ 1).
        eta: ``η``, the reduction factor (integer ≥ 2).
        max_budget: ``R``, epochs of the last rung: a full training (integer > r).
        asynchronous: promote as soon as a rung allows (ASHA) instead of rung by rung.
    """

    config_name = "multi_fidelity"
    min_budget: int = 1
    eta: int = 3
    max_budget: int = 9
    asynchronous: bool = False

    def validate(self) -> "MultiFidelity":
        for name in ("min_budget", "eta", "max_budget"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int):
                raise ConfigError(f"multi_fidelity.{name} must be an integer, got {value!r}")
        if self.min_budget < 1:
            raise ConfigError(f"multi_fidelity.min_budget must be >= 1, got {self.min_budget}")
        if self.eta < 2:
            raise ConfigError(f"multi_fidelity.eta must be >= 2, got {self.eta}")
        if self.max_budget <= self.min_budget:
            raise ConfigError(f"multi_fidelity.max_budget ({self.max_budget}) must be greater than "
                              f"min_budget ({self.min_budget})")
        if not isinstance(self.asynchronous, bool):
            raise ConfigError(f"multi_fidelity.asynchronous must be true or false, got {self.asynchronous!r}")
        return self

    @property
    def rungs(self) -> tuple[int, ...]:
        return rung_budgets(self.min_budget, self.eta, self.max_budget)

    def candidates(self, survivors: int) -> int:
        """``λ₀ = S·η^K``: candidates to draw for ``survivors`` full-fidelity results."""
        return survivors * self.eta ** (len(self.rungs) - 1)

    def epochs_per_survivor(self) -> float:
        """Epochs trained per full-fidelity survivor (see the module docstring)."""
        rungs, K = self.rungs, len(self.rungs) - 1
        total = self.eta**K * rungs[0] + sum(self.eta ** (K - k) * (rungs[k] - rungs[k - 1]) for k in range(1, K + 1))
        return float(total)



def with_multi_fidelity(config: Any, min_budget: int = 1, eta: int = 3, max_budget: int | None = None,
                        asynchronous: bool = False) -> Any:
    """A copy of ``config`` with multi-fidelity on and the ``epochs`` gene fixed at ``R``.

    ``max_budget`` defaults to the upper bound of the space's ``epochs`` gene.
    """
    import dataclasses

    from evodeap.genome.space import Choice, Integer

    space = config.space
    epochs = space.hyperparameters.get("epochs")
    if max_budget is None:
        if epochs is None:
            raise ConfigError("with_multi_fidelity needs max_budget when the space has no 'epochs' gene")
        max_budget = int(max(epochs.options) if isinstance(epochs, Choice) else epochs.high)
    if epochs is not None:
        space = space.with_domain("epochs", Integer(max_budget, max_budget))
    settings = MultiFidelity(min_budget, eta, max_budget, asynchronous).validate()
    return dataclasses.replace(config, space=space, multi_fidelity=settings.to_dict())
