"""A study's sub-runs share one worker pool (evodeap.studies.pool), and sharing changes no result."""
from __future__ import annotations

from evodeap.config.settings import ExperimentConfig
from evodeap.studies import pool as pool_module
from evodeap.studies.study import run_study
from helpers_rundir import comparable


def study(executor: str, workers: int) -> dict:
    config = ExperimentConfig(population_size=4, generations=2, executor=executor, workers=workers)
    return {"CONFIG": config, "VARIANTS": {"a": {}, "b": {"selection_params.beta": 1.0}}, "SEEDS": [0, 1]}


def test_four_sub_runs_on_process_workers_start_one_pool_and_equal_serial_runs(tmp_path, monkeypatch):
    made = []
    make = pool_module.make_executor

    def counting(name, workers, **options):
        made.append((name, workers))
        return make(name, workers, **options)

    monkeypatch.setattr(pool_module, "make_executor", counting)
    run_study(study("process", 2), tmp_path / "shared", {"file": None, "overrides": {}})
    assert made == [("process", 2)]  # one pool for the four sub-runs
    run_study(study("serial", 1), tmp_path / "serial", {"file": None, "overrides": {}})
    assert made == [("process", 2)]  # serial sub-runs make their own (nothing to share)
    for variant in ("a", "b"):
        for seed in (0, 1):
            shared, serial = (tmp_path / name / variant / f"seed-{seed}" for name in ("shared", "serial"))
            assert comparable(shared) == comparable(serial)


def test_the_shared_pool_closes_when_the_study_ends():
    shared = pool_module.SharedExecutors()
    with shared:
        executor = shared.for_config(ExperimentConfig(executor="process", workers=2))
        assert shared.for_config(ExperimentConfig(executor="process", workers=2)) is executor
        assert shared.for_config(ExperimentConfig(executor="process", workers=3)) is not executor
        assert shared.for_config(ExperimentConfig()) is None and shared.started == 2
    assert shared._executors == {}
