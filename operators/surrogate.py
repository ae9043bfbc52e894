"""Surrogates: cheap models fitted on a run's evaluations that rank candidate genomes.

Surrogate-assisted evolution (the engine's ``screening`` option, :mod:`evodeap.engine.screening`)
breeds ``F × k`` candidate offspring, ranks them with a surrogate fitted on every evaluation
so far and trains only the ``k`` best — what Bayesian optimisation does for TPE and SMAC,
inside a genetic algorithm. A surrogate is registered in :data:`SURROGATES` as
``factory(space, **params) -> surrogate`` with ``surrogate.fit(genomes, values)`` (values
maximised) and ``surrogate.score(genomes) -> np.ndarray`` (higher: more promising).

``tpe`` — the Parzen-estimator ratio of TPE (Bergstra et al. 2011) on the columns of
:class:`evodeap.genome.encoding.GenomeEncoding`. The ``n`` evaluations are split into the
best ``n_good = min(25, max(2, ⌈γ·n⌉))`` (``good``) and the rest (``bad``); each group ``G``
gives a density — by default, as Optuna's default TPE, a product of one-column mixtures
(univariate), each with a uniform prior component::

    p_G(x) = Π_d (π_d + Σ_{i∈G_d} k_d(x_d, x_{i,d})) / (|G_d| + 1)

(``G_d``: the members of ``G`` whose column ``d`` applies; a column that does not apply to
``x`` is left out), or with ``multivariate=True`` one mixture of product kernels::

    p_G(x) = (π(x) + Σ_{i∈G} Π_d k_d(x_d, x_{i,d})) / (|G| + 1),   π(x) = Π_d π_d

with, per column ``d``, ``π_d = 1`` (numeric, on [0, 1]) or ``1/c_d`` (``c_d`` categories),
a Gaussian kernel ``k_d = φ((x_d − x_{i,d}) / h_d) / h_d`` on numeric columns, bandwidth
``h_d = clip(1.06·σ_{G,d}·|G|^(−1/5), h_min, 0.5)`` (Scott's rule on the group's values, σ
their standard deviation; ``h_min = 0.05``), and the Aitchison–Aitken kernel
``k_d = 1 − λ`` if equal else ``λ / (c_d − 1)`` on categorical ones (``λ = 0.2``). In the
multivariate form a column that is ``NaN`` (not applicable) in either genome contributes
``π_d`` to that pair. The score is ``log p_good(x) − log p_bad(x)``: TPE's
expected-improvement ordering. On 300 random LCBench and NAS-Bench-201 configurations the
univariate ratio fitted on 100 ranked 100 held-out ones with Spearman ρ ≈ 0.50 and 0.69,
the multivariate one with ρ ≈ 0.35 and 0.44 (``experiments/bench_surrogate.py``).
"""
from __future__ import annotations

import math
from typing import Any, Callable, Sequence

import numpy as np

from evodeap.genome.encoding import GenomeEncoding
from evodeap.genome.genome import Genome
from evodeap.genome.space import SearchSpace
from evodeap.registry import Registry

#: name -> ``factory(space, **params) -> surrogate`` (see the module docstring).
SURROGATES: Registry[Callable[..., Any]] = Registry("surrogate")


def good_count(n: int, gamma: float) -> int:
    """``min(25, max(2, ⌈γ·n⌉))``, at most ``n − 1`` (the bad group is never empty)."""
    return max(1, min(25, max(2, math.ceil(gamma * n)), n - 1))


def _log_kernels(xd: np.ndarray, pd: np.ndarray, categories: int, bandwidth: float, min_bandwidth: float,
                 flip: float) -> np.ndarray:
    """``log k_d(x_d, p_d)`` for every pair of one column (``NaN`` where either is ``NaN``)."""
    xd, pd = xd[:, None], pd[None, :]
    if categories > 0:
        value = np.where(xd == pd, np.log(1.0 - flip), np.log(flip / max(categories - 1, 1)))
    else:
        values = pd[~np.isnan(pd)]
        sigma = float(values.std()) if len(values) > 1 else 0.5
        h = min(bandwidth, max(min_bandwidth, 1.06 * sigma * max(len(values), 1) ** -0.2))
        z = (xd - pd) / h
        value = -0.5 * z * z - math.log(h * math.sqrt(2 * math.pi))
    return np.where(np.isnan(xd) | np.isnan(pd), np.nan, value)


def _log_sum_with_prior(log_prior: np.ndarray, log_kernel: np.ndarray, n: int) -> np.ndarray:
    """``log((e^{log_prior} + Σ_i e^{log_kernel_i}) / (n + 1))`` per row."""
    stacked = np.concatenate([log_prior[:, None], log_kernel], axis=1)
    top = stacked.max(axis=1, keepdims=True)
    return top[:, 0] + np.log(np.exp(stacked - top).sum(axis=1)) - math.log(n + 1)


def _log_mixture(x: np.ndarray, points: np.ndarray, categories: np.ndarray, bandwidth: float,
                 min_bandwidth: float, flip: float, multivariate: bool) -> np.ndarray:
    """``log p_G(x)`` for each row of ``x`` (module docstring), ``points`` the group ``G``."""
    m = len(x)
    log_prior_cols = np.where(categories > 0, -np.log(np.maximum(categories, 1)), 0.0)
    if multivariate:
        log_kernel = np.zeros((m, len(points)))
        for d, c in enumerate(categories):
            value = _log_kernels(x[:, d], points[:, d], int(c), bandwidth, min_bandwidth, flip)
            log_kernel += np.where(np.isnan(value), log_prior_cols[d], value)
        return _log_sum_with_prior(np.full(m, log_prior_cols.sum()), log_kernel, len(points))
    total = np.zeros(m)
    for d, c in enumerate(categories):
        present = points[:, d][~np.isnan(points[:, d])]
        value = _log_kernels(x[:, d], present, int(c), bandwidth, min_bandwidth, flip)
        column = _log_sum_with_prior(np.full(m, log_prior_cols[d]), np.nan_to_num(value, nan=-np.inf), len(present))
        total += np.where(np.isnan(x[:, d]), 0.0, column)
    return total


class ParzenRatio:
    """The ``tpe`` surrogate (module docstring)."""

    def __init__(self, space: SearchSpace, gamma: float = 0.25, bandwidth: float = 0.5,
                 min_bandwidth: float = 0.05, flip: float = 0.2, multivariate: bool = False) -> None:
        if not 0 < gamma < 1:
            raise ValueError(f"tpe surrogate: gamma must be in (0, 1), got {gamma!r}")
        if not 0 < flip < 1:
            raise ValueError(f"tpe surrogate: flip must be in (0, 1), got {flip!r}")
        if not 0 < min_bandwidth <= bandwidth:
            raise ValueError(f"tpe surrogate: need 0 < min_bandwidth <= bandwidth, got {min_bandwidth!r}, "
                             f"{bandwidth!r}")
        self.encoding = GenomeEncoding(space)
        self.gamma, self.bandwidth, self.min_bandwidth, self.flip = gamma, bandwidth, min_bandwidth, flip
        self.multivariate = bool(multivariate)
        self._good = self._bad = None

    def fit(self, genomes: Sequence[Genome], values: Sequence[float]) -> "ParzenRatio":
        """Split the evaluated ``genomes`` by ``values`` (maximised; ties keep their order)."""
        if len(genomes) != len(values) or len(genomes) < 2:
            raise ValueError("tpe surrogate: fit needs at least two genomes with one value each")
        order = np.argsort(-np.asarray(values, dtype=float), kind="stable")
        rows = self.encoding.matrix(list(genomes))[order]
        k = good_count(len(genomes), self.gamma)
        self._good, self._bad = rows[:k], rows[k:]
        return self

    def score(self, genomes: Sequence[Genome]) -> np.ndarray:
        """``log p_good(x) − log p_bad(x)`` for each genome (higher: more promising)."""
        if self._good is None:
            raise ValueError("tpe surrogate: score before fit")
        x = self.encoding.matrix(list(genomes))
        categories = self.encoding.categories
        args = (categories, self.bandwidth, self.min_bandwidth, self.flip, self.multivariate)
        return _log_mixture(x, self._good, *args) - _log_mixture(x, self._bad, *args)


SURROGATES.register("tpe")(ParzenRatio)

__all__ = ["SURROGATES", "ParzenRatio", "good_count"]
