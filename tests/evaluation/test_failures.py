"""A generation of failed evaluations stops the run with the most frequent message (exit 2),
and the run resumes after the fix, retrying the failed evaluations instead of replaying them."""
from __future__ import annotations

import dataclasses
import sqlite3

import pytest

from evodeap.cli import main
from evodeap.config.settings import ExperimentConfig
from evodeap.engine.loop import evolve
from evodeap.errors import ConfigError, FailedGenerationError
from evodeap.evaluation.api import EvalResult
from evodeap.fitness.landscape import landscape_value
from helpers_rundir import stopped_run


def small(**changes) -> ExperimentConfig:
    return dataclasses.replace(ExperimentConfig(population_size=6, generations=3, seed=8), **changes)


def typo_fitness(genome, context):
    return EvalResult((acuracy,), seed=context.seed)  # noqa: F821  (the typo under test)


def odd_layers_fail(genome, context):
    if len(genome) % 2:
        raise RuntimeError("odd")
    return EvalResult((landscape_value(genome),), seed=context.seed)


def test_every_evaluation_failing_stops_the_run_with_the_most_frequent_message():
    with pytest.raises(FailedGenerationError) as caught:
        evolve(small(), fitness=typo_fitness)
    message = str(caught.value)
    assert message.startswith("generation 0: 6 of 6 evaluations failed (max_failure_fraction=1.0); the most "
                              "frequent failure (6×) from fitness test_failures.typo_fitness: error: NameError: "
                              "name 'acuracy' is not defined at ")


def test_a_single_failure_among_known_fitnesses_does_not_stop_the_run():
    from evodeap.evaluation.api import EvalResult as R
    from evodeap.evaluation.evaluator import EvaluationRecord
    from evodeap.evaluation.failures import check_generation

    failed = EvaluationRecord(2, 0, None, R((-1.0,), status="invalid", message="too big"))
    check_generation([failed], 5, 2, 1.0, "f")  # 1 of 5 bred: the others took a known fitness
    with pytest.raises(FailedGenerationError, match="1 of 1 evaluations failed"):
        check_generation([failed], 1, 2, 1.0, "f")


def test_the_threshold_is_a_fraction_of_the_genomes_a_generation_bred():
    result = evolve(small(), fitness=odd_layers_fail)  # some fail, not all: the run goes on
    assert 0 < sum(row["failures"] for row in result.logbook) < sum(row["nevals"] for row in result.logbook)
    with pytest.raises(FailedGenerationError, match=r"evaluations failed \(max_failure_fraction=0.1\).*RuntimeError: odd"):
        evolve(small(max_failure_fraction=0.1), fitness=odd_layers_fail)
    evolve(small(max_failure_fraction=None, generations=1), fitness=typo_fitness)  # None: never stop


@pytest.mark.parametrize("value", [0, 1.5, "all", True])
def test_a_bad_threshold_is_a_config_error(value):
    with pytest.raises(ConfigError, match="max_failure_fraction must be a number in"):
        small(max_failure_fraction=value).validate()


EXPERIMENT = '''
from evodeap.config.settings import ExperimentConfig
from evodeap.evaluation.api import EvalResult
from evodeap.fitness.landscape import landscape_value

def fitness(genome, context):
    return EvalResult(({value},), seed=context.seed)

CONFIG = ExperimentConfig(population_size=6, generations=2, seed=3, fitness=fitness)
'''


def test_a_typo_in_a_fitness_exits_2_and_the_fixed_run_resumes_with_the_failures_retried(tmp_path, capsys):
    experiment, out = tmp_path / "exp.py", tmp_path / "run"
    experiment.write_text(EXPERIMENT.format(value="landscape_valu(genome)"))
    assert main(["run", str(experiment), "--out", str(out), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "NameError: name 'landscape_valu' is not defined" in err
    assert "6 of 6 evaluations failed" in err and f"evodeap resume {out}" in err
    experiment.write_text(EXPERIMENT.format(value="landscape_value(genome)"))
    assert main(["resume", str(out), "--quiet"]) == 0
    with sqlite3.connect(out / "results.sqlite") as conn:
        statuses = conn.execute("SELECT generation, status FROM evaluations ORDER BY generation, idx").fetchall()
        assert conn.execute("SELECT status FROM runs").fetchone() == ("finished",)
    assert {status for _, status in statuses} == {"ok"}  # generation 0 was evaluated again, not replayed
    assert {generation for generation, _ in statuses} == {0, 1, 2}


def test_a_config_json_from_before_these_settings_still_resumes(tmp_path):
    import json

    from evodeap.errors import RunDirectoryError
    from evodeap.runs.lifecycle import resume

    config = ExperimentConfig(population_size=6, generations=3, seed=2)

    stopped_run(config, tmp_path / "run")
    path = tmp_path / "run" / "config.json"
    recorded = json.loads(path.read_text())
    older = {k: v for k, v in recorded.items()
             if k not in ("invalid_offspring", "max_failure_fraction", "evaluation_timeout")}
    path.write_text(json.dumps(older, indent=1))  # as versions before them wrote it
    assert len(resume(tmp_path / "run", config).logbook) == 4
    with pytest.raises(RunDirectoryError, match="changed: max_failure_fraction"):
        resume(tmp_path / "run", dataclasses.replace(config, max_failure_fraction=0.5))
