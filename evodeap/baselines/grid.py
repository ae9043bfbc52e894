"""Grid search: a documented grid over the space, visited in a seeded random order.

See :func:`grid_axes` for the grid and :func:`grid_search` for the order.
"""
from __future__ import annotations

import math
from typing import Any, Sequence

from evodeap.baselines.common import BudgetedEvaluator, OnEvaluation, method_rng
from evodeap.evaluation.evaluator import EvaluationRecord
from evodeap.errors import ConfigError
from evodeap.genome.genes import layer_class
from evodeap.genome.genome import Genome
from evodeap.genome.space import Choice, Domain, Integer, Real, SearchSpace, order_layers


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
        space, fitness, budget, seed, on_evaluation, compute_budget: as for :func:`~evodeap.baselines.random_search.random_search`.
        levels: grid levels per real or integer gene.

    Returns:
        The evaluation records, in evaluation order.
    """
    rng = method_rng(seed, "grid")
    axes = grid_axes(space, levels)
    total = grid_size(axes)
    evaluate = BudgetedEvaluator(fitness, budget, seed, on_evaluation, compute_budget)
    while evaluate.left > 0:
        for index in rng.choice(total, size=min(total, evaluate.left), replace=False):
            if evaluate.left <= 0:
                break
            evaluate(grid_point(space, axes, int(index)), grid_index=int(index))
    return evaluate.records
