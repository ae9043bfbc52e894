"""Run directories: results database, checkpoints, resume after kill -9 and Ctrl-C, bad input."""
from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from evodeap.results import queries
from evodeap.cli import main
from evodeap.config.settings import ExperimentConfig
from evodeap.errors import EvodeapError, RunDirectoryError
from evodeap.runs.lifecycle import resume, run
from helpers_rundir import DEMO, comparable, db_logbook

ROOT = Path(__file__).resolve().parents[2]
SMALL = ["--set", "population_size=12", "--set", "generations=6", "--set", "refine_every=3"]



def cli(*argv: str, **kwargs) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "evodeap", *argv], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, **kwargs)


def wait_for(predicate, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError("condition not reached")
        time.sleep(0.005)


def evaluations_stored(directory: Path) -> int:
    try:
        with sqlite3.connect(f"file:{directory / 'results.sqlite'}?mode=ro", uri=True) as conn:
            return conn.execute("SELECT COUNT(*) FROM evaluations").fetchone()[0]
    except sqlite3.Error:
        return 0


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> dict:
    out = tmp_path_factory.mktemp("reference") / "run"
    proc = cli("run", DEMO, *SMALL, "--out", str(out), "--quiet")
    assert proc.wait(timeout=300) == 0, proc.stderr.read()
    return comparable(out)


@pytest.mark.slow
@pytest.mark.parametrize("kill_after_evaluations", [3, 14, 40])
def test_kill_9_at_any_moment_then_resume_equals_uninterrupted(tmp_path, reference, kill_after_evaluations):
    out = tmp_path / "run"
    # a small delay per evaluation makes the kill land mid-generation
    proc = cli("run", DEMO, *SMALL, "--set", "fitness_params.delay=0.01", "--out", str(out), "--quiet")
    wait_for(lambda: evaluations_stored(out) >= kill_after_evaluations or proc.poll() is not None)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    stored = evaluations_stored(out)
    assert stored >= kill_after_evaluations
    resumed = cli("resume", str(out), "--quiet")
    assert resumed.wait(timeout=300) == 0, resumed.stderr.read()
    # the resumed run must use its own recorded overrides (delay included) and end as the reference
    result = comparable(out)
    assert result == reference


def test_ctrl_c_saves_and_prints_the_resume_command(tmp_path, reference):
    out = tmp_path / "run"
    proc = cli("run", DEMO, *SMALL, "--set", "fitness_params.delay=0.02", "--out", str(out), "--quiet")
    wait_for(lambda: (out / "checkpoint.json").exists())
    proc.send_signal(signal.SIGINT)
    assert proc.wait(timeout=60) == 130
    err = proc.stderr.read()
    assert f"evodeap resume {out}" in err and "Traceback" not in err
    assert evaluations_stored(out) > 0
    code = main(["resume", str(out), "--quiet"])
    assert code == 0
    assert comparable(out) == reference


def test_database_holds_every_evaluation_and_generation(tmp_path):
    config = ExperimentConfig(population_size=10, generations=3, seed=2)
    result = run(config, tmp_path / "run")
    evals = queries.evaluations(tmp_path / "run")
    assert len(evals) == len(result.evaluations)
    assert set(evals.columns) >= {"generation", "idx", "key", "genome", "seed", "status", "fitness", "wall_time",
                                  "n_params", "worker", "metric_val_score", "component_learning_rate"}
    assert (evals["status"] == "ok").all()
    gens = queries.generations(tmp_path / "run")
    assert list(gens["generation"]) == [0, 1, 2, 3]
    assert list(gens["best"]) == [row["best"] for row in result.logbook]
    best = queries.best_per_generation(tmp_path / "run")
    assert list(best["generation"]) == sorted(set(evals["generation"]))


def test_resume_of_a_finished_run_is_a_no_op_and_python_api_resume_checks_config(tmp_path, capsys):
    config = ExperimentConfig(population_size=6, generations=1, seed=2)
    run(config, tmp_path / "run")
    before = (tmp_path / "run" / "checkpoint.json").read_text()
    with pytest.raises(RunDirectoryError, match="changed: seed"):
        resume(tmp_path / "run", ExperimentConfig(population_size=6, generations=1, seed=3))
    assert (tmp_path / "run" / "checkpoint.json").read_text() == before
    # started from Python: the CLI cannot rebuild it and says so
    assert main(["resume", str(tmp_path / "run")]) == 2
    assert "started from Python" in capsys.readouterr().err


def test_corrupt_checkpoint_and_database_are_clear_errors_and_left_untouched(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["run", DEMO, "--set", "generations=1", "--set", "population_size=6", "--out", str(out), "--quiet"]) == 0
    capsys.readouterr()
    (out / "checkpoint.json").write_text('{"generation": 1, "popul')
    assert main(["resume", str(out)]) == 2
    err = capsys.readouterr().err
    assert "checkpoint.json is corrupt" in err and err.count("\n") == 1
    assert (out / "checkpoint.json").read_text() == '{"generation": 1, "popul'
    (out / "checkpoint.json").unlink()
    for extra in out.glob("results.sqlite-*"):
        extra.unlink()
    (out / "results.sqlite").write_bytes(b"this is not a database" * 100)
    assert main(["resume", str(out)]) == 2
    assert "results.sqlite is corrupt: not an SQLite database" in capsys.readouterr().err


def test_changed_experiment_file_is_refused_on_resume(tmp_path, capsys):
    experiment = tmp_path / "exp.py"
    experiment.write_text(Path(DEMO).read_text())
    out = tmp_path / "run"
    assert main(["run", str(experiment), "--set", "generations=1", "--set", "population_size=6", "--out", str(out), "--quiet"]) == 0
    os.remove(out / "checkpoint.json")
    # any edit is refused before the file is executed: its hash is not the recorded one
    experiment.write_text(Path(DEMO).read_text().replace("population_size=50", "population_size=40"))
    capsys.readouterr()
    assert main(["resume", str(out)]) == 2
    err = capsys.readouterr().err
    assert "the experiment changed since" in err and str(experiment) in err and "--force" in err
    assert err.count("\n") == 1
    # forced: the override still sets 6, so the configuration is the same; the change is recorded
    assert main(["resume", str(out), "--force", "--quiet"]) == 0
    changes = json.loads((out / "experiment.json").read_text())["changes"]
    assert len(changes) == 1 and changes[0]["forced"] and not changes[0]["exact_continuation"]
    assert str(experiment) in changes[0]["change"]
    # a change of configuration is refused even when forced, and names the key
    os.remove(out / "checkpoint.json")
    experiment.write_text(Path(DEMO).read_text().replace("elitism=2", "elitism=3"))
    assert main(["resume", str(out), "--force"]) == 2
    assert "no longer matches" in capsys.readouterr().err


BROKEN_FITNESS = """
from evodeap.config.settings import ExperimentConfig
from evodeap.evaluation.api import EvalResult
from evodeap.fitness.landscape import landscape_value

def fitness(genome, context):
    return EvalResult(({value},), seed=context.seed)

CONFIG = ExperimentConfig(population_size=6, generations=2, seed=3, fitness=fitness)
"""


def test_code_fixed_after_the_run_failed_resumes_without_force_and_is_recorded(tmp_path, capsys):
    experiment, out = tmp_path / "exp.py", tmp_path / "run"
    experiment.write_text(BROKEN_FITNESS.format(value="landscape_valu(genome)"))  # every evaluation fails
    assert main(["run", str(experiment), "--out", str(out), "--quiet"]) == 2
    experiment.write_text(BROKEN_FITNESS.format(value="landscape_value(genome)"))
    capsys.readouterr()
    assert main(["resume", str(out), "--quiet"]) == 0, capsys.readouterr().err
    change = json.loads((out / "experiment.json").read_text())["changes"][-1]
    assert change["change"].startswith("resumed with code fixed after the run failed: ") and str(experiment) in \
        change["change"]
    assert not change["forced"] and not change["exact_continuation"]
    # the fix is now the recorded code: a later edit is refused again
    os.remove(out / "checkpoint.json")
    experiment.write_text(experiment.read_text() + "# another edit\n")
    assert main(["resume", str(out)]) == 2 and "the experiment changed" in capsys.readouterr().err


def test_existing_run_is_not_overwritten_and_resume_is_suggested(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["run", DEMO, "--set", "generations=1", "--set", "population_size=6", "--out", str(out), "--quiet"]) == 0
    before = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()}
    capsys.readouterr()
    assert main(["run", DEMO, "--out", str(out)]) == 2
    assert f"evodeap resume {out}" in capsys.readouterr().err
    assert {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()} == before


def test_report_writes_tables_and_figures_from_the_database(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["run", DEMO, "--set", "generations=3", "--set", "population_size=8", "--set", "refine_every=2",
                 "--out", str(out), "--quiet"]) == 0
    assert main(["report", str(out)]) == 0
    import pandas as pd

    table = pd.read_csv(out / "tables" / "generations.csv")
    assert list(table["best"]) == list(queries.generations(out)["best"])
    best = pd.read_csv(out / "tables" / "best_per_generation.csv")
    assert list(best["best_fitness"]) == list(table["best"])
    assert (out / "tables" / "refinements.csv").exists()
    for name in ("evolution.png", "evolution.svg"):
        assert (out / "figures" / name).stat().st_size > 1000
    assert main(["report", str(tmp_path)]) == 2


def test_tensorboard_scalars_are_written(tmp_path):
    config = ExperimentConfig(population_size=6, generations=2, seed=1, tensorboard=True)
    run(config, tmp_path / "run")
    events = list((tmp_path / "run" / "tensorboard" / "generations").glob("events.out.tfevents.*"))
    assert events and events[0].stat().st_size > 100


class _FlakySelection:
    """A selection with a bug that strikes once, at its ``fail_at``-th call."""

    calls, fail_at = 0, 0


def flaky_selection(individuals, k, rng):
    _FlakySelection.calls += 1
    if _FlakySelection.calls == _FlakySelection.fail_at:
        raise RuntimeError("a bug in my selection")
    return [individuals[i] for i in rng.integers(0, len(individuals), k)]


def test_a_crash_leaves_the_run_interrupted_and_resumable(tmp_path):
    config = ExperimentConfig(population_size=6, generations=4, seed=5, selection=flaky_selection, selection_params={})
    _FlakySelection.calls, _FlakySelection.fail_at = 0, 0
    whole = run(config, tmp_path / "whole")
    _FlakySelection.calls, _FlakySelection.fail_at = 0, 3  # dies choosing the parents of generation 3
    with pytest.raises(EvodeapError, match="a bug in my selection"):  # the operator contract names it
        run(config, tmp_path / "crashed")
    with sqlite3.connect(tmp_path / "crashed" / "results.sqlite") as conn:
        assert conn.execute("SELECT status FROM runs").fetchone()[0] == "failed"
    assert json.loads((tmp_path / "crashed" / "checkpoint.json").read_text())["generation"] == 2
    assert not (tmp_path / "crashed" / ".evodeap-lock").exists()
    resumed = resume(tmp_path / "crashed", config)  # the bug struck once: "fixed"
    assert [dict(r, elapsed=0) for r in resumed.logbook] == [dict(r, elapsed=0) for r in whole.logbook]
