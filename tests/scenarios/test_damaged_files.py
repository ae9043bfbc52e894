"""Damaged run-directory files: every file the directory holds × the ways it gets damaged.

A damaged source file (experiment.json, config.json, checkpoint.json, results.sqlite,
weights/, study.json) is refused by ``resume`` (and ``report`` where it reads it) with
one line that names the file, exit status 2, and nothing in the directory changes. A
damaged *derived* file (logbook.csv, hall_of_fame.json, space.json) is rewritten from the
checkpoint by ``resume``; a deleted checkpoint is rebuilt from the database.
"""
from __future__ import annotations

import json
import random
import shutil
import sqlite3
import textwrap
from pathlib import Path

import pytest

from evodeap.cli import main
from helpers_rundir import interrupted_weights_run, snapshot

ROOT = Path(__file__).resolve().parents[2]
DEMO = str(ROOT / "experiments" / "landscape_demo.py")
DERIVED = ("logbook.csv", "hall_of_fame.json", "space.json")


def cli(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def one_line_naming(code: int, err: str, *names: str) -> bool:
    return code == 2 and err.count("\n") == 1 and err.startswith("evodeap: error: ") and \
        all(n in err for n in names) and "Traceback" not in err


# -- damage kinds --------------------------------------------------------------------------------
def truncate(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def garble(path: Path) -> None:
    """Overwrite a block in the middle (same length): invalid UTF-8 for JSON, a wrecked page for SQLite."""
    data = bytearray(path.read_bytes())
    block = max(32, min(4096, len(data) // 4))
    start = len(data) // 2 - block // 2
    data[start:start + block] = random.Random(7).randbytes(block)
    path.write_bytes(bytes(data))


def empty(path: Path) -> None:
    path.write_bytes(b"")


def not_an_object(path: Path) -> None:
    path.write_text("[1, 2, 3]")


def delete(path: Path) -> None:
    path.unlink()


def edit_json(change):
    def damage(path: Path) -> None:
        data = json.loads(path.read_text())
        change(data)
        path.write_text(json.dumps(data))
    damage.__name__ = change.__name__
    return damage


def _generation_text(d): d["generation"] = "2"
def _empty_population(d): d["population"] = []
def _rng_without_state(d): del d["rng"]["variation"]["state"]
def _rng_wrong_type(d): d["rng"]["init"] = [1, 2]
def _fitness_text(d): d["population"][0]["fitness"] = ["high"]
def _genome_garbage(d): d["population"][1]["genome"] = {"layers": 5}
def _logbook_short(d): d.update(format=1, logbook=[{"generation": 0}])  # a format-1 checkpoint carried one
def _space_inverted(d): d["space"]["hyperparameters"]["learning_rate"]["low"] = 1.0
def _overrides_list(d): d["overrides"] = [1]
def _file_number(d): d["file"] = 5
def _future_format(d): d["format"] = 99
def _setting_type(d): d["population_size"] = "many"
def _space_text(d): d["space"] = "cnn"


JSON_CASES = [
    ("checkpoint.json", truncate, "corrupt"), ("checkpoint.json", garble, "corrupt"),
    ("checkpoint.json", empty, "corrupt"), ("checkpoint.json", not_an_object, "expected a JSON object"),
    ("checkpoint.json", edit_json(_generation_text), "'generation' must be an integer"),
    ("checkpoint.json", edit_json(_empty_population), "'population' is empty"),
    ("checkpoint.json", edit_json(_rng_without_state), "'rng.variation' is not a NumPy PCG64 state"),
    ("checkpoint.json", edit_json(_rng_wrong_type), "'rng.init' is not a NumPy PCG64 state"),
    ("checkpoint.json", edit_json(_fitness_text), "'population[0].fitness' must be a non-empty list of numbers"),
    ("checkpoint.json", edit_json(_genome_garbage), "'population[1].genome' does not decode"),
    ("checkpoint.json", edit_json(_logbook_short), "'logbook' has"),
    ("checkpoint.json", edit_json(_space_inverted), "'space' is not a valid search space"),
    ("checkpoint.json", edit_json(_future_format), "newer evodeap"),
    ("config.json", truncate, "corrupt"), ("config.json", garble, "corrupt"), ("config.json", empty, "corrupt"),
    ("config.json", not_an_object, "expected a JSON object"),
    ("config.json", edit_json(_space_text), "'space' must be an object"),
    ("config.json", edit_json(_setting_type), "changed: population_size"),
    ("config.json", edit_json(_future_format), "newer evodeap"),
    ("config.json", delete, "missing"),
    ("experiment.json", truncate, "corrupt"), ("experiment.json", garble, "corrupt"),
    ("experiment.json", empty, "corrupt"), ("experiment.json", not_an_object, "expected a JSON object"),
    ("experiment.json", edit_json(_overrides_list), "'overrides' must be an object"),
    ("experiment.json", edit_json(_file_number), "'file' must be a path or null"),
    ("experiment.json", edit_json(_future_format), "newer evodeap"),
    ("experiment.json", delete, "missing"),
]


def _drop(table):
    def damage(path: Path) -> None:
        with sqlite3.connect(path) as conn:
            conn.execute(f"DROP TABLE {table}")
        conn.close()
    damage.__name__ = f"drop_{table}"
    return damage


def _bad_row(path: Path) -> None:
    conn = sqlite3.connect(path)
    with conn:
        conn.execute("UPDATE evaluations SET metrics = '{\"val_score\": 0.' WHERE generation = 1 AND idx = 0")
    conn.close()


def _bad_generation_row(path: Path) -> None:
    conn = sqlite3.connect(path)
    with conn:
        conn.execute("UPDATE generations SET record = 'nonsense' WHERE generation = 1")
    conn.close()


def _not_sqlite(path: Path) -> None:
    path.write_bytes(b"this is not a database" * 100)


def _newer_format(path: Path) -> None:
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA user_version = 99")
    conn.close()


DATABASE_CASES = [
    (truncate, "truncated"), (garble, "corrupt"), (empty, "empty (0 bytes)"), (_not_sqlite, "not an SQLite database"),
    (_drop("evaluations"), "table 'evaluations' is missing"), (_drop("generations"), "table 'generations' is missing"),
    (_drop("runs"), "table 'runs' is missing"), (_bad_row, "evaluation (generation 1, index 0) does not decode"),
    (_bad_generation_row, "of generation 1 does not decode"), (_newer_format, "newer evodeap"),
]


@pytest.fixture(scope="module")
def finished(tmp_path_factory) -> Path:
    """A finished tiny landscape run made through the CLI (so resume can rebuild it)."""
    out = tmp_path_factory.mktemp("finished") / "run"
    assert main(["run", DEMO, "--set", "generations=2", "--set", "population_size=6", "--out", str(out),
                 "--quiet"]) == 0
    return out


@pytest.fixture()
def copy(finished, tmp_path) -> Path:
    out = tmp_path / "run"
    shutil.copytree(finished, out)
    return out


@pytest.mark.parametrize("name, damage, message", JSON_CASES,
                         ids=[f"{n}-{d.__name__}" for n, d, _ in JSON_CASES])
def test_damaged_json_file_is_refused_by_resume_and_nothing_changes(copy, capsys, name, damage, message):
    damage(copy / name)
    before = snapshot(copy)
    code, _, err = cli(capsys, "resume", str(copy), "--quiet")
    assert one_line_naming(code, err, name, message), err
    assert snapshot(copy) == before
    code, _, err = cli(capsys, "run", DEMO, "--out", str(copy))  # a damaged run is still a run
    assert code == 2 and "already holds a run" in err
    assert snapshot(copy) == before


@pytest.mark.parametrize("damage, message", DATABASE_CASES, ids=[d.__name__ for d, _ in DATABASE_CASES])
def test_damaged_database_is_refused_by_resume_and_report(copy, capsys, tmp_path, damage, message):
    damage(copy / "results.sqlite")
    before = snapshot(copy)
    code, _, err = cli(capsys, "resume", str(copy), "--quiet")
    assert one_line_naming(code, err, "results.sqlite", message), err
    assert snapshot(copy) == before
    code, _, err = cli(capsys, "report", str(copy), "--out", str(tmp_path / "report"))
    assert one_line_naming(code, err, "results.sqlite", message), err
    assert snapshot(copy) == before


def test_deleted_database_is_refused_not_started_over(copy, capsys):
    (copy / "results.sqlite").unlink()
    before = snapshot(copy)
    code, _, err = cli(capsys, "resume", str(copy), "--quiet")
    assert one_line_naming(code, err, "results.sqlite is missing", "checkpoint.json is at generation 2"), err
    code, _, err = cli(capsys, "report", str(copy))
    assert one_line_naming(code, err, "no results database"), err
    assert snapshot(copy) == before


@pytest.mark.parametrize("name", DERIVED)
@pytest.mark.parametrize("damage", [truncate, garble, empty, delete])
def test_damaged_derived_file_is_rewritten_from_the_checkpoint(copy, capsys, name, damage):
    original = (copy / name).read_bytes()
    damage(copy / name)
    code, out, err = cli(capsys, "resume", str(copy), "--quiet")
    assert code == 0, err
    assert "already complete" in out and name in out
    assert (copy / name).read_bytes() == original
    code, out, _ = cli(capsys, "resume", str(copy), "--quiet")  # complete and whole: nothing to write
    assert code == 0 and "wrote" not in out


def test_deleted_checkpoint_is_rebuilt_from_the_database(copy, finished, capsys):
    (copy / "checkpoint.json").unlink()
    code, _, err = cli(capsys, "resume", str(copy), "--quiet")
    assert code == 0, err
    rebuilt, original = (json.loads((d / "checkpoint.json").read_text()) for d in (copy, finished))
    for state in (rebuilt, original):
        state.pop("elapsed")
        assert "logbook" not in state  # its one copy is the database's generations table
    assert rebuilt == original


def test_damage_is_refused_by_the_python_api_too(copy):
    from evodeap.errors import DamagedFileError
    from evodeap.runs.lifecycle import resume

    edit_json(_empty_population)(copy / "checkpoint.json")
    with pytest.raises(DamagedFileError, match="'population' is empty"):
        resume(copy)


# -- weight files ------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def interrupted_with_weights(tmp_path_factory) -> Path:
    return interrupted_weights_run(tmp_path_factory.mktemp("weights"))


def _first_weight_file(directory: Path) -> Path:
    return sorted((directory / "weights").glob("*.weights.h5"))[0]


@pytest.mark.parametrize("damage", [truncate, garble, empty, delete])
def test_damaged_or_lost_weight_file_is_refused_then_retrained_on_request(interrupted_with_weights, tmp_path, capsys,
                                                                         damage):
    out = tmp_path / "run"
    shutil.copytree(interrupted_with_weights, out)
    victim = _first_weight_file(out)
    damage(victim)
    before = snapshot(out)
    code, _, err = cli(capsys, "resume", str(out), "--quiet")
    assert one_line_naming(code, err, victim.name, "--retrain-lost-weights"), err
    assert "damaged" in err if damage is not delete else "missing" in err
    assert snapshot(out) == before
    code, _, err = cli(capsys, "resume", str(out), "--quiet", "--retrain-lost-weights")
    assert code == 0, err
    change = json.loads((out / "experiment.json").read_text())["changes"][-1]
    assert not change["exact_continuation"] and victim.name in change["change"]
    assert json.loads((out / "checkpoint.json").read_text())["generation"] == 4
    if damage is not delete:  # what was left of it is kept aside for inspection
        assert (out / "weights" / "damaged" / victim.name).read_bytes() == before[f"weights/{victim.name}"]


@pytest.mark.parametrize("damage", [delete, garble, not_an_object])
def test_damaged_weight_index_is_refused_then_every_weight_retrained_on_request(interrupted_with_weights, tmp_path,
                                                                               capsys, damage):
    out = tmp_path / "run"
    shutil.copytree(interrupted_with_weights, out)
    damage(out / "weights" / "index.json")
    before = snapshot(out)
    code, _, err = cli(capsys, "resume", str(out), "--quiet")
    assert one_line_naming(code, err, "index.json", "--retrain-lost-weights"), err
    assert snapshot(out) == before
    code, _, err = cli(capsys, "resume", str(out), "--quiet", "--retrain-lost-weights")
    assert code == 0, err
    kept = {name for name in before if name.startswith("weights/") and name.endswith(".weights.h5")}
    assert {f"weights/{p.name}" for p in (out / "weights" / "damaged").iterdir()} >= kept  # none trusted, all kept
    assert json.loads((out / "checkpoint.json").read_text())["generation"] == 4


def test_intact_weights_resume_exactly(interrupted_with_weights, tmp_path, capsys):
    out = tmp_path / "run"
    shutil.copytree(interrupted_with_weights, out)
    code, _, err = cli(capsys, "resume", str(out), "--quiet")
    assert code == 0, err
    assert "changes" not in json.loads((out / "experiment.json").read_text())


# -- study.json ----------------------------------------------------------------------------------------
STUDY_EXPERIMENT = """
from evodeap.config.settings import ExperimentConfig
from evodeap.genome.space import SearchSpace

CONFIG = ExperimentConfig(name="tiny_study", space=SearchSpace(family="cnn", min_layers=2, max_layers=4),
                          population_size=4, generations=1, seed=0)
VARIANTS = {"a": {}, "b": {"cxpb": 0.0}}
SEEDS = [1]
"""


def _escaping_variant(d): d["variants"] = ["../escape"]
def _seed_text(d): d["seeds"] = ["1"]


@pytest.fixture(scope="module")
def study(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("study")
    experiment = root / "study_exp.py"
    experiment.write_text(textwrap.dedent(STUDY_EXPERIMENT))
    assert main(["run", str(experiment), "--out", str(root / "study"), "--quiet"]) == 0
    return root / "study"


@pytest.mark.parametrize("damage, message", [
    (truncate, "corrupt"), (garble, "corrupt"), (empty, "corrupt"), (not_an_object, "expected a JSON object"),
    (edit_json(_escaping_variant), "'variants' must be a non-empty list of names"),
    (edit_json(_seed_text), "'seeds' must be a non-empty list of integers"),
    (delete, "study.json is missing"),
], ids=["truncate", "garble", "empty", "not_an_object", "escaping_variant", "seed_text", "delete"])
def test_damaged_study_json_is_refused_by_resume_and_report(study, tmp_path, capsys, damage, message):
    out = tmp_path / "study"
    shutil.copytree(study, out)
    damage(out / "study.json")
    before = snapshot(out)
    for argv in (["resume", str(out), "--quiet"], ["report", str(out), "--out", str(tmp_path / "report")]):
        code, _, err = cli(capsys, *argv)
        assert one_line_naming(code, err, "study.json", message), (argv, err)
    assert snapshot(out) == before
    assert not (tmp_path / "escape").exists()
