"""Run directories that lie, hostile file types, interruptions at the wrong moment.

Three classes, each held by one mechanism (docs/runs.md, "Guarantees"):

1. files that parse but lie — every JSON file and JSON column goes through one bounded
   reader (size, depth) and a schema check; a checkpoint is bound to its run (run id,
   seed, configuration) and checked against the plan; a results database holds nothing
   evodeap never creates; a WAL or hot journal is recovered, not called damage;
2. hostile file types and links — regular files only, opened without following links and
   without blocking, bounded; a hard-linked file is copied before it is written; recorded
   paths are absolute;
3. interruptions and moves — a change of several files has one commit point; the lock
   holds the directory itself; a directory moved under its run stops it with one line.
"""
from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evodeap.cli import main
from evodeap.errors import RunDirectoryError, RunLockedError
from evodeap.runs.lock import LOCK_NAME, RunLock
from helpers_rundir import comparable, snapshot

ROOT = Path(__file__).resolve().parents[2]
DEMO = str(ROOT / "experiments" / "landscape_demo.py")
SMALL = ["--set", "population_size=6", "--quiet"]
DEEP = "[" * 100_000 + "]" * 100_000


def cli(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def one_line(code: int, err: str, *words: str) -> bool:
    return code == 2 and err.count("\n") == 1 and err.startswith("evodeap: error: ") and "Traceback" not in err \
        and all(w in err for w in words)


def cli_process(*argv: str, timeout: float = 120) -> subprocess.CompletedProcess:
    """The command line in its own process (a hang fails the test instead of stopping the suite)."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "tests"), os.environ.get("PYTHONPATH", "")])}
    return subprocess.run([sys.executable, "-m", "evodeap", *argv], capture_output=True, text=True, timeout=timeout,
                          env=env)


@pytest.fixture(scope="module")
def finished(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("finished") / "run"
    assert main(["run", DEMO, "--set", "generations=2", *SMALL, "--out", str(out)]) == 0
    return out


@pytest.fixture(scope="module")
def stopped(tmp_path_factory) -> Path:
    """A run of 4 generations whose last 2 were never run (its config extended after it finished 2)."""
    out = tmp_path_factory.mktemp("stopped") / "run"
    assert main(["run", DEMO, "--set", "generations=2", *SMALL, "--out", str(out)]) == 0
    config = json.loads((out / "config.json").read_text())
    (out / "config.json").write_text(json.dumps({**config, "generations": 4}))
    experiment = json.loads((out / "experiment.json").read_text())
    (out / "experiment.json").write_text(json.dumps({**experiment, "overrides": {**experiment["overrides"],
                                                                                 "generations": 4}}))
    with sqlite3.connect(out / "results.sqlite") as conn:
        conn.execute("UPDATE runs SET status = 'interrupted'")
    conn.close()
    for name in ("hall_of_fame.json", "space.json"):
        (out / name).unlink()
    return out


@pytest.fixture(scope="module")
def longer(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("longer") / "run"
    assert main(["run", DEMO, "--set", "generations=4", *SMALL, "--out", str(out)]) == 0
    return out


@pytest.fixture()
def copy(finished, tmp_path) -> Path:
    shutil.copytree(finished, tmp_path / "run")
    return tmp_path / "run"


@pytest.fixture()
def unfinished(stopped, tmp_path) -> Path:
    shutil.copytree(stopped, tmp_path / "run")
    return tmp_path / "run"


def edit(path: Path, change) -> None:
    data = json.loads(path.read_text())
    change(data)
    path.write_text(json.dumps(data))


def sql(path: Path, *statements: str) -> None:
    conn = sqlite3.connect(path)
    with conn:
        for statement in statements:
            conn.execute(statement)
    conn.close()


# == 1. files that parse but lie ==========================================================================
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True, allow_infinity=True) | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner, max_size=4), max_leaves=20)


@settings(max_examples=80, deadline=None)
@given(depth=st.integers(0, 3000), as_object=st.booleans())
def test_any_nesting_depth_is_read_or_refused_in_one_line(depth, as_object):
    from evodeap.errors import DamagedFileError
    from evodeap.files import JSON_DEPTH, parse_json

    text = '{"a": ' * depth + "1" + "}" * depth if as_object else "[" * depth + "1" + "]" * depth
    if depth <= JSON_DEPTH:
        assert parse_json(text, "x.json") is not None
    else:
        with pytest.raises(DamagedFileError, match="x.json is corrupt: JSON nested more than"):
            parse_json(text, "x.json")


@settings(max_examples=150, deadline=None)
@given(value=JSON_VALUES, column=st.sampled_from(["fitness", "metrics", "extra", "components", "record", "parents"]))
def test_a_json_column_is_its_form_or_one_line(value, column):
    import math

    from evodeap.errors import DamagedFileError
    from evodeap.results.schema import decode_column

    text = json.dumps(value)
    if column == "fitness":
        ok = isinstance(value, list) and bool(value) and all(
            isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) for v in value)
    else:
        ok = isinstance(value, list) if column == "parents" else isinstance(value, dict)
    if ok:
        assert json.dumps(decode_column(text, column, "db", "row")) == text
    else:
        with pytest.raises(DamagedFileError) as refusal:
            decode_column(text, column, "db", "row")
        assert "\n" not in str(refusal.value) and str(refusal.value).startswith("db is corrupt: row")


@pytest.mark.parametrize("name", ["config.json", "checkpoint.json", "experiment.json", "runtime.json"])
def test_json_nested_100000_levels_deep_is_one_line_for_resume(copy, capsys, name):
    (copy / name).write_text(DEEP)
    before = snapshot(copy)
    code, _, err = cli(capsys, "resume", str(copy), "--quiet")
    assert one_line(code, err, name, "nested more than"), err
    assert snapshot(copy) == before


@pytest.mark.parametrize("table, column, where", [
    ("evaluations", "metrics", "generation = 1 AND idx = 0"),
    ("evaluations", "extra", "generation = 0 AND idx = 2"),
    ("evaluations", "fitness", "generation = 2 AND idx = 1"),
    ("generations", "record", "generation = 1"),
    ("generations", "space", "generation = 2"),
])
def test_a_deep_json_value_in_the_database_is_one_line_for_resume_and_report(copy, capsys, tmp_path, table,
                                                                              column, where):
    sql(copy / "results.sqlite", f"UPDATE {table} SET {column} = '{DEEP}' WHERE {where}")
    before = snapshot(copy)
    code, _, err = cli(capsys, "resume", str(copy), "--quiet")
    assert one_line(code, err, "results.sqlite", column, "nested more than"), err
    code, _, err = cli(capsys, "report", str(copy), "--out", str(tmp_path / "report"))
    assert one_line(code, err, "results.sqlite", "nested more than"), err
    assert snapshot(copy) == before


ROW_LIES = [
    ("fitness", "'[NaN]'", "finite numbers"),
    ("fitness", "'[1.0, 2.0]'", "fitness value(s)"),
    ("fitness", "'[\"high\"]'", "finite numbers"),
    ("fitness", "'[1e999]'", "finite numbers"),
    ("extra", "'[1, 2]'", "extra must be an object"),
    ("metrics", "'\"accuracy\"'", "metrics must be an object"),
    ("components", "'3'", "components must be an object"),
]


@pytest.mark.parametrize("column, value, message", ROW_LIES, ids=[f"{c}-{v}" for c, v, _ in ROW_LIES])
def test_a_results_row_that_lies_is_refused_not_marked_failed(unfinished, capsys, column, value, message):
    with sqlite3.connect(unfinished / "results.sqlite") as conn:
        (idx,) = conn.execute("SELECT MAX(idx) FROM evaluations WHERE generation = 1").fetchone()
    conn.close()
    sql(unfinished / "results.sqlite", f"UPDATE evaluations SET {column} = {value} WHERE generation = 1 AND idx = {idx}")
    before = snapshot(unfinished)
    code, _, err = cli(capsys, "resume", str(unfinished), "--quiet")
    assert one_line(code, err, "results.sqlite", f"generation 1, index {idx}", message), err
    assert snapshot(unfinished) == before
    with sqlite3.connect(f"file:{unfinished / 'results.sqlite'}?mode=ro", uri=True) as conn:
        assert conn.execute("SELECT status FROM runs").fetchone() == ("interrupted",)  # never "failed"


def test_every_fitness_of_another_length_than_the_objectives_is_refused(unfinished, capsys):
    sql(unfinished / "results.sqlite", "UPDATE evaluations SET fitness = '[0.5, 0.5]'")
    code, _, err = cli(capsys, "resume", str(unfinished), "--quiet")
    assert one_line(code, err, "results.sqlite", "2 fitness value(s)", "1 objective(s)"), err


def _global_state_short(d): d["global_random"]["python"]["state"] = d["global_random"]["python"]["state"][:10]
def _numpy_key_text(d): d["global_random"]["numpy"]["key"][5] = "x"
def _refinement_garbage(d): d["refinements"] = [{"generation": 2, "changes": {"learning_rate": [1, 2, 3]}}]
def _schedule_list(d): d["schedules"] = {"mutation_rate": [1, 2]}
def _schedule_state_wrong(d): d["schedules"] = {name: {"nonsense": True} for name in ("mutation_rate", "selection_pressure")}
def _hof_fitness_two(d): d["hall_of_fame"][0]["fitness"] = d["hall_of_fame"][0]["fitness"] * 2
def _all_fitness_two(d):
    for key in ("population", "hall_of_fame"):
        for member in d[key]:
            member["fitness"] = member["fitness"] * 2
def _population_short(d): d["population"] = d["population"][:-1]
def _mu_infinite(d): d["mu"] = 1e999
def _run_missing(d): del d["run"]


CHECKPOINT_LIES = [
    (_global_state_short, "'global_random'.python"), (_numpy_key_text, "'global_random'.numpy"),
    (_refinement_garbage, "'refinements'"), (_schedule_list, "'schedules'"), (_schedule_state_wrong, "does not restore"),
    (_hof_fitness_two, "different lengths"), (_all_fitness_two, "1 objective(s)"),
    (_population_short, "population has 5 members; the configuration's has 6"),
    (_mu_infinite, "'mu' must be a finite number"), (_run_missing, "'run' must be"),
]


@pytest.mark.parametrize("change, message", CHECKPOINT_LIES, ids=[c.__name__ for c, _ in CHECKPOINT_LIES])
def test_a_checkpoint_field_of_the_wrong_form_is_one_line(unfinished, capsys, change, message):
    edit(unfinished / "checkpoint.json", change)
    before = snapshot(unfinished)
    code, _, err = cli(capsys, "resume", str(unfinished), "--quiet")
    assert one_line(code, err, "checkpoint.json", message), err
    assert snapshot(unfinished) == before


def test_a_checkpoint_copied_from_another_seed_is_refused(unfinished, tmp_path, capsys):
    other = tmp_path / "other"
    assert main(["run", DEMO, "--set", "generations=2", *SMALL, "--seed", "9", "--out", str(other)]) == 0
    shutil.copy(other / "checkpoint.json", unfinished / "checkpoint.json")
    before = snapshot(unfinished)
    code, _, err = cli(capsys, "resume", str(unfinished), "--quiet")
    assert one_line(code, err, "checkpoint.json", "belongs to another run", "seed 9"), err
    assert snapshot(unfinished) == before


def test_a_checkpoint_copied_from_another_run_of_the_same_seed_is_refused(unfinished, tmp_path, capsys):
    other = tmp_path / "other"
    assert main(["run", DEMO, "--set", "generations=2", *SMALL, "--out", str(other)]) == 0
    shutil.copy(other / "checkpoint.json", unfinished / "checkpoint.json")
    code, _, err = cli(capsys, "resume", str(unfinished), "--quiet")
    assert one_line(code, err, "checkpoint.json", "belongs to another run", "run id"), err


def test_a_checkpoint_of_another_configuration_is_refused(unfinished, capsys):
    def other_config(d): d["run"]["config"] = "0" * 64
    edit(unfinished / "checkpoint.json", other_config)
    code, _, err = cli(capsys, "resume", str(unfinished), "--quiet")
    assert one_line(code, err, "checkpoint.json", "another configuration"), err


@pytest.mark.parametrize("statement, kind", [
    ("CREATE TRIGGER wipe AFTER INSERT ON evaluations BEGIN DELETE FROM evaluations; END", "trigger 'wipe'"),
    ("CREATE VIEW best AS SELECT * FROM evaluations", "view 'best'"),
    ("CREATE TABLE notes (x TEXT)", "table 'notes'"),
    ("CREATE INDEX by_seed ON evaluations (seed)", "index 'by_seed'"),
])
def test_a_database_holding_what_evodeap_never_creates_is_refused(unfinished, capsys, tmp_path, statement, kind):
    sql(unfinished / "results.sqlite", statement)
    before = snapshot(unfinished)
    code, _, err = cli(capsys, "resume", str(unfinished), "--quiet")
    assert one_line(code, err, "results.sqlite", kind, "never creates"), err
    code, _, err = cli(capsys, "report", str(unfinished), "--out", str(tmp_path / "report"))
    assert one_line(code, err, "results.sqlite", kind), err
    assert snapshot(unfinished) == before


HOT_JOURNAL = """
import os, sqlite3, sys
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("PRAGMA journal_mode=DELETE")
conn.execute("PRAGMA cache_size=1")  # spill to the file before the commit, so the journal is needed
conn.execute("BEGIN")
conn.execute("UPDATE evaluations SET message = 'half-written', genome = genome || ''")
conn.execute("DELETE FROM generations WHERE generation > 0")
os._exit(0)  # killed inside the transaction: a hot journal is left
"""


def _interrupted_transaction(db: Path) -> None:
    subprocess.run([sys.executable, "-c", HOT_JOURNAL, str(db)], check=True, timeout=60)
    assert (db.parent / "results.sqlite-journal").stat().st_size > 0


def test_a_hot_journal_is_recovered_not_called_corrupt(unfinished, longer, capsys, tmp_path):
    _interrupted_transaction(unfinished / "results.sqlite")
    journal = (unfinished / "results.sqlite-journal").read_bytes()
    code, _, err = cli(capsys, "report", str(unfinished), "--out", str(tmp_path / "report"))
    assert code == 0, err
    assert (unfinished / "results.sqlite-journal").read_bytes() == journal  # a reader recovers a private copy
    code, _, err = cli(capsys, "resume", str(unfinished), "--quiet")
    assert code == 0, err
    assert comparable(unfinished) == comparable(longer)  # rolled back: as if the transaction never began
    assert not (unfinished / "results.sqlite-journal").exists()


def test_a_hot_journal_in_a_finished_run_is_read_by_resume(copy, capsys):
    _interrupted_transaction(copy / "results.sqlite")
    code, out, err = cli(capsys, "resume", str(copy), "--quiet")
    assert code == 0 and "already complete" in out, err


STUDY = """
from pathlib import Path
from evodeap.config.settings import ExperimentConfig
from evodeap.genome.space import SearchSpace

Path(__file__).with_name("executed").touch()  # proof that the experiment file ran
CONFIG = ExperimentConfig(name="study", space=SearchSpace(family="cnn", min_layers=2, max_layers=4),
                          population_size=4, generations=1, seed=0)
VARIANTS = {"a": {}, "b": {"cxpb": 0.0}}
SEEDS = [0, 1]
"""


@pytest.mark.parametrize("damage", ["checkpoint", "database"])
def test_a_damaged_sub_run_refuses_the_study_before_its_experiment_runs(tmp_path, capsys, damage):
    experiment = tmp_path / "study_exp.py"
    experiment.write_text(textwrap.dedent(STUDY))
    out = tmp_path / "study"
    assert main(["run", str(experiment), "--out", str(out), "--quiet"]) == 0
    (tmp_path / "executed").unlink()
    victim = out / "b" / "seed-1"
    if damage == "checkpoint":
        edit(victim / "checkpoint.json", lambda d: d.update(generation="x"))
    else:
        sql(victim / "results.sqlite", "UPDATE evaluations SET extra = '[]' WHERE idx = 0")
    for arm in ("a/seed-0", "a/seed-1"):  # earlier arms have something to finish
        (out / arm / "hall_of_fame.json").unlink()
    before = snapshot(out)
    code, _, err = cli(capsys, "resume", str(out), "--quiet")
    assert one_line(code, err, "b/seed-1"), err
    assert not (tmp_path / "executed").exists()
    assert snapshot(out) == before


def test_a_lying_row_in_a_sub_run_refuses_the_study_report_before_it_writes(tmp_path, capsys):
    experiment = tmp_path / "study_exp.py"
    experiment.write_text(textwrap.dedent(STUDY))
    out = tmp_path / "study"
    assert main(["run", str(experiment), "--out", str(out), "--quiet"]) == 0
    sql(out / "b" / "seed-1" / "results.sqlite", "UPDATE evaluations SET metrics = '\"high\"' WHERE idx = 1")
    before = snapshot(out, skip=())
    code, _, err = cli(capsys, "report", str(out))
    assert one_line(code, err, "b/seed-1", "metrics must be an object"), err
    assert snapshot(out, skip=()) == before


def test_a_weight_index_nested_100000_levels_deep_is_one_line(tmp_path, capsys):
    from helpers_rundir import interrupted_weights_run

    out = interrupted_weights_run(tmp_path)
    (out / "weights" / "index.json").write_text(DEEP)
    before = snapshot(out)
    code, _, err = cli(capsys, "resume", str(out), "--quiet")
    assert one_line(code, err, "index.json", "nested more than", "--retrain-lost-weights"), err
    assert snapshot(out) == before


# == 2. hostile file types and links ======================================================================
@pytest.mark.parametrize("name", ["config.json", "checkpoint.json", "experiment.json", "results.sqlite-wal",
                                  "results.sqlite-journal", "results.sqlite"])
def test_a_fifo_in_place_of_a_run_file_is_refused_without_waiting(copy, name):
    path = copy / name
    path.unlink(missing_ok=True)
    os.mkfifo(path)
    done = cli_process("resume", str(copy), "--quiet")
    assert one_line(done.returncode, done.stderr, name, "not a regular file"), done.stderr
    done = cli_process("report", str(copy), "--out", str(copy.parent / "r"))  # returns: refuses, or needs no such file
    if name.startswith("results.sqlite"):
        assert one_line(done.returncode, done.stderr, name, "not a regular file"), done.stderr
    else:  # a report that reads the file refuses it in one line; one that does not need it finishes
        assert done.returncode == 0 or one_line(done.returncode, done.stderr, name, "not a regular file"), done.stderr


def test_a_fifo_in_place_of_a_derived_file_is_replaced_without_waiting(copy):
    (copy / "logbook.csv").unlink()
    os.mkfifo(copy / "logbook.csv")
    done = cli_process("resume", str(copy), "--quiet")
    assert done.returncode == 0, done.stderr
    assert (copy / "logbook.csv").is_file() and (copy / "logbook.csv").read_text().startswith("generation")


def test_a_huge_sparse_wal_is_one_line_not_a_memory_error(copy, tmp_path):
    with open(copy / "results.sqlite-wal", "wb") as handle:
        handle.truncate(16 << 30)  # 16 GB, sparse: no block of it is written
    for command in (["resume", str(copy), "--quiet"], ["report", str(copy), "--out", str(tmp_path / "r")]):
        done = cli_process(*command)
        assert one_line(done.returncode, done.stderr, "results.sqlite-wal", "bytes, more than"), done.stderr


def test_a_huge_json_file_is_one_line(copy, capsys):
    with open(copy / "checkpoint.json", "wb") as handle:
        handle.truncate(1 << 34)
    code, _, err = cli(capsys, "resume", str(copy), "--quiet")
    assert one_line(code, err, "checkpoint.json", "bytes, more than"), err


@pytest.mark.parametrize("name", ["checkpoint.json", "runtime.json", "results.sqlite-journal"])
def test_a_symbolic_link_in_place_of_a_run_file_is_refused(copy, capsys, tmp_path, name):
    target = tmp_path / "elsewhere"
    target.write_bytes((copy / name).read_bytes() if (copy / name).exists() else b"")
    (copy / name).unlink(missing_ok=True)
    (copy / name).symlink_to(target)
    code, _, err = cli(capsys, "resume", str(copy), "--quiet")
    assert one_line(code, err, name), err


def _hard_linked_copy(source: Path, target: Path) -> None:
    """``cp -al source target``: folders made anew, every file a hard link to the original's."""
    for folder, _, files in os.walk(source):
        made = target / Path(folder).relative_to(source)
        made.mkdir(parents=True, exist_ok=True)
        for name in files:
            os.link(Path(folder) / name, made / name)


def test_resuming_a_hard_linked_copy_never_rewrites_the_original(unfinished, longer, tmp_path, capsys):
    twin = tmp_path / "twin"
    _hard_linked_copy(unfinished, twin)
    (unfinished / LOCK_NAME).write_text("{}")  # a lock file too, to be shared
    os.link(unfinished / LOCK_NAME, twin / LOCK_NAME)
    _interrupted_transaction(unfinished / "results.sqlite")  # the journal is shared too
    os.link(unfinished / "results.sqlite-journal", twin / "results.sqlite-journal")
    before = snapshot(unfinished)
    code, _, err = cli(capsys, "resume", str(twin), "--quiet")
    assert code == 0, err
    assert snapshot(unfinished) == before  # not one byte of the original changed
    assert comparable(twin) == comparable(longer)
    assert all(p.stat().st_nlink == 1 for p in twin.iterdir() if p.is_file() and p.name.startswith("results"))


@pytest.mark.parametrize("recorded", ["landscape_demo.py", "./exp.py", "../exp.py"])
def test_a_relative_experiment_path_is_refused_never_run_from_the_neighbourhood(copy, capsys, monkeypatch, recorded):
    planted = copy.parent / Path(recorded).name
    planted.write_text("from pathlib import Path\nPath(__file__).with_name('planted-ran').touch()\n")
    edit(copy / "experiment.json", lambda d: d.update(file=recorded))
    monkeypatch.chdir(copy.parent)
    before = snapshot(copy)
    code, _, err = cli(capsys, "resume", str(copy), "--quiet")
    assert one_line(code, err, "experiment.json", "'file' must be a path or null", "absolute"), err
    assert not (copy.parent / "planted-ran").exists()
    assert snapshot(copy) == before


def test_a_relative_module_path_in_the_sources_is_refused(copy, capsys):
    edit(copy / "experiment.json", lambda d: d["sources"].update(modules={"m": {"path": "m.py", "sha256": "0"}}))
    code, _, err = cli(capsys, "resume", str(copy), "--quiet")
    assert one_line(code, err, "experiment.json", "'sources'"), err


# == 3. interrupted at the wrong moment, moved underneath ===================================================
KILL_DURING_EXTENSION = """
import os, signal, sys
import evodeap.files as files
write_bytes = files.write_bytes
seen = []

def killing_write(root, relative, data):
    path = write_bytes(root, relative, data)
    seen.append(str(relative))
    if seen.count("{stage}") == 1 and str(relative) == "{stage}":
        os.kill(os.getpid(), signal.SIGKILL)
    return path

files.write_bytes = killing_write
from evodeap.cli import main
sys.exit(main(sys.argv[1:]))
"""


@pytest.mark.parametrize("stage", [".evodeap-commit.json", "experiment.json", "config.json"])
def test_an_extension_killed_between_its_files_is_no_dead_end(tmp_path, longer, stage):
    short = tmp_path / "short"
    assert main(["run", DEMO, "--set", "generations=2", *SMALL, "--out", str(short)]) == 0
    script = KILL_DURING_EXTENSION.replace("{stage}", stage)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    killed = subprocess.run([sys.executable, "-c", script, "resume", str(short), "--set", "generations=4", "--quiet"],
                            capture_output=True, text=True, timeout=300, env=env)
    assert killed.returncode == -9, killed.stderr
    if stage == "experiment.json":  # the files disagree: once a dead end, now the commit record decides
        assert json.loads((short / "config.json").read_text())["generations"] == 2
        assert json.loads((short / "experiment.json").read_text())["overrides"]["generations"] == 4
    assert (short / ".evodeap-commit.json").exists()
    plain = cli_process("resume", str(short), "--quiet", timeout=300)  # plain resume: the committed change holds
    assert plain.returncode == 0, plain.stderr
    assert comparable(short) == comparable(longer)
    assert not (short / ".evodeap-commit.json").exists()
    assert json.loads((short / "config.json").read_text())["generations"] == 4
    assert json.loads((short / "experiment.json").read_text())["overrides"]["generations"] == 4


def test_an_extension_killed_after_its_commit_point_reads_as_extended(tmp_path):
    from evodeap.runs.rundir import RunDirectory

    short = tmp_path / "short"
    assert main(["run", DEMO, "--set", "generations=2", *SMALL, "--out", str(short)]) == 0
    directory = RunDirectory(short)
    config = directory.read_json("config.json")
    record = {"format": 1, "files": {"config.json": {**config, "generations": 7}}}
    (short / ".evodeap-commit.json").write_text(json.dumps(record))  # what a kill after the commit point leaves
    assert directory.read_config()["generations"] == 7  # every reader sees the committed change
    (short / ".evodeap-commit.json").write_text(json.dumps({"format": 1, "files": {"hall_of_fame.json": {}}}))
    with pytest.raises(RunDirectoryError, match="naming only"):
        directory.read_config()


HOLD_LOCK = """
import sys, time
from evodeap.runs.lock import RunLock
lock = RunLock(sys.argv[1], "run")
lock.acquire()
print("held", flush=True)
time.sleep(120)
"""


def test_deleting_the_lock_file_does_not_let_a_second_writer_in(copy, capsys):
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    holder = subprocess.Popen([sys.executable, "-c", HOLD_LOCK, str(copy)], stdout=subprocess.PIPE, text=True, env=env)
    try:
        assert holder.stdout.readline().strip() == "held"
        (copy / LOCK_NAME).unlink()  # a cleaner of "stale" locks
        with pytest.raises(RunLockedError, match="is in use"):
            RunLock(copy, "resume").acquire()
        code, _, err = cli(capsys, "resume", str(copy), "--quiet")
        assert one_line(code, err, "is in use"), err
    finally:
        holder.kill()
        holder.wait()
    with RunLock(copy, "resume"):  # the holder is gone: the lock is free
        pass


def test_a_hard_linked_lock_file_is_never_written(copy, tmp_path):
    other = tmp_path / "other-lock"
    other.write_text('{"pid": 1}')
    os.link(other, copy / LOCK_NAME)
    with RunLock(copy, "resume"):
        assert (copy / LOCK_NAME).stat().st_ino != other.stat().st_ino
    assert other.read_text() == '{"pid": 1}'


def test_a_run_directory_renamed_during_the_run_stops_cleanly_and_resumes_at_its_new_place(tmp_path, longer):
    from evodeap.config.experiment import load_experiment
    from evodeap.runs.lifecycle import resume, run
    from evodeap.runs.provenance import describe_sources

    namespace = load_experiment(DEMO)
    config = namespace["CONFIG"].with_overrides({"generations": 4, "population_size": 6})
    out, moved = tmp_path / "run", tmp_path / "renamed"

    def rename(report):
        if report.generation == 2:
            os.rename(out, moved)

    with pytest.raises(RunDirectoryError, match="moved or renamed") as refusal:
        run(config, out, on_generation=rename,
            experiment={"file": DEMO, "overrides": {"generations": 4, "population_size": 6},
                        "sources": describe_sources(DEMO, namespace)})
    assert str(moved.resolve()) in str(refusal.value) and "\n" not in str(refusal.value)
    assert not out.exists()  # nothing was written under the old name
    assert not (moved / LOCK_NAME).exists()
    resume(moved, config)
    assert comparable(moved) == comparable(longer)


def test_the_lock_names_the_new_place_of_a_renamed_directory(tmp_path):
    (tmp_path / "a").mkdir()
    with RunLock(tmp_path / "a", "run") as lock:
        assert lock.moved_to() is None
        os.rename(tmp_path / "a", tmp_path / "b")
        assert lock.moved_to() == (tmp_path / "b").resolve()
        (tmp_path / "a").mkdir()  # a new folder under the old name is not the locked one
        assert lock.moved_to() == (tmp_path / "b").resolve()
