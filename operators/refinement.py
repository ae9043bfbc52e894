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

from evodeap.genome.genome import Genome
from evodeap.genome.space import Choice, Domain, Integer, Real, SearchSpace


@dataclass(frozen=True)
class Refinement:
    """One refinement step: the new space and, per gene path, ``(old, new)`` range."""

    space: SearchSpace
    changes: dict[str, tuple[Any, Any]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"changes": {k: [list(o), list(n)] for k, (o, n) in self.changes.items()}}


def unit_interval(values_unit: Sequence[float], epsilon: float, min_width: float) -> tuple[float, float]:
    """``[min + ε, max − ε]`` of unit values, widened to ``min_width`` and clipped to [0, 1].

    A widened interval that reaches an end of [0, 1] is shifted inside it and ends at
    exactly 0.0 or 1.0 (no rounding error from ``low + width``).
    """
    low, high = min(values_unit) + epsilon, max(values_unit) - epsilon
    if high - low < min_width:
        centre = (min(values_unit) + max(values_unit)) / 2
        width = min(1.0, min_width)
        if centre - width / 2 <= 0.0:
            return 0.0, width
        if centre + width / 2 >= 1.0:
            return 1.0 - width, 1.0
        return centre - width / 2, centre + width / 2
    return max(0.0, low), min(1.0, high)


def exact_bound(original: Domain, u: float, values: Sequence[Any], values_unit: Sequence[float],
                side: str = "low") -> Any:
    """The domain value at unit position ``u``, exactly where it can be: a member's own value
    where ``u`` is that value's unit position (the smallest such value for the ``low``
    side, the largest for ``high``, so every member stays inside), else ``original.low`` at
    ``u ≤ 0``, ``original.high`` at ``u ≥ 1``, ``original.from_unit(u)`` otherwise.

    ``from_unit(to_unit(v))`` is not always ``v`` in floating point (in log space
    ``exp(log(1e-4)) = 1.0000000000000009e-4``), and distinct values can share a unit
    position (``to_unit(1.0000000000000002e-4) == to_unit(1e-4) == 0``), so a bound that
    should equal an original bound or a member's value is taken from it rather than
    recomputed.
    """
    matches = [value for value, value_u in zip(values, values_unit) if value_u == u]
    if matches:
        return min(matches) if side == "low" else max(matches)
    if u <= 0.0:
        return original.low
    if u >= 1.0:
        return original.high
    return original.from_unit(u)


def refine_domain(current: Domain, original: Domain, values: Iterable[Any], epsilon: float,
                  min_width: float) -> Domain:
    """The narrowed domain for one gene (``current`` when there is nothing to narrow).

    Bounds are exact (see :func:`exact_bound`): a refined bound that equals an original
    bound or a member's value is that number.
    """
    values = list(values)
    if isinstance(original, Choice) or not values or original.low == original.high:
        return current
    values_unit = [original.to_unit(v) for v in values]
    low_u, high_u = unit_interval(values_unit, epsilon, min_width)
    low = exact_bound(original, low_u, values, values_unit, "low")
    high = exact_bound(original, high_u, values, values_unit, "high")
    if isinstance(original, Integer):
        low, high = int(low), int(high)
        if low == high:  # keep at least two values so the gene can still move
            high = min(original.high, low + 1)
            low = high - 1
        return Integer(low, high, original.log)
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
