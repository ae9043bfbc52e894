"""Search-space refinement: narrow every numeric range around the high performers.

For each real or integer gene, with elite values ``θ`` mapped into the *original*
domain's unit space (log space for log genes)::

    lo = min(u(θ_elite)) + ε,   hi = max(u(θ_elite)) − ε

If ``hi − lo`` is below ``min_width`` the range becomes ``min_width`` wide around the
elites' midpoint; it is always kept inside the original domain. Layer-count bounds are
refined the same way over the elites' lengths. Choice genes are left as they are. The
result is a *new* :class:`SearchSpace`; the input is never modified.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Iterable, Sequence

from evodeap.genome import Genome
from evodeap.space import Choice, Domain, Integer, Real, SearchSpace


@dataclass(frozen=True)
class Refinement:
    """One refinement step: the new space and, per gene path, ``(old, new)`` range."""

    space: SearchSpace
    changes: dict[str, tuple[Any, Any]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"changes": {k: [list(o), list(n)] for k, (o, n) in self.changes.items()}}


def unit_interval(values_unit: Sequence[float], epsilon: float, min_width: float) -> tuple[float, float]:
    """``[min + ε, max − ε]`` of unit values, widened to ``min_width`` and clipped to [0, 1]."""
    low, high = min(values_unit) + epsilon, max(values_unit) - epsilon
    if high - low < min_width:
        centre = (min(values_unit) + max(values_unit)) / 2
        width = min(1.0, min_width)
        low = min(max(0.0, centre - width / 2), 1.0 - width)
        high = low + width
    return max(0.0, low), min(1.0, high)


def refine_domain(current: Domain, original: Domain, values: Iterable[Any], epsilon: float,
                  min_width: float) -> Domain:
    """The narrowed domain for one gene (``current`` when there is nothing to narrow)."""
    values = list(values)
    if isinstance(original, Choice) or not values or original.low == original.high:
        return current
    low_u, high_u = unit_interval([original.to_unit(v) for v in values], epsilon, min_width)
    low, high = original.from_unit(low_u), original.from_unit(high_u)
    if isinstance(original, Integer):
        if low == high:  # keep at least two values so the gene can still move
            high = min(original.high, low + 1)
            low = high - 1
        return Integer(int(low), int(high), original.log)
    return Real(float(low), float(high), original.log)


def refine_space(
    space: SearchSpace, elites: Sequence[Genome], original: SearchSpace,
    epsilon: float = 0.02, min_width: float = 0.1,
) -> Refinement:
    """Narrow ``space`` around ``elites`` (the top-q individuals), bounded by ``original``.

    Args:
        space: the current search space.
        elites: high-performing genomes.
        original: the space the run started from (refinement never leaves it).
        epsilon: ε of the formula, in unit (log) space of each original domain.
        min_width: smallest allowed width, in unit space.
    """
    if not elites:
        return Refinement(space)
    changes: dict[str, tuple[Any, Any]] = {}

    def narrowed(path: str, cur: Domain, orig: Domain, values: list) -> Domain:
        new = refine_domain(cur, orig, values, epsilon, min_width)
        if new != cur:
            changes[path] = ((cur.low, cur.high), (new.low, new.high))
        return new

    hyper = {
        name: narrowed(name, dom, original.hyperparameters[name], [g.hyperparameters[name] for g in elites])
        for name, dom in space.hyperparameters.items()
    }
    layers = {}
    for kind, fields in space.layers.items():
        layers[kind] = {
            fname: narrowed(f"{kind}.{fname}", dom, original.layers[kind][fname],
                            [getattr(g, fname) for e in elites for g in e if g.kind == kind])
            for fname, dom in fields.items()
        }
    count = refine_domain(
        Integer(space.min_layers, space.max_layers), Integer(original.min_layers, original.max_layers),
        [len(e) for e in elites], epsilon, min_width,
    )
    min_layers = max(count.low, len(original.family_rules.required), 1)
    max_layers = max(count.high, min_layers)
    if (min_layers, max_layers) != (space.min_layers, space.max_layers):
        changes["layers"] = ((space.min_layers, space.max_layers), (min_layers, max_layers))
    new_space = replace(space, hyperparameters=hyper, layers=layers, min_layers=min_layers, max_layers=max_layers)
    return Refinement(new_space, changes)
