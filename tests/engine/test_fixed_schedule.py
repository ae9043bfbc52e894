"""The fixed strategy's schedules: ``repeat`` (population_size fresh trainings per generation)
and ``continue`` (one training per generation, continued from the previous generation's weights)."""
from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass

import pytest

from evodeap.cli import main
from evodeap.config.settings import ExperimentConfig, comparable
from evodeap.engine.loop import evolve
from evodeap.errors import ConfigError, FailedGenerationError
from evodeap.evaluation.api import EvalResult, evaluation_seed
from evodeap.genome.genome import Genome
from evodeap.runs.lifecycle import RunInterrupted, resume, run
from evodeap.evaluation.weights import WeightStore
from helpers_rundir import stopped_run

EPOCHS = 2


def hand_picked(epochs: int = EPOCHS) -> dict:
    layer = {"kind": "conv", "filters": 32, "kernel_size": 3, "activation": "relu", "pooling": "max"}
    return {"family": "cnn", "layers": [layer, layer],
            "hyperparameters": {"learning_rate": 0.01, "batch_size": 32, "optimizer": "adam", "dropout": 0.0,
                                "epochs": epochs}}


@dataclass(frozen=True)
class ContinuingStub:
    """A stand-in training: its "weights" are the list of (seed, epochs) segments trained so
    far, its fitness rises with the epochs trained; it fails (``nan``) in ``fail_at`` generations."""

    fail_at: tuple[int, ...] = ()

    def __call__(self, genome: Genome, context) -> EvalResult:
        segments = []
        if context.weights is not None:
            assert Genome.from_dict(context.weights_genome).key() == genome.key()
            segments = json.loads(context.weights.decode())
            assert sum(e for _, e in segments) == context.trained_epochs
        total = context.budget if context.budget is not None else genome.hyperparameters["epochs"]
        run_now = total - context.trained_epochs
        extra = {"epochs_run": run_now, "epochs_total": total, "train_flops": 100.0 * run_now,
                 "segments": [*segments, [context.seed, run_now]]}
        if context.weights is not None:
            extra["continued_from_epochs"] = context.trained_epochs
        if context.generation in self.fail_at:
            return EvalResult.failure("nan", "the loss diverged", (-1.0,), seed=context.seed, extra=extra)
        weights = json.dumps(extra["segments"]).encode() if context.return_weights else None
        value = 1.0 - 1.0 / (1.0 + total) + (context.seed % 1000) * 1e-9
        return EvalResult(fitness=(value,), metrics={"val_score": value}, seed=context.seed, extra=extra,
                          weights=weights)


def config(**changes) -> ExperimentConfig:
    base = dict(population_size=4, generations=3, seed=7, strategy="fixed", fixed_genome=hand_picked(),
                fixed_schedule="continue", fitness=ContinuingStub())
    return ExperimentConfig(**{**base, **changes})


def rows(result) -> list[dict]:
    return [{k: v for k, v in row.items() if k != "elapsed"} for row in result.logbook]


def evaluations(result) -> list[tuple]:
    return [(r.generation, r.index, r.genome.key(), r.result.seed, r.result.status, r.result.fitness,
             json.dumps(r.result.extra, sort_keys=True, default=str)) for r in result.evaluations]


# -- continue ------------------------------------------------------------------------------------------
def test_continue_trains_one_model_per_generation_and_continues_it():
    result = evolve(config())
    records = result.evaluations
    assert [(r.generation, r.index) for r in records] == [(g, 0) for g in range(4)]
    assert len({r.genome.key() for r in records}) == 1
    extra = [r.result.extra for r in records]
    assert [e["epochs_total"] for e in extra] == [(g + 1) * EPOCHS for g in range(4)]
    assert [e["budget"] for e in extra] == [(g + 1) * EPOCHS for g in range(4)]
    assert [e["epochs_run"] for e in extra] == [EPOCHS] * 4
    assert "started_from" not in extra[0] and "continued_from_epochs" not in extra[0]
    assert [e.get("started_from") for e in extra[1:]] == ["own"] * 3
    assert [e["continued_from_epochs"] for e in extra[1:]] == [g * EPOCHS for g in range(1, 4)]
    # generation g started from generation g-1's weights: the segments so far, each with its own seed
    seeds = [evaluation_seed(7, g, 0) for g in range(4)]
    assert [r.result.seed for r in records] == seeds
    assert extra[-1]["segments"] == [[s, EPOCHS] for s in seeds]
    # the logbook: one evaluation a generation, compute counts only each evaluation's own epochs
    assert [row["nevals"] for row in result.logbook] == [1, 1, 1, 1]
    assert [row["epochs"] for row in result.logbook] == [EPOCHS] * 4
    assert [row["epochs_total"] for row in result.logbook] == [EPOCHS * (g + 1) for g in range(4)]
    assert [row["train_flops"] for row in result.logbook] == [100.0 * EPOCHS] * 4
    bests = [row["best"] for row in result.logbook]
    assert bests == sorted(bests) and bests == [r.result.fitness[0] for r in records]  # the learning curve rises
    assert [ind.fitness.values[0] for ind in result.hall_of_fame] == sorted(bests, reverse=True)  # best trainings
    assert len(result.population) == 1


def test_repeat_is_the_default_and_unchanged():
    assert ExperimentConfig().fixed_schedule == "repeat"
    repeat = config(fixed_schedule="repeat", generations=1)
    result = evolve(repeat)
    assert [row["nevals"] for row in result.logbook] == [4, 4]
    assert all(r.result.extra["epochs_total"] == EPOCHS and "budget" in r.result.extra
               and r.result.extra["budget"] is None and "started_from" not in r.result.extra
               for r in result.evaluations)
    assert len({r.result.seed for r in result.evaluations}) == 8
    implicit = ExperimentConfig(population_size=4, generations=1, seed=7, strategy="fixed",
                                fixed_genome=hand_picked(), fitness=ContinuingStub())  # no fixed_schedule named
    assert rows(evolve(implicit)) == rows(result)
    assert evaluations(evolve(implicit)) == evaluations(result)


def test_a_failed_training_is_continued_from_the_last_ok_weights_or_from_scratch():
    result = evolve(config(fitness=ContinuingStub(fail_at=(1,))))
    extra = [r.result.extra for r in result.evaluations]
    assert [r.result.status for r in result.evaluations] == ["ok", "nan", "ok", "ok"]
    # generation 2 continues generation 0's weights (the last ok ones) and catches up to 3·E epochs
    assert extra[2]["continued_from_epochs"] == EPOCHS and extra[2]["epochs_run"] == 2 * EPOCHS
    assert extra[2]["epochs_total"] == 3 * EPOCHS
    assert [s for s, _ in extra[2]["segments"]] == [evaluation_seed(7, 0, 0), evaluation_seed(7, 2, 0)]
    assert extra[3]["continued_from_epochs"] == 3 * EPOCHS and extra[3]["epochs_run"] == EPOCHS
    assert [row["failures"] for row in result.logbook] == [0, 1, 0, 0]

    first_fails = evolve(config(fitness=ContinuingStub(fail_at=(0,))))
    extra = [r.result.extra for r in first_fails.evaluations]
    assert "continued_from_epochs" not in extra[1] and "started_from" not in extra[1]  # from scratch
    assert extra[1]["epochs_run"] == 2 * EPOCHS and extra[1]["epochs_total"] == 2 * EPOCHS


def test_the_failure_stop_counts_the_last_population_size_generations():
    with pytest.raises(FailedGenerationError, match="generation 2: 3 of 3 evaluations failed"):
        evolve(config(population_size=3, generations=5, fitness=ContinuingStub(fail_at=(0, 1, 2, 3, 4, 5))))
    survived = evolve(config(population_size=3, generations=5, fitness=ContinuingStub(fail_at=(0, 1, 3, 4))))
    assert [row["failures"] for row in survived.logbook] == [1, 1, 0, 1, 1, 0]


def test_without_weights_each_generation_trains_from_scratch():
    from evodeap.fitness.landscape import LandscapeFitness

    result = evolve(config(fitness=LandscapeFitness()))
    assert [r.result.extra["epochs_run"] for r in result.evaluations] == [(g + 1) * EPOCHS for g in range(4)]
    assert all("started_from" not in r.result.extra for r in result.evaluations)


# -- settings --------------------------------------------------------------------------------------------
def test_invalid_schedules_are_refused():
    with pytest.raises(ConfigError, match="fixed_schedule must be one of 'repeat', 'continue', got 'bogus'"):
        config(fixed_schedule="bogus").validate()
    with pytest.raises(ConfigError, match="fixed_schedule 'continue' needs strategy 'fixed'"):
        ExperimentConfig(fixed_schedule="continue").validate()
    bad = hand_picked()
    bad["hyperparameters"]["epochs"] = 1.5
    with pytest.raises(ConfigError, match="'epochs' hyperparameter must be an integer >= 1, got 1.5"):
        config(fixed_genome=bad).validate()
    config().validate()
    config(fixed_schedule="repeat").validate()


def test_the_command_line_refuses_an_unknown_schedule_with_exit_2(capsys):
    from pathlib import Path

    demo = str(Path(__file__).resolve().parents[2] / "experiments" / "landscape_demo.py")
    assert main(["run", demo, "--set", "fixed_schedule=bogus"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "fixed_schedule must be one of 'repeat', 'continue'" in err
    assert main(["run", demo, "--set", "fixed_schedule=continue"]) == 2
    assert "fixed_schedule 'continue' needs strategy 'fixed'" in capsys.readouterr().err


def test_an_old_config_json_without_the_setting_loads_and_resumes(tmp_path):
    repeat = config(fixed_schedule="repeat", fitness="landscape", generations=2)

    stopped_run(repeat, tmp_path / "run")
    path = tmp_path / "run" / "config.json"
    recorded = json.loads(path.read_text())
    assert recorded["fixed_schedule"] == "repeat"
    older = {k: v for k, v in recorded.items() if k != "fixed_schedule"}
    path.write_text(json.dumps(older, indent=1))  # as versions before it wrote it
    assert comparable(older) == comparable(recorded)
    from evodeap.runs.rundir import RunDirectory

    assert RunDirectory(tmp_path / "run").read_config()["fixed_schedule"] == "repeat"
    assert rows(resume(tmp_path / "run", repeat)) == rows(run(repeat, tmp_path / "whole"))
    from evodeap.errors import RunDirectoryError

    with pytest.raises(RunDirectoryError, match="changed: fixed_schedule"):
        resume(tmp_path / "run", dataclasses.replace(repeat, fixed_schedule="continue"))


# -- run directories ------------------------------------------------------------------------------------
def test_a_continue_run_keeps_its_weights_resumes_exactly_and_reports(tmp_path):
    whole = run(config(), tmp_path / "whole")
    store = WeightStore(tmp_path / "whole" / "weights")
    key = whole.evaluations[0].genome.key()
    assert store.keys() == {key} and store.get(key)[1] == 4 * EPOCHS  # pruned to the last training

    def stop_in(generation):
        def hook(record):
            if record.generation == generation:  # stored, generation not yet checkpointed
                raise KeyboardInterrupt
        return hook

    for cut in (1, 3):
        out = tmp_path / f"cut{cut}"
        with pytest.raises(RunInterrupted):
            run(config(), out, on_evaluation=stop_in(cut))
        resumed = resume(out, config())
        assert rows(resumed) == rows(whole)
        assert evaluations(resumed) == evaluations(whole)
        assert WeightStore(out / "weights").get(key) == store.get(key)
    assert main(["report", str(tmp_path / "whole")]) == 0


def test_continue_with_keras_continues_the_trained_weights_and_resumes_exactly(tmp_path, monkeypatch):
    pytest.importorskip("keras")
    from pathlib import Path

    monkeypatch.syspath_prepend(str(Path(__file__).resolve().parents[1] / "fitness"))
    from fitness_fixtures import cnn_genome, tiny_bundle, tiny_cnn_space

    from evodeap.fitness import KerasFitness

    space = tiny_cnn_space()
    keras_config = config(space=space, population_size=2, generations=2, fixed_genome=cnn_genome(epochs=1).to_dict(),
                          fitness=KerasFitness(tiny_bundle("multiclass"), robustness_weight=0.0, perturbation=None))
    whole = run(keras_config, tmp_path / "whole")
    extra = [r.result.extra for r in whole.evaluations]
    assert all(r.result.ok for r in whole.evaluations)
    assert [e["epochs_total"] for e in extra] == [1, 2, 3] and [e["epochs_run"] for e in extra] == [1, 1, 1]
    assert [e.get("continued_from_epochs") for e in extra] == [None, 1, 2]
    assert [e.get("started_from") for e in extra] == [None, "own", "own"]
    assert [len(e["losses"]) for e in extra] == [1, 1, 1]
    assert extra[1]["train_flops"] == pytest.approx(extra[0]["train_flops"])  # one epoch's compute each

    with pytest.raises(RunInterrupted):
        run(keras_config, tmp_path / "cut", on_evaluation=lambda r: r.generation == 1 and _interrupt())
    resumed = resume(tmp_path / "cut", keras_config)
    assert rows(resumed) == rows(whole)
    drop = ("train_seconds", "worker", "phase_seconds", "gpu_peak_mb")
    same = lambda result: [(r.generation, r.result.seed, r.result.fitness, {k: v for k, v in r.result.extra.items()  # noqa: E731
                                                                            if k not in drop})
                           for r in result.evaluations]
    assert same(resumed) == same(whole)
    key = whole.evaluations[0].genome.key()
    assert WeightStore(tmp_path / "cut" / "weights").get(key) == WeightStore(tmp_path / "whole" / "weights").get(key)


def _interrupt():
    raise KeyboardInterrupt
