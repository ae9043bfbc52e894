"""One writer per run directory: the lock, tested with real processes."""
from __future__ import annotations

import json
import multiprocessing
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from evodeap.errors import RunLockedError, UnsafePathError
from evodeap.runs.lock import LOCK_NAME, RunLock, holder

ROOT = Path(__file__).resolve().parents[2]
DEMO = str(ROOT / "experiments" / "landscape_demo.py")
SLOW_RUN = ["--set", "population_size=6", "--set", "generations=4", "--set", "fitness_params.delay=0.25",
            "--set", "refine_every=0"]


def cli(*argv: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "evodeap", *argv], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, cwd=ROOT)


def wait_for(predicate, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError("condition not reached")
        time.sleep(0.01)


def evaluations_stored(directory: Path) -> int:
    try:
        conn = sqlite3.connect(f"file:{directory / 'results.sqlite'}?mode=ro", uri=True)
        try:
            return conn.execute("SELECT COUNT(*) FROM evaluations").fetchone()[0]
        finally:
            conn.close()
    except sqlite3.Error:
        return 0


@pytest.mark.slow
def test_a_second_writer_is_refused_naming_the_holder_and_a_killed_holders_lock_is_taken_over(tmp_path):
    out = tmp_path / "run"
    first = cli("run", DEMO, *SLOW_RUN, "--out", str(out), "--quiet")
    wait_for(lambda: evaluations_stored(out) >= 1 or first.poll() is not None)
    assert first.poll() is None, first.stderr.read()
    info = json.loads((out / LOCK_NAME).read_text())
    assert info["pid"] == first.pid and info["host"] == socket.gethostname() and info["command"] == "run"
    commands = {"resume": ["resume", str(out)], "report": ["report", str(out)],
                "run": ["run", DEMO, "--out", str(out)]}
    others = {name: cli(*argv) for name, argv in commands.items()}  # all at once, while the run goes on
    for name, other in others.items():
        assert other.wait(timeout=120) == 2
        err = other.stderr.read()
        assert err.count("\n") == 1 and "Traceback" not in err, err
        assert f"is in use: evodeap run (pid {first.pid} on {socket.gethostname()}, since {info['since']})" in err, err
        if name == "report":
            assert f"evodeap report {out} --out OUT" in err
    assert first.poll() is None  # the holder was not disturbed
    first.send_signal(signal.SIGKILL)
    first.wait()
    assert json.loads((out / LOCK_NAME).read_text())["pid"] == first.pid  # left behind: stale
    assert holder(out) is None  # ... and not held by anyone
    resumed = cli("resume", str(out), "--quiet")
    assert resumed.wait(timeout=300) == 0, resumed.stderr.read()
    assert not (out / LOCK_NAME).exists()
    assert json.loads((out / "checkpoint.json").read_text())["generation"] == 4


@pytest.mark.slow
def test_two_resumes_at_once_one_runs_one_is_refused(tmp_path):
    out = tmp_path / "run"
    first = cli("run", DEMO, *SLOW_RUN, "--out", str(out), "--quiet")
    wait_for(lambda: (out / "checkpoint.json").exists() or first.poll() is not None)
    first.send_signal(signal.SIGKILL)
    first.wait()
    both = [cli("resume", str(out), "--quiet") for _ in range(2)]
    codes = sorted(p.wait(timeout=300) for p in both)
    errors = [p.stderr.read() for p in both]
    assert codes == [0, 2], errors
    assert any("is in use: evodeap resume (pid" in e for e in errors), errors
    assert json.loads((out / "checkpoint.json").read_text())["generation"] == 4
    assert not list(out.glob(".*.tmp"))  # no temporary file was shared or left behind


def _hold(directory: str, ready, release) -> None:
    with RunLock(directory, "resume"):
        ready.set()
        release.wait(60)


def test_lock_excludes_another_process_and_is_reentrant_in_its_own(tmp_path):
    context = multiprocessing.get_context("spawn")
    ready, release = context.Event(), context.Event()
    child = context.Process(target=_hold, args=(str(tmp_path), ready, release))
    child.start()
    try:
        assert ready.wait(60)
        with pytest.raises(RunLockedError, match=f"evodeap resume \\(pid {child.pid} on "):
            RunLock(tmp_path, "report").acquire()
        assert holder(tmp_path)["pid"] == child.pid
    finally:
        release.set()
        child.join(60)
    assert not (tmp_path / LOCK_NAME).exists()
    with RunLock(tmp_path, "run") as outer:
        with RunLock(tmp_path, "run"):  # a study holds its lock while a helper takes it again
            pass
        assert (tmp_path / LOCK_NAME).exists() and outer.stale is None
    assert not (tmp_path / LOCK_NAME).exists()


def test_a_planted_link_is_never_used_as_the_lock(tmp_path):
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    (run_dir / LOCK_NAME).symlink_to(victim)
    with pytest.raises(UnsafePathError, match="symbolic link"):
        RunLock(run_dir, "report").acquire()
    assert victim.read_text() == "keep me"


def test_stale_lock_file_names_its_dead_holder(tmp_path):
    (tmp_path / LOCK_NAME).write_text(json.dumps({"host": "elsewhere", "pid": 99999999, "command": "run",
                                                  "since": "2024-01-01 00:00:00 +0000"}))
    with RunLock(tmp_path, "resume") as lock:
        assert lock.stale["pid"] == 99999999
        assert json.loads((tmp_path / LOCK_NAME).read_text())["pid"] == os.getpid()


def test_a_refusal_never_names_the_dead_process_a_new_holder_took_the_lock_over_from(tmp_path):
    import fcntl

    dead = subprocess.Popen(["true"])
    dead.wait()
    fd = os.open(tmp_path / LOCK_NAME, os.O_RDWR | os.O_CREAT)
    fcntl.flock(fd, fcntl.LOCK_EX)  # a new holder that has not yet written its name ...
    os.pwrite(fd, json.dumps({"host": socket.gethostname(), "pid": dead.pid, "command": "run",
                              "since": "then"}).encode(), 0)  # ... over the killed one's
    try:
        with pytest.raises(RunLockedError) as refused:
            RunLock(tmp_path, "resume").acquire()
        assert f"pid {dead.pid}" not in str(refused.value) and "another process" in str(refused.value)
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps({"host": socket.gethostname(), "pid": os.getpid(), "command": "resume",
                                  "since": "now"}).encode(), 0)
        with pytest.raises(RunLockedError, match=f"evodeap resume \\(pid {os.getpid()} on"):
            RunLock(tmp_path, "report").acquire()
    finally:
        os.close(fd)
