"""Reader of the published files, on files written by the exporter; bad files."""
from __future__ import annotations

import pickle
import sys
import types

import numpy as np
import pytest

from evodeap.data.captions import parse_caption
from evodeap.data.generator import generate
from evodeap.data.published import frames_from_tensor, read_published, to_grey, write_published, colormap_table
from evodeap.data.store import read_captions
from evodeap.errors import DataError


@pytest.fixture(scope="module")
def videos(pools):
    g = generate("hard", 3, 12, np.random.default_rng(21), pools["test"])
    return np.asarray(g.videos), g.captions


@pytest.mark.parametrize("colormap", ["gray", "viridis"])
def test_video_form_round_trip(tmp_path, videos, colormap):
    v, caps = videos
    written = write_published(tmp_path, v, caps, batch_size=2, colormap=colormap)
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == ["batch_0_video_0.mp4", "batch_0_video_0_captions.txt", "batch_0_video_1.mp4",
                     "batch_0_video_1_captions.txt", "batch_1_video_0.mp4", "batch_1_video_0_captions.txt"]
    assert len(written) == 3
    back = read_published(tmp_path, colormap)
    assert back.captions == caps  # exact
    assert back.videos.shape == v.shape and back.videos.dtype == np.uint8
    err = np.abs(back.videos.astype(int) - v.astype(int))
    assert err.mean() < 1.0  # codec tolerance
    assert np.percentile(err, 99) <= 8
    assert [parse_caption(c) for c in back.captions] == [parse_caption(c) for c in caps]


def test_videos_sorted_numerically(tmp_path, videos):
    v, caps = videos
    many = np.concatenate([v, v, v, v])[:11, :2]
    write_published(tmp_path, many, (caps * 4)[:11], batch_size=1)
    back = read_published(tmp_path)
    assert back.names[:3] == ["batch_0_video_0.mp4", "batch_1_video_0.mp4", "batch_2_video_0.mp4"]
    assert back.names[-1] == "batch_10_video_0.mp4"
    assert back.captions == (caps * 4)[:11]


class _FakeTensor:
    def __init__(self, array):
        self.array = np.asarray(array)

    def detach(self):
        return self

    def cpu(self):
        return self

    def float(self):
        return _FakeTensor(self.array.astype(np.float32))

    def numpy(self):
        return self.array


@pytest.fixture
def fake_torch(monkeypatch):
    """A stand-in for torch's save/load/from_numpy, so the raw form is tested without torch."""
    mod = types.ModuleType("torch")

    def save(t, path):
        with open(path, "wb") as f:
            pickle.dump(t.array, f)

    def load(path, map_location=None, weights_only=None):
        assert map_location == "cpu" and weights_only is True
        with open(path, "rb") as f:
            return _FakeTensor(pickle.load(f))

    mod.save, mod.load, mod.from_numpy = save, load, _FakeTensor
    monkeypatch.setitem(sys.modules, "torch", mod)
    return mod


def test_raw_form_round_trip(tmp_path, videos, fake_torch):
    v, caps = videos
    write_published(tmp_path, v, caps, form="raw", batch_size=2)
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "batch_0_captions.txt", "batch_0_frames.pt", "batch_1_captions.txt", "batch_1_frames.pt"]
    text = (tmp_path / "batch_0_captions.txt").read_text()
    assert text == caps[0] + "\n\n\n" + caps[1] + "\n"  # separated by two blank lines
    stored = pickle.loads((tmp_path / "batch_0_frames.pt").read_bytes())
    assert stored.shape == (2, 12, 1, 72, 128) and stored.dtype == np.float32
    back = read_published(tmp_path)
    assert np.array_equal(back.videos, v) and back.captions == caps


def test_raw_form_without_torch_is_a_clear_error(tmp_path, videos, monkeypatch):
    (tmp_path / "batch_0_frames.pt").write_bytes(b"\x80")
    (tmp_path / "batch_0_captions.txt").write_text(videos[1][0])
    monkeypatch.setitem(sys.modules, "torch", None)  # makes `import torch` fail
    with pytest.raises(DataError, match="needs torch"):
        read_published(tmp_path)
    with pytest.raises(DataError, match="needs torch"):
        write_published(tmp_path / "out", videos[0], videos[1], form="raw")
    assert not (tmp_path / "out").exists()


def test_raw_caption_count_must_match(tmp_path, videos, fake_torch):
    v, caps = videos
    write_published(tmp_path, v[:2], caps[:2], form="raw", batch_size=2)
    (tmp_path / "batch_0_captions.txt").write_text(caps[0] + "\n")
    with pytest.raises(DataError, match="1 captions for 2 videos"):
        read_published(tmp_path)


def test_frames_from_tensor_core():
    a = np.zeros((2, 3, 1, 72, 128), np.float32)
    a[0, 0, 0, 0, 0] = 1.0
    a[1, 2, 0, 5, 5] = 0.5
    out = frames_from_tensor(a, "x")
    assert out.shape == (2, 3, 72, 128) and out[0, 0, 0, 0] == 255 and out[1, 2, 5, 5] == 128
    assert frames_from_tensor(a * 255, "x")[0, 0, 0, 0] == 255
    with pytest.raises(DataError, match=r"\(batch, T, 1, 72, 128\)"):
        frames_from_tensor(np.zeros((2, 3, 72, 128)), "x")
    a[0, 0, 0, 0, 1] = np.nan
    with pytest.raises(DataError, match="NaN"):
        frames_from_tensor(a, "x")


def test_colormap_inverse_is_exact_without_codec():
    grey = np.arange(256, dtype=np.uint8).reshape(16, 16)
    assert np.array_equal(to_grey(colormap_table("gray")[grey], "gray"), grey)
    for name in ("viridis", "magma"):  # a few neighbouring 8-bit colours coincide
        back = to_grey(colormap_table(name)[grey], name).astype(int)
        assert np.abs(back - grey).max() <= 1 and (back == grey).mean() > 0.9
    with pytest.raises(DataError, match="unknown colormap"):
        colormap_table("no-such-map")


def test_bad_files_are_clear_errors(tmp_path, videos):
    with pytest.raises(DataError, match="no such folder"):
        read_published(tmp_path / "nope")
    with pytest.raises(DataError, match="no published files"):
        read_published(tmp_path)
    (tmp_path / "batch_0_video_0.mp4").write_bytes(b"this is not a video")
    with pytest.raises(DataError, match="caption file .* is missing"):
        read_published(tmp_path)
    (tmp_path / "batch_0_video_0_captions.txt").write_text(videos[1][0])
    with pytest.raises(DataError, match="not a readable video"):
        read_published(tmp_path)


def test_wrong_frame_size_is_an_error(tmp_path):
    import imageio_ffmpeg

    w = imageio_ffmpeg.write_frames(str(tmp_path / "batch_0_video_0.mp4"), (64, 64), fps=10, macro_block_size=8)
    w.send(None)
    w.send(np.zeros((64, 64, 3), np.uint8))
    w.close()
    (tmp_path / "batch_0_video_0_captions.txt").write_text("A digit 1 is on the first frame.")
    with pytest.raises(DataError, match="64x64, expected 128x72"):
        read_published(tmp_path)


def test_exporter_validates_and_never_overwrites(tmp_path, videos):
    v, caps = videos
    with pytest.raises(DataError, match="uint8 videos"):
        write_published(tmp_path / "a", v.astype(np.float32), caps)
    with pytest.raises(DataError, match="2 captions for 3 videos"):
        write_published(tmp_path / "a", v, caps[:2])
    with pytest.raises(DataError, match="unknown export form"):
        write_published(tmp_path / "a", v, caps, form="zip")
    write_published(tmp_path / "b", v[:1], caps[:1])
    before = (tmp_path / "b" / "batch_0_video_0.mp4").read_bytes()
    with pytest.raises(DataError, match="already holds published files"):
        write_published(tmp_path / "b", v[1:2], caps[1:2])
    assert (tmp_path / "b" / "batch_0_video_0.mp4").read_bytes() == before


def test_caption_file_blocks(tmp_path):
    p = tmp_path / "c.txt"
    p.write_text("A\nB\n\n\nC\n\n\n\nD\n")
    assert read_captions(p) == ["A\nB", "C", "D"]
