"""A run directory made before layer kinds became plug-ins resumes to the old code's result.

``tests/fixtures/old_landscape_run`` was made with that code (``tests/fixtures/make_old_run.py``):
a landscape run of ``old_landscape_experiment.py`` interrupted by Ctrl-C in the middle of
generation 2, plus ``expected.json``, the outcome of the same run left uninterrupted (final
population, hall of fame, logbook, refined space). Resuming it with today's code, from
Python and through the CLI, must give exactly that outcome.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from evodeap.genome.genome import Genome
from evodeap.runs.lifecycle import resume
from helpers_rundir import db_logbook

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures"



def old_run(tmp_path: Path) -> Path:
    """A copy of the fixture whose experiment.json points at the experiment in this checkout."""
    directory = tmp_path / "old_run"
    shutil.copytree(FIXTURES / "old_landscape_run", directory)
    (directory / "expected.json").unlink()
    record = json.loads((directory / "experiment.json").read_text())
    record["file"] = str(FIXTURES / "old_landscape_experiment.py")
    (directory / "experiment.json").write_text(json.dumps(record))
    return directory


def outcome(directory: Path) -> dict:
    checkpoint = json.loads((directory / "checkpoint.json").read_text())
    hall = json.loads((directory / "hall_of_fame.json").read_text())
    return {
        "population": [{"key": Genome.from_dict(p["genome"]).key(), "fitness": p["fitness"]}
                       for p in checkpoint["population"]],
        "hall_of_fame": [{"key": h["key"], "fitness": h["fitness"]} for h in hall],
        # "elapsed" is wall time; "repaired" was added to the logbook after the fixture was made
        "logbook": [{k: v for k, v in row.items() if k not in ("elapsed", "repaired")} for row in db_logbook(directory)],
        "repaired": sum(row.get("repaired", 0) for row in db_logbook(directory)),
        "space": json.loads((directory / "space.json").read_text()),
    }


def expected() -> dict:
    """The old outcome in today's column names (the logbook's ``gen`` is now ``generation``)."""
    old = json.loads((FIXTURES / "old_landscape_run" / "expected.json").read_text())
    renamed = [{("generation" if k == "gen" else k): v for k, v in row.items()} for row in old["logbook"]]
    return {**old, "logbook": renamed, "repaired": 0}


def test_the_fixture_is_an_interrupted_run():
    checkpoint = json.loads((FIXTURES / "old_landscape_run" / "checkpoint.json").read_text())
    assert checkpoint["generation"] == 1 and len(expected()["logbook"]) == 5


def test_an_old_run_resumes_to_the_old_uninterrupted_result(tmp_path):
    directory = old_run(tmp_path)
    result = resume(directory)
    assert outcome(directory) == expected()
    assert [ind.key() for ind in result.population] == [p["key"] for p in expected()["population"]]


def test_an_old_run_resumes_through_the_cli(tmp_path):
    directory = old_run(tmp_path)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TF_CPP_MIN_LOG_LEVEL": "3"}
    done = subprocess.run([sys.executable, "-m", "evodeap", "resume", str(directory), "--quiet"],
                          capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stderr
    assert outcome(directory) == expected()


def test_a_checkpoint_genome_of_a_kind_nothing_registers_is_refused_before_anything_is_written(tmp_path):
    import pytest

    from evodeap.errors import RunDirectoryError

    directory = old_run(tmp_path)
    checkpoint = json.loads((directory / "checkpoint.json").read_text())
    checkpoint["population"][0]["genome"]["layers"][0]["kind"] = "cxnv"
    (directory / "checkpoint.json").write_text(json.dumps(checkpoint, indent=1))
    before = {p.name: p.read_bytes() for p in directory.iterdir() if p.is_file()}
    with pytest.raises(RunDirectoryError, match="layer kind\\(s\\) cxnv, which nothing registers"):
        resume(directory)
    assert {name: (directory / name).read_bytes() for name in before} == before  # (SQLite may add its -wal/-shm)
