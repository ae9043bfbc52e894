"""Mean ranks, the Friedman test and Nemenyi's critical difference, against scipy and Demšar (2006)."""
from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from evodeap.errors import ConfigError
from evodeap.reports.ranking import (
    cd_diagram,
    critical_difference,
    nemenyi_q,
    normalised_regret,
    rank_methods,
    rank_rows,
)


def test_normalised_regret_is_zero_at_the_best_and_one_at_the_worst():
    assert normalised_regret(0.9, best=0.9, worst=0.5) == 0.0
    assert normalised_regret(0.5, best=0.9, worst=0.5) == 1.0
    assert normalised_regret(0.8, best=0.9, worst=0.5) == pytest.approx(0.25)
    assert normalised_regret(0.1, best=0.9, worst=0.5) == 1.0  # clipped
    with pytest.raises(ConfigError, match="best > worst"):
        normalised_regret(0.5, best=0.5, worst=0.5)


def test_ties_share_the_mean_rank():
    assert rank_rows(np.array([[0.1, 0.1, 0.3]])).tolist() == [[1.5, 1.5, 3.0]]


def test_demsar_q_table():
    # Demšar (2006), Table 5a, two-tailed Nemenyi, alpha = 0.05, k = 2..10
    published = [1.960, 2.343, 2.569, 2.728, 2.850, 2.949, 3.031, 3.102, 3.164]
    assert [round(nemenyi_q(k), 3) for k in range(2, 11)] == pytest.approx(published, abs=0.002)


def test_demsar_worked_example():
    # Demšar (2006), Section 3.2.2: 4 classifiers on 14 data sets, CD = 2.569·sqrt(4·5/(6·14)) = 1.25
    assert critical_difference(4, 14) == pytest.approx(1.25, abs=0.005)


def test_friedman_agrees_with_scipy_and_ranks_are_means():
    rng = np.random.default_rng(3)
    scores = {name: rng.normal(shift, 1.0, size=12) for name, shift in (("a", 0.0), ("b", 0.5), ("c", 1.5))}
    ranking = rank_methods(scores)
    statistic, p = stats.friedmanchisquare(*scores.values())
    assert ranking.friedman_statistic == pytest.approx(statistic) and ranking.friedman_p == pytest.approx(p)
    table = np.column_stack(list(scores.values()))
    assert ranking.mean_ranks == pytest.approx(tuple(rank_rows(table).mean(axis=0)))
    assert ranking.best() == "a" and ranking.problems == 12
    assert ranking.differs("a", "c") and not ranking.differs("a", "a")


def test_friedman_with_ties_agrees_with_scipy_and_is_defined_for_two_methods():
    ties = {"a": [1, 1, 2, 0, 3, 1], "b": [1, 2, 2, 1, 0, 1], "c": [0, 2, 1, 1, 3, 2], "d": [2, 0, 1, 1, 1, 1]}
    ranking = rank_methods(ties)
    statistic, p = stats.friedmanchisquare(*ties.values())
    assert ranking.friedman_statistic == pytest.approx(statistic) and ranking.friedman_p == pytest.approx(p)
    # k = 2 (scipy refuses it): b beats a on three of four problems; rank sums 5 and 7, so
    # χ² = 12/(4·2·3) · (5² + 7²) − 3·4·3 = 37 − 36 = 1, p = P(χ²₁ > 1) = 0.3173
    two = rank_methods({"a": [0.2, 0.3, 0.5, 0.9], "b": [0.1, 0.1, 0.6, 0.2]})
    assert two.friedman_statistic == pytest.approx(1.0) and two.friedman_p == pytest.approx(0.31731, abs=1e-5)


def test_refuses_missing_scores_and_a_single_method():
    with pytest.raises(ConfigError, match="finite"):
        rank_methods({"a": [0.1, np.nan], "b": [0.2, 0.3]})
    with pytest.raises(ConfigError, match=">= 2 methods"):
        rank_methods({"a": [0.1, 0.2]})


def test_cd_diagram_draws(tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    ranking = rank_methods({"a": [0.1, 0.2, 0.1], "b": [0.3, 0.1, 0.4], "c": [0.5, 0.6, 0.4]})
    fig = cd_diagram(ranking)
    fig.savefig(tmp_path / "cd.png")
    assert (tmp_path / "cd.png").stat().st_size > 1000
