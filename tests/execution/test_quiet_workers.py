"""Process workers start quiet and stop quiet (issue 26): start-up lines on stderr are held
back (and shown when the start fails), Ctrl-C goes to the parent alone, and ``--workers N``
without ``--executor`` runs on processes."""
from __future__ import annotations

import json
import re
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

import noisy_worker_module
from evodeap.cli import main
from evodeap.config.settings import ExperimentConfig, executor_name
from evodeap.execution.executors import ProcessExecutor
from evodeap.execution.quiet import quiet_stderr

ROOT = Path(__file__).resolve().parents[2]
DEMO = str(ROOT / "experiments" / "landscape_demo.py")
sys.path.insert(0, str(Path(__file__).parent))  # spawned workers import the helper module too


def test_start_up_lines_of_workers_are_held_back(capfd, monkeypatch):
    monkeypatch.setenv("EVODEAP_TEST_NOISE", "1")
    with ProcessExecutor(workers=2) as executor:
        assert executor.map(noisy_worker_module.square, [1, 2, 3, 4]) == [1, 4, 9, 16]
        assert executor.map(noisy_worker_module.speak, [5]) == [5]
    err = capfd.readouterr().err
    assert "start-up line" not in err
    assert "evaluation 5 speaks" in err  # after the start, stderr is the worker's own


def test_a_failed_start_shows_what_was_held_back(capfd, monkeypatch):
    monkeypatch.setenv("EVODEAP_TEST_NOISE", "1")
    monkeypatch.setenv("EVODEAP_TEST_BROKEN", "1")
    lost = []
    with ProcessExecutor(workers=1, retries=0) as executor:
        list(executor.imap_unordered(noisy_worker_module.square, [2], on_lost=lambda item, m: lost.append(m)))
    err = capfd.readouterr().err
    assert lost and "worker died" in lost[0]
    assert "start-up line" in err and "this module cannot be imported here" in err


def test_quiet_stderr_holds_fd_2_and_replays_it_on_failure(capfd):
    with quiet_stderr():
        os.write(2, b"hidden\n")
    with pytest.raises(RuntimeError):
        with quiet_stderr():
            os.write(2, b"shown because the block failed\n")
            raise RuntimeError("boom")
    err = capfd.readouterr().err
    assert "hidden" not in err and "shown because the block failed" in err


def test_more_workers_than_one_imply_the_process_executor(tmp_path, capsys):
    assert executor_name(ExperimentConfig(workers=2)) == "process"
    assert executor_name(ExperimentConfig(workers=1)) == "serial"
    assert executor_name(ExperimentConfig(executor="ray", workers=2)) == "ray"
    out = tmp_path / "run"
    assert main(["run", DEMO, "--workers", "2", "--set", "population_size=4", "--set", "generations=1",
                 "--out", str(out), "--quiet"]) == 0
    assert json.loads((out / "config.json").read_text())["executor"] == "process"
    assert json.loads((out / "experiment.json").read_text())["overrides"]["executor"] == "process"
    with sqlite3.connect(out / "results.sqlite") as db:
        workers = {w for (w,) in db.execute("SELECT worker FROM evaluations")}
    assert str(os.getpid()) not in {w.rsplit(":", 1)[-1] for w in workers}  # not evaluated in this process


def _evaluations(directory: Path) -> int:
    try:
        with sqlite3.connect(f"file:{directory / 'results.sqlite'}?mode=ro", uri=True) as db:
            return db.execute("SELECT COUNT(*) FROM evaluations").fetchone()[0]
    except sqlite3.Error:
        return 0


@pytest.mark.slow
def test_ctrl_c_stops_a_process_run_with_one_line_and_no_traceback(tmp_path):
    """SIGINT to the whole process group, as a terminal's Ctrl-C sends it."""
    out = tmp_path / "run"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("TF_CPP_MIN_LOG_LEVEL", None)
    proc = subprocess.Popen([sys.executable, "-m", "evodeap", "run", DEMO, "--executor", "process", "--workers", "2",
                             "--set", "population_size=6", "--set", "generations=50", "--set", "fitness_params.delay=0.2",
                             "--out", str(out), "--quiet"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=env, start_new_session=True)
    deadline = time.monotonic() + 240
    while _evaluations(out) < 2 and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.2)
    assert proc.poll() is None, proc.stderr.read()
    os.killpg(proc.pid, signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert "Traceback" not in err and "KeyboardInterrupt" not in err, err
    assert err.strip().splitlines() == [f"evodeap: error: interrupted; everything finished is saved. "
                                        f"Resume with: evodeap resume {out}"], err


START_UP_LINE = re.compile(r"^(WARNING: All log messages before absl|[IWEF]\d{4} \d\d:\d\d:\d\d)", re.M)


@pytest.mark.slow
def test_a_keras_run_on_process_workers_prints_no_tensorflow_start_up_lines(tmp_path):
    """Real Keras training in two spawned workers, TF_CPP_MIN_LOG_LEVEL unset: none of
    TensorFlow's or CUDA's start-up lines (absl, oneDNN, cudart, cuInit) reach stderr."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("TF_CPP_MIN_LOG_LEVEL", None)
    done = subprocess.run([sys.executable, "-m", "evodeap", "run", str(ROOT / "experiments" / "custom_kind.py"),
                           "--out", str(tmp_path / "run"), "--workers", "2", "--quiet",
                           "--set", "population_size=3", "--set", "generations=1",
                           "--set", "fitness_params.data.videos=[16,8,8]", "--set", "space.epochs.high=1"],
                          capture_output=True, text=True, env=env, timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    assert not START_UP_LINE.search(done.stderr), done.stderr[-3000:]
    assert json.loads((tmp_path / "run" / "config.json").read_text())["executor"] == "process"
