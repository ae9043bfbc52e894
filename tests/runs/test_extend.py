"""Extending a finished run: ``evodeap resume DIR --set generations=N``."""
from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from evodeap.cli import main
from evodeap.config.settings import ExperimentConfig
from evodeap.errors import ConfigError
from evodeap.runs.lifecycle import resume, run
from helpers_rundir import db_logbook

ROOT = Path(__file__).resolve().parents[2]
DEMO = str(ROOT / "experiments" / "landscape_demo.py")
SMALL = ["--set", "population_size=8", "--set", "refine_every=2", "--quiet"]



def logbook(directory: Path) -> list[dict]:
    rows = db_logbook(directory)
    return [{k: v for k, v in row.items() if k != "elapsed"} for row in rows]


def history_rows(directory: Path) -> list:
    with sqlite3.connect(directory / "results.sqlite") as conn:
        return conn.execute("SELECT * FROM population ORDER BY generation, position").fetchall()


def test_extending_a_finished_run_equals_running_longer_from_the_start(tmp_path, capsys):
    short, long = tmp_path / "short", tmp_path / "long"
    assert main(["run", DEMO, "--set", "generations=3", *SMALL, "--out", str(short)]) == 0
    assert main(["run", DEMO, "--set", "generations=5", *SMALL, "--out", str(long)]) == 0
    assert main(["resume", str(short), "--set", "generations=5", "--quiet"]) == 0
    assert logbook(short) == logbook(long)
    assert history_rows(short) == history_rows(long)
    assert json.loads((short / "hall_of_fame.json").read_text()) == json.loads((long / "hall_of_fame.json").read_text())
    experiment = json.loads((short / "experiment.json").read_text())
    assert experiment["overrides"]["generations"] == 5
    (extension,) = experiment["extensions"]
    assert extension["after_generation"] == 3 and extension["changes"] == {"generations": {"from": 3, "to": 5}}
    assert json.loads((short / "config.json").read_text())["generations"] == 5
    capsys.readouterr()
    assert main(["resume", str(short)]) == 0  # the extension is now the run's config
    assert "already complete (5 generations)" in capsys.readouterr().out


@pytest.mark.parametrize("assignment, message", [
    ("population_size=9", "population_size cannot change in an existing run"),
    ("generations=2", "has already run 3 generations"),
    ("generations", "--set expects key=value"),
])
def test_other_changes_are_refused_and_nothing_is_written(tmp_path, capsys, assignment, message):
    out = tmp_path / "run"
    assert main(["run", DEMO, "--set", "generations=3", *SMALL, "--out", str(out)]) == 0
    before = {p.name: p.read_bytes() for p in out.iterdir() if p.suffix == ".json"}
    capsys.readouterr()
    assert main(["resume", str(out), "--set", assignment]) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1
    assert {p.name: p.read_bytes() for p in out.iterdir() if p.suffix == ".json"} == before


def test_python_api_extends_a_run_started_from_python(tmp_path):
    config = ExperimentConfig(population_size=6, generations=2, seed=4)
    run(config, tmp_path / "run")
    result = resume(tmp_path / "run", config, extend={"generations": 4})
    assert [row["generation"] for row in result.logbook] == [0, 1, 2, 3, 4]
    assert json.loads((tmp_path / "run" / "experiment.json").read_text())["extensions"][0]["changes"] == {
        "generations": {"from": 2, "to": 4}}
    with pytest.raises(ConfigError, match="seed cannot change"):
        resume(tmp_path / "run", config.with_overrides({"generations": 4}), extend={"seed": 5})


def test_a_study_is_extended_sub_run_by_sub_run(tmp_path, capsys):
    experiment = tmp_path / "study.py"
    experiment.write_text("from evodeap.config.settings import ExperimentConfig\n"
                          "CONFIG = ExperimentConfig(population_size=6, generations=2)\n"
                          "VARIANTS = {'beta1': {'selection_params.beta': 1.0}, 'beta5': {}}\nSEEDS = [0, 1]\n")
    out = tmp_path / "out"
    assert main(["run", str(experiment), "--out", str(out), "--quiet"]) == 0
    assert main(["resume", str(out), "--set", "population_size=9", "--quiet"]) == 2
    assert "population_size cannot change" in capsys.readouterr().err
    assert "extensions" not in json.loads((out / "study.json").read_text())
    assert main(["resume", str(out), "--set", "generations=3", "--quiet"]) == 0
    info = json.loads((out / "study.json").read_text())
    assert info["experiment"]["overrides"]["generations"] == 3 and info["extensions"][0]["changes"] == {"generations": 3}
    for variant in ("beta1", "beta5"):
        for seed in (0, 1):
            sub = out / variant / f"seed-{seed}"
            assert [row["generation"] for row in logbook(sub)] == [0, 1, 2, 3]
            assert json.loads((sub / "experiment.json").read_text())["extensions"][0]["changes"] == {
                "generations": {"from": 2, "to": 3}}
    before = {p: p.stat().st_mtime_ns for p in out.rglob("results.sqlite")}
    assert main(["resume", str(out), "--quiet"]) == 0  # complete at 3 generations: nothing to do
    assert {p: p.stat().st_mtime_ns for p in out.rglob("results.sqlite")} == before


def test_a_run_written_with_the_old_gen_column_reads_and_extends(tmp_path, capsys):
    """Run directories from before the rename hold ``gen`` in the checkpoint's logbook and the
    generations table: they read as ``generation``, resume and extend."""
    import sqlite3

    from evodeap.results import queries

    out = tmp_path / "run"
    assert main(["run", DEMO, "--set", "generations=2", *SMALL, "--out", str(out)]) == 0
    checkpoint = json.loads((out / "checkpoint.json").read_text())
    checkpoint["format"] = 1  # a format-1 checkpoint carried the logbook
    checkpoint["logbook"] = [{("gen" if k == "generation" else k): v for k, v in row.items()}
                             for row in db_logbook(out)]
    (out / "checkpoint.json").write_text(json.dumps(checkpoint, indent=1))
    with sqlite3.connect(out / "results.sqlite") as conn:
        for generation, record in conn.execute("SELECT generation, record FROM generations").fetchall():
            row = json.loads(record)
            row["gen"] = row.pop("generation")
            conn.execute("UPDATE generations SET record = ? WHERE generation = ?", (json.dumps(row), generation))
    assert list(queries.generations(out)["generation"]) == [0, 1, 2]
    assert main(["resume", str(out), "--set", "generations=3", "--quiet"]) == 0
    assert [row["generation"] for row in logbook(out)] == [0, 1, 2, 3]
    assert list(queries.generations(out)["generation"]) == [0, 1, 2, 3]
    assert (out / "logbook.csv").read_text().splitlines()[1].startswith("0,")
