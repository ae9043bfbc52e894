"""WeightStore: file naming, highest-budget lookup, atomic writes, pruning, foreign files."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

from evodeap.genome.genes import ConvBlock
from evodeap.genome.genome import Genome
from evodeap.errors import RunDirectoryError
from evodeap.evaluation.weights import INDEX, WeightStore

A, B = "0a1b2c3d4e5f6789", "ffff000011112222"


def names(folder) -> set[str]:
    """The folder's entries, less the store's own index."""
    return {p.name for p in folder.iterdir()} - {INDEX}


def test_does_not_import_keras():
    # the master process imports this module; Keras and TensorFlow must stay out of it
    code = "import sys, evodeap.evaluation.weights; print(sorted({'keras', 'tensorflow'} & set(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_put_names_files_by_key_and_budget_and_creates_the_folder(tmp_path):
    store = WeightStore(tmp_path / "runs" / "weights")
    assert store.keys() == set() and store.get(A) is None  # reading does not create it
    assert not (tmp_path / "runs").exists()
    assert store.put(A, 3, b"three") == tmp_path / "runs" / "weights" / f"{A}-e3.weights.h5"
    assert store.put(A, 1.5, b"one and a half").name == f"{A}-e1.5.weights.h5"
    assert store.put(A, 2.0, b"two").name == f"{A}-e2.weights.h5"
    assert store.put(B, 0.25, b"quarter").name == f"{B}-e0.25.weights.h5"
    assert (tmp_path / "runs" / "weights" / f"{A}-e3.weights.h5").read_bytes() == b"three"
    assert store.keys() == {A, B}


def test_genome_keys_are_accepted(tmp_path):
    key = Genome([ConvBlock(4, 3, "relu", "max")], {"epochs": 2}).key()
    store = WeightStore(tmp_path)
    store.put(key, 2, b"w")
    assert store.get(key) == (b"w", 2.0)


def test_get_returns_the_highest_budget_numerically(tmp_path):
    store = WeightStore(tmp_path)
    for budget in (3, 10, 1.5, 9):  # "10" sorts before "3" as text
        store.put(A, budget, f"e{budget}".encode())
    store.put(B, 100, b"other key")
    assert store.get(A) == (b"e10", 10.0)
    assert store.get(B) == (b"other key", 100.0)
    assert store.get("abc") is None


def test_get_at_is_exact_and_put_replaces(tmp_path):
    store = WeightStore(tmp_path)
    store.put(A, 1.5, b"old")
    store.put(A, 3, b"three")
    assert store.get_at(A, 1.5) == b"old" and store.get_at(A, 3.0) == b"three"
    assert store.get_at(A, 2) is None and store.get_at(B, 3) is None
    store.put(A, 1.5, b"new")
    assert store.get_at(A, 1.5) == b"new"
    assert len(names(tmp_path)) == 2


def test_put_leaves_no_temporary_file_and_cleans_up_after_a_failure(tmp_path, monkeypatch):
    store = WeightStore(tmp_path)
    store.put(A, 1, b"first")
    assert names(tmp_path) == {f"{A}-e1.weights.h5"}

    def broken_replace(src, dst, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(RunDirectoryError, match="disk full"):
        store.put(A, 1, b"second")
    with pytest.raises(RunDirectoryError, match="disk full"):
        store.put(A, 2, b"second")
    assert names(tmp_path) == {f"{A}-e1.weights.h5"}
    assert store.get(A) == (b"first", 1.0)


@pytest.mark.parametrize("key", ["", "../x", "a/b", "ABCDEF", "0a1b-e3", "g123", "..", "/tmp/x", " ab", 12])
def test_rejects_keys_that_are_not_lower_case_hex(tmp_path, key):
    store = WeightStore(tmp_path / "w")
    with pytest.raises(ValueError, match="hex"):
        store.put(key, 1, b"x")
    with pytest.raises(ValueError, match="hex"):
        store.get(key)
    with pytest.raises(ValueError, match="hex"):
        store.get_at(key, 1)
    assert not (tmp_path / "w").exists()


@pytest.mark.parametrize("budget", [-1, float("nan"), float("inf"), True, "3"])
def test_rejects_bad_budgets(tmp_path, budget):
    with pytest.raises(ValueError, match="budget"):
        WeightStore(tmp_path).put(A, budget, b"x")


def test_ignores_foreign_files_and_never_follows_links_outside(tmp_path):
    folder, outside = tmp_path / "w", tmp_path / "outside.weights.h5"
    folder.mkdir()
    outside.write_bytes(b"secret")
    foreign = {
        "notes.txt": b"n",
        f"{A}-e3.weights.h5.bak": b"b",
        f"{A.upper()}-e3.weights.h5": b"u",  # not lower-case hex
        f"{A}-e03.weights.h5": b"z",  # budget not in canonical :g form
        f"{A}-e3.0.weights.h5": b"z",
        f"{A}-enan.weights.h5": b"n",
        f"{A}-e-1.weights.h5": b"n",
        f"{A}-ex.weights.h5": b"x",
        f"{A}.weights.h5": b"x",
        ".hidden.tmp": b"t",  # a temp file that is not one of ours
    }
    for name, data in foreign.items():
        (folder / name).write_bytes(data)
    (folder / f"{B}-e1.weights.h5").mkdir()  # a directory with a weight file's name
    (folder / f"{B}-e9.weights.h5").symlink_to(outside)  # a link leading outside
    store = WeightStore(folder)
    assert store.keys() == set()
    assert store.get(A) is None and store.get(B) is None
    assert store.get_at(A, 3) is None and store.get_at(B, 9) is None
    store.put(A, 1, b"mine")
    assert store.get(A) == (b"mine", 1.0)
    assert store.prune(keep=()) == 1
    assert names(folder) == set(foreign) | {f"{B}-e1.weights.h5", f"{B}-e9.weights.h5"}
    assert outside.read_bytes() == b"secret"


def test_prune_keeps_the_highest_budget_of_kept_keys_and_removes_temp_files(tmp_path):
    store = WeightStore(tmp_path)
    store.put(A, 1, b"a1")
    store.put(A, 3, b"a3")
    store.put(A, 1.5, b"a1.5")
    store.put(B, 2, b"b2")
    c = "c0ffee"
    store.put(c, 5, b"c5")
    stray = tmp_path / f".{A}-e4.weights.h5.k2j3h4.tmp"  # a put that died before its rename
    stray.write_bytes(b"partial")
    (tmp_path / "README").write_text("not ours")
    assert store.prune(keep={A, c, "dead"}) == 4  # A-e1, A-e1.5, B-e2, the temp file
    assert names(tmp_path) == {f"{A}-e3.weights.h5", f"{c}-e5.weights.h5", "README"}
    assert store.get(A) == (b"a3", 3.0) and store.get(B) is None
    assert store.keys() == {A, c}
    assert store.prune(keep={A, c}) == 0
    assert store.prune(keep=[]) == 2 and names(tmp_path) == {"README"}


def test_prune_of_a_missing_folder_removes_nothing(tmp_path):
    assert WeightStore(tmp_path / "never").prune(keep={A}) == 0
