"""Disk cache: keyed by every parameter, reused, corrupt or truncated sets regenerated."""
from __future__ import annotations

import json

import numpy as np
import pytest

import evodeap.data.store as store
from evodeap.data.store import CorruptSetError, GenerationParams, cache_path, cached_set, open_set, write_set
from evodeap.errors import DataError

PARAMS = GenerationParams("hard", (4, 2, 1), 6, 3)


@pytest.fixture
def cache(tmp_path):
    return tmp_path / "cache"


def _count_writes(monkeypatch):
    calls = []
    original = store._write_contents

    def counting(folder, params):
        calls.append(params)
        original(folder, params)

    monkeypatch.setattr(store, "_write_contents", counting)
    return calls


def test_key_covers_every_parameter():
    keys = {PARAMS.key()}
    for other in [GenerationParams("medium", (4, 2, 1), 6, 3), GenerationParams("hard", (4, 2, 2), 6, 3),
                  GenerationParams("hard", (4, 2, 1), 7, 3), GenerationParams("hard", (4, 2, 1), 6, 4)]:
        keys.add(other.key())
    assert len(keys) == 5
    assert GenerationParams("hard", (4, 2, 1), 6, 3).key() == PARAMS.key()


def test_second_request_reuses_cache(cache, monkeypatch):
    calls = _count_writes(monkeypatch)
    a = cached_set(PARAMS, cache)
    b = cached_set(PARAMS, cache)
    assert len(calls) == 1
    assert a.path == b.path == cache_path(PARAMS, cache)
    for split in ("train", "val", "test"):
        assert np.array_equal(a.splits[split].videos, b.splits[split].videos)
        assert a.splits[split].captions == b.splits[split].captions
    assert a.splits["train"].videos.shape == (4, 6, 72, 128)
    assert isinstance(a.splits["train"].videos, np.memmap)
    assert not any(p.name.startswith(".tmp") for p in cache.iterdir())


def _corrupt_byte(path):
    data = bytearray(path.read_bytes())
    data[-5] ^= 0xFF
    path.write_bytes(bytes(data))


def _truncate(path):
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


@pytest.mark.parametrize("damage", ["flip", "truncate", "manifest", "delete", "captions"])
def test_corrupt_cache_is_detected_and_regenerated(cache, monkeypatch, damage):
    first = cached_set(PARAMS, cache)
    reference = np.array(first.splits["train"].videos)
    folder = first.path
    del first
    if damage == "flip":
        _corrupt_byte(folder / "train_videos.npy")
    elif damage == "truncate":
        _truncate(folder / "train_videos.npy")
    elif damage == "manifest":
        (folder / "manifest.json").write_text("{not json")
    elif damage == "delete":
        (folder / "val_labels.npz").unlink()
    else:
        (folder / "test_captions.txt").write_text("A digit 1 is on the first frame.\n")
    with pytest.raises(CorruptSetError):
        open_set(folder)
    calls = _count_writes(monkeypatch)
    again = cached_set(PARAMS, cache)
    assert len(calls) == 1
    assert np.array_equal(again.splits["train"].videos, reference)
    open_set(folder)  # sound again


def test_interrupted_write_leaves_nothing_usable(cache, monkeypatch):
    def boom(folder, params):
        (folder / "train_videos.npy").write_bytes(b"partial")
        raise KeyboardInterrupt

    monkeypatch.setattr(store, "_write_contents", boom)
    with pytest.raises(KeyboardInterrupt):
        cached_set(PARAMS, cache)
    assert not cache_path(PARAMS, cache).exists()
    assert list(cache.iterdir()) == []


def test_write_set_never_overwrites(tmp_path):
    target = tmp_path / "set"
    target.mkdir()
    (target / "keep.txt").write_text("mine")
    with pytest.raises(DataError, match="already exists"):
        write_set(target, PARAMS)
    assert (target / "keep.txt").read_text() == "mine"


def test_manifest_records_params_and_hashes(cache):
    s = cached_set(PARAMS, cache)
    manifest = json.loads((s.path / "manifest.json").read_text())
    assert manifest["params"] == PARAMS.to_dict()
    assert set(manifest["files"]) == {f"{sp}_{kind}" for sp in ("train", "val", "test")
                                      for kind in ("videos.npy", "captions.txt", "labels.npz")}
    assert all(len(m["sha256"]) == 64 for m in manifest["files"].values())


def test_not_a_set(tmp_path):
    with pytest.raises(CorruptSetError, match="no manifest"):
        open_set(tmp_path)
    (tmp_path / "manifest.json").write_text(json.dumps({"format": "other"}))
    with pytest.raises(CorruptSetError, match="not an evodeap"):
        open_set(tmp_path)


def test_concurrent_writer_uses_the_first_sound_copy(cache, monkeypatch):
    """Two workers filling the same cache entry: the loser of the rename uses the winner's set."""
    winner = cached_set(PARAMS, cache)
    reference = np.array(winner.splits["val"].videos)
    original_rename = store.os.rename
    calls = []

    def rename(src, dst):
        calls.append(dst)
        raise OSError(39, "Directory not empty")

    monkeypatch.setattr(store.os, "rename", rename)
    again = store._write_atomically(cache_path(PARAMS, cache), PARAMS)
    monkeypatch.setattr(store.os, "rename", original_rename)
    assert calls and np.array_equal(again.splits["val"].videos, reference)
    assert not any(p.name.startswith(".tmp") for p in cache.iterdir())


def test_generated_splits_use_disjoint_digit_images(cache):
    s = cached_set(GenerationParams("medium", (40, 20, 20), 2, 5), cache)
    ids = {split: set(part.labels["image_ids"].ravel().tolist()) for split, part in s.splits.items()}
    assert not ids["train"] & ids["val"] and not ids["train"] & ids["test"] and not ids["val"] & ids["test"]
