"""Versioned run-directory files: older files load with their defaults, every mismatch names its keys."""
from __future__ import annotations

import json
import shutil
import sqlite3
import textwrap
from pathlib import Path

import pytest

from evodeap.runs import formats
from evodeap.cli import main
from evodeap.errors import DamagedFileError, RunDirectoryError
from helpers_rundir import interrupted_weights_run
from helpers_rundir import comparable

CALLABLE_EXPERIMENT = """
from evodeap.config.settings import ExperimentConfig
from evodeap.operators.mutation import mut_add_layer
from evodeap.genome.space import SearchSpace

CONFIG = ExperimentConfig(name="callables", space=SearchSpace(family="cnn", min_layers=2, max_layers=5),
                          mutation=mut_add_layer, population_size=6, generations=3, seed=4)
"""
ADDED_LATER = ("compute_budget", "early_termination", "inheritance", "multi_fidelity", "strategy", "fixed_genome")


def run_pair(tmp_path: Path) -> tuple[Path, Path]:
    """A finished run and a copy stopped before its last two generations (checkpoint at generation 1)."""
    experiment = tmp_path / "exp.py"
    experiment.write_text(textwrap.dedent(CALLABLE_EXPERIMENT))
    whole = tmp_path / "whole"
    assert main(["run", str(experiment), "--out", str(whole), "--quiet"]) == 0
    return experiment, whole


def cut_back(whole: Path, cut: Path, generation: int) -> None:
    """``cut`` = ``whole`` as it was after ``generation`` (checkpoint and rows of later generations gone)."""
    shutil.copytree(whole, cut)
    state = json.loads((whole / "checkpoint.json").read_text())
    for name in ("hall_of_fame.json", "space.json", "checkpoint.json"):
        (cut / name).unlink()
    conn = sqlite3.connect(cut / "results.sqlite")
    with conn:
        conn.execute("DELETE FROM evaluations WHERE generation > ?", (generation,))
        conn.execute("DELETE FROM generations WHERE generation > ?", (generation,))
    conn.close()
    assert state["generation"] > generation


def test_config_json_of_an_older_evodeap_resumes_with_defaults_and_old_names(tmp_path, capsys):
    _, whole = run_pair(tmp_path)
    recorded = json.loads((whole / "config.json").read_text())
    assert recorded["format"] == formats.CONFIG_FORMAT
    assert recorded["mutation"] == {"callable": "evodeap.operators.mutation.mut_add_layer"}
    cut = tmp_path / "cut"
    cut_back(whole, cut, 1)
    old = {k: v for k, v in recorded.items() if k != "format" and k not in ADDED_LATER}
    old["mutation"] = {"callable": "operators.mutation.mut_add_layer"}  # before the move under evodeap.
    (cut / "config.json").write_text(json.dumps(old, indent=1))
    experiment = json.loads((cut / "experiment.json").read_text())
    (cut / "experiment.json").write_text(json.dumps({"file": experiment["file"], "overrides": {}}))  # format 1
    capsys.readouterr()
    assert main(["resume", str(cut), "--quiet"]) == 0, capsys.readouterr().err
    assert comparable(cut) == comparable(whole)
    assert json.loads((cut / "config.json").read_text()) == old  # an old file is read, never rewritten
    upgraded = json.loads((cut / "experiment.json").read_text())
    assert upgraded["format"] == formats.EXPERIMENT_FORMAT and upgraded["sources"]["sha256"]  # hashes recorded now


def test_a_config_mismatch_names_every_changed_key(tmp_path, capsys):
    _, whole = run_pair(tmp_path)
    recorded = json.loads((whole / "config.json").read_text())
    recorded["space"]["hyperparameters"]["learning_rate"]["high"] = 0.2
    recorded["seed"] = 5
    del recorded["compute_budget"]  # missing: filled with its default, so not a change
    (whole / "config.json").write_text(json.dumps(recorded))
    capsys.readouterr()
    assert main(["resume", str(whole)]) == 2
    err = capsys.readouterr().err
    assert "changed: seed: 5 -> 4; space.hyperparameters.learning_rate.high: 0.2 -> 0.1)" in err
    assert "compute_budget" not in err


def test_read_config_fills_defaults_renames_and_refuses_newer_formats():
    defaults = formats.config_defaults()
    filled = formats.read_config({"name": "x", "crossover": {"callable": "operators.crossover.f"}}, "config.json")
    assert filled["crossover"] == {"callable": "evodeap.operators.crossover.f"}
    assert set(filled) == set(defaults) and filled["population_size"] == defaults["population_size"]
    assert formats.normalize_names({"a": [{"class": "models.cnn.X", "v": 1}]}) == \
        {"a": [{"class": "evodeap.models.cnn.X", "v": 1}]}
    with pytest.raises(RunDirectoryError, match="newer evodeap .format 3; this one reads up to 2"):
        formats.read_config({"format": 3}, "config.json")
    with pytest.raises(DamagedFileError, match="expected a JSON object, found a list"):
        formats.read_config([], "config.json")
    assert formats.config_differences({"a": {"b": 1, "c": [1]}}, {"a": {"b": 2, "c": [1]}, "d": 0}) == \
        ["a.b: 2 -> 1", "d: 0 -> (no longer a setting)"]


def test_database_of_an_older_evodeap_is_read(tmp_path, capsys):
    """user_version 0 (before versioning) and left in WAL mode, as the old writer left it."""
    _, whole = run_pair(tmp_path)
    cut = tmp_path / "cut"
    cut_back(whole, cut, 1)
    conn = sqlite3.connect(cut / "results.sqlite")
    conn.execute("PRAGMA user_version = 0")
    conn.execute("PRAGMA journal_mode = WAL")
    conn.close()
    assert main(["resume", str(cut), "--quiet"]) == 0, capsys.readouterr().err
    assert comparable(cut) == comparable(whole)


def test_weights_folder_from_before_the_index_is_adopted(tmp_path, capsys):
    out = interrupted_weights_run(tmp_path)
    (out / "weights" / "index.json").unlink()
    source = json.loads((out / "experiment.json").read_text())
    source.pop("format")  # written before versioning: a folder without an index is expected
    (out / "experiment.json").write_text(json.dumps(source))
    assert main(["resume", str(out), "--quiet"]) == 0, capsys.readouterr().err
    index = json.loads((out / "weights" / "index.json").read_text())
    assert index["format"] == 1 and set(index["files"]) == {p.name for p in (out / "weights").glob("*.weights.h5")}
