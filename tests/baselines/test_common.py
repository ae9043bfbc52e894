"""The budgeted evaluator, records and storage (evodeap.baselines.common)."""
from __future__ import annotations

import pytest
from helpers_baselines import LANDSCAPE, SPACE, RaisingFitness, keys

from evodeap.baselines import best_so_far_curve, random_search, save_records
from evodeap.results.storage import evaluations, generations


# -- storage ------------------------------------------------------------------------------------------
def test_save_records_writes_a_run_database_batched_like_generations(tmp_path):
    records = random_search(SPACE, RaisingFitness(), 11, 2)
    save_records(tmp_path, records, name="random", seed=2, space=SPACE, batch=4)
    frame = evaluations(tmp_path)
    assert list(zip(frame["generation"], frame["idx"])) == [(i // 4, i % 4) for i in range(11)]
    assert frame["key"].tolist() == keys(records)
    assert frame["status"].tolist() == [r.result.status for r in records]
    gens = generations(tmp_path)
    curve = best_so_far_curve(records)
    assert gens["best"].tolist() == pytest.approx([curve[3], curve[7], curve[10]])
    assert gens["nevals"].tolist() == [4, 4, 3]


def test_best_so_far_curve_is_the_running_maximum():
    records = random_search(SPACE, LANDSCAPE, 6, 0)
    values = [r.result.fitness[0] for r in records]
    assert best_so_far_curve(records).tolist() == [max(values[:i + 1]) for i in range(6)]
