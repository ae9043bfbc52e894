"""Full disks, read-only folders and run directories from someone else."""
from __future__ import annotations

import errno
import json
import os
import shutil
import sqlite3
import sys
import textwrap
from pathlib import Path

import pytest

import evodeap.files as files
from evodeap.cli import main
from evodeap.runs.lock import LOCK_NAME
from helpers_rundir import DEMO, comparable

SMALL = ["--set", "population_size=6", "--set", "generations=3", "--set", "refine_every=2"]


def cli(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("reference") / "run"
    assert main(["run", DEMO, *SMALL, "--out", str(out), "--quiet"]) == 0
    return out


@pytest.fixture()
def received(reference, tmp_path) -> Path:
    """A finished run directory as someone might send it."""
    out = tmp_path / "received"
    shutil.copytree(reference, out)
    return out


def tree(root: Path, skip: Path | None = None) -> dict[str, bytes]:
    """Every file under ``root`` except those under ``skip`` (links as their target text)."""
    found = {}
    for path in sorted(root.rglob("*")):
        if skip is not None and (path == skip or skip in path.parents):
            continue
        if path.is_symlink():
            found[str(path)] = f"-> {os.readlink(path)}".encode()
        elif path.is_file():
            found[str(path)] = path.read_bytes()
    return found


# -- full disks -----------------------------------------------------------------------------------
def test_disk_full_during_a_run_is_one_line_and_resume_after_freeing_space_finishes(tmp_path, capsys, monkeypatch,
                                                                                    reference):
    out = tmp_path / "run"
    real, writes = files._write_all, []

    def full_after_four(handle, data):
        writes.append(handle)
        if len(writes) == 6:  # experiment.json, config.json, runtime.json, checkpoint 0, logbook 0, then checkpoint 1
            raise OSError(errno.ENOSPC, "No space left on device")
        real(handle, data)

    monkeypatch.setattr(files, "_write_all", full_after_four)
    code, _, err = cli(capsys, "run", DEMO, *SMALL, "--out", str(out), "--quiet")
    assert code == 2 and err.count("\n") == 1 and "Traceback" not in err
    assert f"no space left on the device while writing {out / 'checkpoint.json'}" in err
    assert f"free space, then evodeap resume {out}" in err
    assert json.loads((out / "checkpoint.json").read_text())["generation"] == 0  # the last good one, whole
    assert not [p for p in out.iterdir() if p.name.startswith(".")]
    monkeypatch.undo()  # space freed
    code, _, err = cli(capsys, "resume", str(out), "--quiet")
    assert code == 0, err
    assert comparable(out) == comparable(reference)


class _FullConnection:
    """An SQLite connection whose device fills up after ``rows`` evaluation rows."""

    def __init__(self, conn: sqlite3.Connection, rows: int) -> None:
        self.conn, self.rows = conn, rows

    def execute(self, sql, *args):
        if sql.startswith("INSERT OR REPLACE INTO evaluations"):
            self.rows -= 1
            if self.rows < 0:
                raise sqlite3.OperationalError("database or disk is full")
        return self.conn.execute(sql, *args)

    def __getattr__(self, name):
        return getattr(self.conn, name)


def test_disk_full_in_the_database_is_one_line_and_resumable(tmp_path, capsys, monkeypatch, reference):
    import evodeap.results.storage as storage

    out = tmp_path / "run"
    connect = sqlite3.connect

    def filling(path, *args, **kwargs):
        conn = connect(path, *args, **kwargs)
        return _FullConnection(conn, 9) if str(path) == str(out / "results.sqlite") else conn

    monkeypatch.setattr(storage.sqlite3, "connect", filling)
    code, _, err = cli(capsys, "run", DEMO, *SMALL, "--out", str(out), "--quiet")
    monkeypatch.undo()
    assert code == 2 and err.count("\n") == 1 and "Traceback" not in err, err
    assert f"no space left on the device while writing {out / 'results.sqlite'}" in err and "evodeap resume" in err
    code, _, err = cli(capsys, "resume", str(out), "--quiet")
    assert code == 0, err
    assert comparable(out) == comparable(reference)


# -- read-only folders ------------------------------------------------------------------------------
@pytest.fixture()
def read_only(monkeypatch):
    """Make the folders passed to it read-only for this process, as a read-only mount would
    (chmod cannot: the tests may run as root)."""
    folders: list[str] = []
    real_open, real_mkdir = os.open, os.mkdir
    writing = os.O_WRONLY | os.O_RDWR | os.O_CREAT

    def where(path, dir_fd):
        if dir_fd is not None:
            return os.path.join(os.readlink(f"/proc/self/fd/{dir_fd}"), os.fspath(path))
        return os.path.abspath(os.fspath(path))

    def inside(path) -> bool:
        return any(path == f or path.startswith(f + os.sep) for f in folders)

    def guarded_open(path, flags, mode=0o777, *, dir_fd=None):
        if flags & writing and inside(where(path, dir_fd)):
            raise OSError(errno.EROFS, "Read-only file system", where(path, dir_fd))
        return real_open(path, flags, mode, dir_fd=dir_fd)

    def guarded_mkdir(path, mode=0o777, *, dir_fd=None):
        if inside(where(path, dir_fd)):
            raise OSError(errno.EROFS, "Read-only file system", where(path, dir_fd))
        return real_mkdir(path, mode, dir_fd=dir_fd)

    monkeypatch.setattr(os, "open", guarded_open)
    monkeypatch.setattr(os, "mkdir", guarded_mkdir)
    return lambda folder: folders.append(os.path.realpath(folder))


def test_read_only_run_directory_report_says_so_and_report_out_writes_elsewhere(received, tmp_path, capsys,
                                                                              read_only):
    read_only(received)
    before = tree(received)
    code, _, err = cli(capsys, "report", str(received))
    assert code == 2 and err.count("\n") == 1, err
    assert f"{received} is read-only" in err and f"evodeap report {received} --out OUT" in err
    code, _, err = cli(capsys, "resume", str(received))
    assert code == 2 and err.count("\n") == 1 and "read-only" in err, err
    elsewhere = tmp_path / "report"
    code, out, err = cli(capsys, "report", str(received), "--out", str(elsewhere))
    assert code == 0, err
    assert (elsewhere / "tables" / "generations.csv").is_file() and (elsewhere / "figures" / "evolution.png").is_file()
    assert all(Path(line).is_relative_to(elsewhere) for line in out.splitlines())
    assert tree(received) == before


# -- run directories from someone else ----------------------------------------------------------------
def test_report_never_writes_outside_its_output_folder(received, tmp_path, capsys):
    elsewhere = tmp_path / "report"
    before = tree(tmp_path, skip=elsewhere)
    code, _, err = cli(capsys, "report", str(received), "--out", str(elsewhere))
    assert code == 0, err
    assert tree(tmp_path, skip=elsewhere) == before  # not even a lock file or an SQLite -shm in the run directory


@pytest.mark.parametrize("planted", ["tables", "figures"])
def test_a_planted_folder_link_is_refused_and_its_target_untouched(received, tmp_path, capsys, planted):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "generations.csv").write_text("precious")
    (received / planted).symlink_to(outside, target_is_directory=True)
    code, _, err = cli(capsys, "report", str(received))
    assert code == 2 and err.count("\n") == 1 and f"{received / planted} is a symbolic link" in err, err
    assert tree(outside) == {str(outside / "generations.csv"): b"precious"}


def test_a_planted_file_link_is_replaced_never_written_through(received, tmp_path, capsys):
    outside = tmp_path / "precious.csv"
    outside.write_text("precious")
    (received / "tables").mkdir()
    (received / "tables" / "generations.csv").symlink_to(outside)
    code, _, err = cli(capsys, "report", str(received))
    assert code == 0, err
    assert outside.read_text() == "precious"
    written = received / "tables" / "generations.csv"
    assert not written.is_symlink() and written.read_text().startswith("generation,")


@pytest.mark.parametrize("name", ["results.sqlite", "results.sqlite-wal", LOCK_NAME])
def test_planted_database_and_lock_links_are_refused(received, tmp_path, capsys, name):
    outside = tmp_path / "outside.bin"
    if name == "results.sqlite":
        shutil.copy(received / name, outside)
        (received / name).unlink()
    else:
        outside.write_bytes(b"precious")
    before = outside.read_bytes()
    (received / name).symlink_to(outside)
    for argv in (["report", str(received)], ["report", str(received), "--out", str(tmp_path / "r")],
                 ["resume", str(received)]):
        code, _, err = cli(capsys, *argv)
        if name == LOCK_NAME and "--out" in argv:  # reading elsewhere takes no lock: nothing to refuse
            assert code == 0, err
            continue
        assert code == 2 and err.count("\n") == 1 and "symbolic link" in err and name in err, (argv, err)
    assert outside.read_bytes() == before


def test_planted_temporary_file_links_never_redirect_a_write(reference, tmp_path, capsys):
    """The checkpoint is written through a fresh temporary file, never a planted one."""
    out = tmp_path / "run"
    shutil.copytree(reference, out)
    (out / "checkpoint.json").unlink()  # resume then rewrites every generation's checkpoint
    outside = tmp_path / "precious.txt"
    outside.write_text("precious")
    for name in (".checkpoint.json.tmp", f".checkpoint.json.{'ab' * 6}.tmp", ".logbook.csv.tmp"):
        (out / name).symlink_to(outside)
    code, _, err = cli(capsys, "resume", str(out), "--quiet")
    assert code == 0, err
    assert outside.read_text() == "precious"
    assert comparable(out) == comparable(reference)


@pytest.mark.parametrize("folder", ["weights", "tensorboard", "tensorboard/generations"])
def test_planted_output_folder_links_are_refused_by_resume(received, tmp_path, capsys, folder):
    outside = tmp_path / "outside"
    outside.mkdir()
    (received / folder).parent.mkdir(exist_ok=True)
    (received / folder).symlink_to(outside, target_is_directory=True)
    (received / "checkpoint.json").unlink()
    code, _, err = cli(capsys, "resume", str(received))
    assert code == 2 and f"{received / folder} is a symbolic link" in err, err
    assert list(outside.iterdir()) == []


def test_a_config_json_link_to_a_device_is_refused_not_read(received, capsys):
    (received / "config.json").unlink()
    (received / "config.json").symlink_to("/dev/zero")
    code, _, err = cli(capsys, "resume", str(received))
    assert code == 2 and "config.json is a symbolic link" in err, err


def test_resume_never_executes_a_file_that_came_with_the_run_directory(received, tmp_path, capsys):
    marker = tmp_path / "executed"
    planted = received / "exp.py"
    planted.write_text(Path(DEMO).read_text() + f"\nopen({str(marker)!r}, 'w').close()\n")
    source = json.loads((received / "experiment.json").read_text())
    source["file"] = str(planted)
    (received / "experiment.json").write_text(json.dumps(source))
    code, _, err = cli(capsys, "report", str(received), "--out", str(tmp_path / "report"))
    assert code == 0 and not marker.exists()  # report executes nothing
    code, _, err = cli(capsys, "resume", str(received))
    assert code == 2 and err.count("\n") == 1 and "lies inside the run directory" in err, err
    assert f"evodeap resume {received} --experiment {planted}" in err
    assert not marker.exists()
    # the user names it: then (and only then) it runs — and its hash is checked like any other
    code, out, err = cli(capsys, "resume", str(received), "--experiment", str(planted))
    assert code == 2 and "the experiment changed" in err and not marker.exists()
    code, out, err = cli(capsys, "resume", str(received), "--experiment", str(planted), "--force")
    assert code == 0, err
    assert f"resume executes the experiment file {planted}" in out and marker.exists()


def test_resume_prints_the_file_it_executes_and_help_says_it_executes_code(received, capsys):
    code, out, _ = cli(capsys, "resume", str(received), "--quiet")
    assert code == 0 and f"resume executes the experiment file {Path(DEMO).resolve()}" in out
    with pytest.raises(SystemExit):
        main(["resume", "--help"])
    assert "EXECUTES the run's experiment file" in capsys.readouterr().out


def test_resume_with_a_moved_experiment_file_named_on_the_command_line(received, tmp_path, capsys):
    moved = tmp_path / "moved.py"
    moved.write_text(Path(DEMO).read_text())
    source = json.loads((received / "experiment.json").read_text())
    source["file"] = str(tmp_path / "gone.py")
    (received / "experiment.json").write_text(json.dumps(source))
    code, _, err = cli(capsys, "resume", str(received))
    assert code == 2 and "experiment file not found" in err and "--experiment FILE" in err
    code, _, err = cli(capsys, "resume", str(received), "--experiment", str(moved), "--quiet")
    assert code == 0, err
    updated = json.loads((received / "experiment.json").read_text())
    assert updated["file"] == str(moved) and updated["changes"][-1]["exact_continuation"]


def test_a_changed_user_module_is_refused_on_resume_unless_forced(tmp_path, capsys, monkeypatch):
    library = tmp_path / "lib"
    library.mkdir()
    (library / "my_ops.py").write_text(textwrap.dedent("""
        def pick(individuals, k, rng):
            return [individuals[i] for i in rng.integers(0, len(individuals), k)]
    """))
    monkeypatch.syspath_prepend(str(library))
    monkeypatch.delitem(sys.modules, "my_ops", raising=False)
    experiment = tmp_path / "exp.py"
    experiment.write_text(textwrap.dedent("""
        from evodeap.config.settings import ExperimentConfig
        from my_ops import pick

        CONFIG = ExperimentConfig(population_size=6, generations=2, selection=pick, selection_params={})
    """))
    out = tmp_path / "run"
    code, _, err = cli(capsys, "run", str(experiment), "--out", str(out), "--quiet")
    assert code == 0, err
    modules = json.loads((out / "experiment.json").read_text())["sources"]["modules"]
    assert list(modules) == ["my_ops"] and modules["my_ops"]["path"] == str(library / "my_ops.py")
    (out / "checkpoint.json").unlink()
    (library / "my_ops.py").write_text((library / "my_ops.py").read_text() + "# edited\n")
    code, out_text, err = cli(capsys, "resume", str(out), "--quiet")
    assert code == 2 and err.count("\n") == 1 and f"{library / 'my_ops.py'} (sha256" in err, err
    assert "resume executes" not in out_text  # refused before anything was executed
    code, _, err = cli(capsys, "resume", str(out), "--quiet", "--force")
    assert code == 0, err
    assert "my_ops.py" in json.loads((out / "experiment.json").read_text())["changes"][-1]["change"]
