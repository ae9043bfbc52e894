"""Every state of a run directory is resumable: kill a real run at each stage of its start
and its finish (SIGKILL, tests/kill_at.py), then ``evodeap resume`` must finish it exactly
as an uninterrupted run."""
from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from helpers_rundir import DEMO, comparable

ROOT = Path(__file__).resolve().parents[2]
KILL_AT = str(Path(__file__).resolve().parents[1] / "kill_at.py")
ARGS = ["--set", "population_size=6", "--set", "generations=3", "--set", "refine_every=2", "--quiet"]
START = ["experiment.json", "config.json", "database-unrenamed", "database", "first-evaluation"]
FINISH = ["final-checkpoint", "hall_of_fame.json", "space.json", "status"]


def evodeap(*argv: str, stage: str | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    command = [sys.executable, KILL_AT, stage, *argv] if stage else [sys.executable, "-m", "evodeap", *argv]
    return subprocess.run(command, capture_output=True, text=True, env=env, timeout=300, cwd=ROOT)


def status(directory: Path) -> str:
    conn = sqlite3.connect(f"file:{directory / 'results.sqlite'}?mode=ro", uri=True)
    try:
        return conn.execute("SELECT status FROM runs").fetchone()[0]
    finally:
        conn.close()


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory) -> dict:
    out = tmp_path_factory.mktemp("whole") / "run"
    done = evodeap("run", DEMO, *ARGS, "--out", str(out))
    assert done.returncode == 0, done.stderr
    return comparable(out)


@pytest.mark.slow
@pytest.mark.parametrize("stage", START + FINISH)
def test_a_run_killed_at_any_stage_of_its_start_or_finish_is_finished_by_resume(tmp_path, uninterrupted, stage):
    out = tmp_path / "run"
    killed = evodeap("run", DEMO, *ARGS, "--out", str(out), stage=stage)
    assert killed.returncode == -9, killed.stderr  # it really died at that stage
    if stage in START[:3]:
        assert not (out / "results.sqlite").exists()
        # the hint of `run` on this directory is the command that works
        again = evodeap("run", DEMO, *ARGS, "--out", str(out))
        assert again.returncode == 2 and f"evodeap resume {out}" in again.stderr
    if stage in FINISH:
        assert json.loads((out / "checkpoint.json").read_text())["generation"] == 3
        assert status(out) == "running"
    resumed = evodeap("resume", str(out), "--quiet")
    assert resumed.returncode == 0, resumed.stderr
    assert comparable(out) == uninterrupted
    assert status(out) == "finished"
    assert not [p.name for p in out.iterdir() if p.name.startswith(".")]  # no temporary file, no lock left
    again = evodeap("resume", str(out), "--quiet")
    assert again.returncode == 0 and "already complete" in again.stdout and "wrote" not in again.stdout


@pytest.mark.slow
def test_an_empty_directory_left_by_a_start_killed_before_any_file_is_started_again_by_run(tmp_path):
    out = tmp_path / "run"
    out.mkdir()
    refused = evodeap("resume", str(out))
    assert refused.returncode == 2 and f"evodeap run EXPERIMENT.py --out {out}" in refused.stderr
    assert evodeap("run", DEMO, *ARGS, "--out", str(out)).returncode == 0
