"""The fixed cost of an evaluation: its phase clock, the scoring slices, the teardown that
frees each model, and the benchmark script that prints the breakdown (no timing asserted)."""
from __future__ import annotations

import gc
import os
import subprocess
import sys
import weakref
from pathlib import Path

import keras
import numpy as np
import pytest
from fitness_fixtures import cnn_genome, tiny_bundle

import evodeap.fitness.keras_fitness as keras_fitness
from evodeap.evaluation.api import EvalContext, run_evaluation
from evodeap.fitness import KerasFitness
from evodeap.fitness.scoring import MAX_SCORING_BATCH, predict, scoring_batch_size
from evodeap.fitness.phases import PHASES, PhaseClock
from evodeap.models import build_model

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def bundle():
    return tiny_bundle("multiclass")


def test_every_phase_is_recorded_and_they_add_up_to_the_evaluation(bundle):
    result = run_evaluation(KerasFitness(bundle), cnn_genome(), EvalContext(seed=1))
    assert result.status == "ok", result.message
    phases = result.extra["phase_seconds"]
    assert list(phases) == list(PHASES)
    assert all(v >= 0 for v in phases.values())
    inside = sum(v for k, v in phases.items() if k != "teardown")
    assert inside <= result.wall_time + 1e-3  # the result's wall time ends before the teardown
    train = phases["fit_setup"] + phases["first_step"] + phases["steps"]
    assert train == pytest.approx(result.extra["train_seconds"], abs=2e-3)


def test_a_failed_evaluation_still_records_its_phases(bundle, monkeypatch):
    invalid = run_evaluation(KerasFitness(bundle, max_params=10), cnn_genome(), EvalContext(seed=1))
    assert invalid.status == "invalid"  # refused before any model exists: nothing to tear down
    assert set(invalid.extra["phase_seconds"]) == {"data", "build"}

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(keras.Model, "fit", broken)
    failed = run_evaluation(KerasFitness(bundle), cnn_genome(), EvalContext(seed=1))
    assert failed.status == "error"
    assert {"data", "build", "weights", "teardown"} <= set(failed.extra["phase_seconds"])


def test_phase_clock_adds_repeated_phases_and_keeps_the_order():
    clock = PhaseClock()
    clock.add("scoring", 0.5)
    clock.add("data", 0.25)
    clock.add("data", 0.25)
    with clock.phase("custom"):
        pass
    assert list(clock.as_dict()) == ["data", "scoring", "custom"]
    assert clock.as_dict()["data"] == 0.5


@pytest.mark.parametrize("elements, batch, expected", [
    (1, 32, MAX_SCORING_BATCH),                 # tiny activations: the cap
    (2**20, 32, 64),                            # 4 MB per video: 256 MB hold 64
    (2**30, 16, 16),                            # huge activations: never below the training batch
])
def test_scoring_slices_fit_the_memory_budget(elements, batch, expected):
    assert scoring_batch_size(elements, batch) == expected


def test_scoring_in_slices_gives_the_outputs_of_one_call_per_video(bundle):
    genome = cnn_genome()
    model = build_model(genome, bundle.input_shape, bundle.task)
    x, _ = bundle.inputs("val")
    one_by_one = np.concatenate([keras.ops.convert_to_numpy(model(x[i:i + 1], training=False)) for i in range(len(x))])
    _, sliced = predict(model, bundle, "val", 3, None)
    np.testing.assert_allclose(sliced, one_by_one, rtol=1e-5, atol=1e-6)


def test_the_model_of_an_evaluation_is_freed_after_it(bundle, monkeypatch):
    built = []
    real_build = keras_fitness.build_model

    def recording_build(*args, **kwargs):
        model = real_build(*args, **kwargs)
        built.append(weakref.ref(model))
        return model

    monkeypatch.setattr(keras_fitness, "build_model", recording_build)
    fitness = KerasFitness(bundle)
    for seed in range(3):
        assert run_evaluation(fitness, cnn_genome(), EvalContext(seed=seed)).ok
    assert gc.get_freeze_count() > 0  # the process's state was frozen after its first evaluation
    assert [ref() for ref in built] == [None, None, None]  # yet every model was collected


def test_the_same_seed_gives_the_same_result_whatever_ran_before(bundle):
    fitness = KerasFitness(bundle)
    first = run_evaluation(fitness, cnn_genome(), EvalContext(seed=5))
    run_evaluation(fitness, cnn_genome(epochs=1), EvalContext(seed=6))
    again = run_evaluation(fitness, cnn_genome(), EvalContext(seed=5))
    assert first.fitness == again.fitness and first.metrics == again.metrics


@pytest.mark.slow
def test_the_benchmark_prints_the_breakdown():
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    out = subprocess.run(
        [sys.executable, str(ROOT / "experiments" / "bench_evaluation.py"), "--models", "trivial", "--repeats", "2"],
        capture_output=True, text=True, env=env, timeout=600, cwd=ROOT,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert "| trivial |" in out.stdout and "fixed cost" in out.stdout
    header = next(line for line in out.stdout.splitlines() if line.startswith("| model |"))
    assert all(phase in header for phase in ("data", "build", "first_step", "steps", "scoring", "teardown"))
