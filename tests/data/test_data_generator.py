"""Rendering, occlusion by max, determinism, and captions consistent with the motion."""
from __future__ import annotations

import numpy as np
import pytest

from evodeap.data.captions import parse_caption
from evodeap.data.digits import DigitPool
from evodeap.data.generator import generate, render
from evodeap.data.motion import fully_visible
from evodeap.errors import DataError


def _block(value: int) -> np.ndarray:
    return np.full((28, 28), value, dtype=np.uint8)


def test_render_places_digit_at_offset_from_centre():
    img = np.arange(28 * 28, dtype=np.uint8).reshape(28, 28)
    frames = render(img[None, None], np.array([[[[0, 0], [-50, -22], [50, 22]]]]))
    assert frames.shape == (1, 3, 72, 128)
    assert np.array_equal(frames[0, 0, 22:50, 50:78], img)
    assert frames[0, 0].sum() == img.astype(int).sum()
    assert np.array_equal(frames[0, 1, 0:28, 0:28], img)
    assert np.array_equal(frames[0, 2, 44:72, 100:128], img)


def test_render_clips_without_wrapping():
    img = _block(200)
    frames = render(img[None, None], np.array([[[[60, 0], [80, 0], [-60, -40]]]]))
    # x = 60: columns 110..137, only 110..127 visible
    assert (frames[0, 0, 22:50, 110:128] == 200).all()
    assert frames[0, 0, :, :110].sum() == 0
    # x = 80: wholly outside; y = -40 with x = -60: rows -18..9, cols -10..17
    assert frames[0, 1].sum() == 0
    assert (frames[0, 2, 0:10, 0:18] == 200).all()
    assert frames[0, 2].astype(int).sum() == 200 * 10 * 18


def test_two_digits_combine_by_pixelwise_max():
    a = np.zeros((28, 28), np.uint8)
    a[:, :14] = 100
    b = np.zeros((28, 28), np.uint8)
    b[:, 7:] = 180
    b[:, 20:] = 50
    frames = render(np.stack([a, b])[None], np.array([[[[0, 0]], [[0, 0]]]]))
    patch = frames[0, 0, 22:50, 50:78]
    assert np.array_equal(patch, np.maximum(a, b))
    assert patch[0, 0] == 100 and patch[0, 10] == 180 and patch[0, 25] == 50


@pytest.mark.parametrize("version", ["easy", "medium", "hard"])
def test_same_seed_same_videos_different_seed_different(pools, version):
    g1 = generate(version, 6, 8, np.random.default_rng(5), pools["train"])
    g2 = generate(version, 6, 8, np.random.default_rng(5), pools["train"])
    g3 = generate(version, 6, 8, np.random.default_rng(6), pools["train"])
    assert np.array_equal(g1.videos, g2.videos) and g1.captions == g2.captions
    assert not np.array_equal(g1.videos, g3.videos)


def test_result_does_not_depend_on_chunking(pools, monkeypatch):
    import evodeap.data.generator as gen

    g1 = generate("hard", 7, 5, np.random.default_rng(9), pools["val"])
    monkeypatch.setattr(gen, "CHUNK", 2)
    g2 = generate("hard", 7, 5, np.random.default_rng(9), pools["val"])
    assert np.array_equal(g1.videos, g2.videos)


@pytest.mark.parametrize("version,n_digits", [("easy", 1), ("medium", 2), ("hard", 2)])
def test_generated_arrays_and_frames_agree(pools, version, n_digits):
    g = generate(version, 12, 10, np.random.default_rng(3), pools["test"])
    assert g.videos.shape == (12, 10, 72, 128) and g.videos.dtype == np.uint8
    assert g.digits.shape == (12, n_digits)
    assert np.isin(g.image_ids, pools["test"].ids).all()
    # each frame is exactly the rendering of the recorded positions
    images = np.zeros((12, n_digits, 28, 28), np.uint8)
    pool = pools["test"]
    lookup = {int(i): k for k, i in enumerate(pool.ids)}
    for n in range(12):
        for d in range(n_digits):
            images[n, d] = pool.images[lookup[int(g.image_ids[n, d])]]
            assert pool.labels[lookup[int(g.image_ids[n, d])]] == g.digits[n, d]
    assert np.array_equal(render(images, g.positions), g.videos)


def test_caption_matches_motion_and_visibility(pools):
    g = generate("hard", 40, 20, np.random.default_rng(11), pools["train"])
    assert g.hidden.any() and not g.hidden.all()
    for n in range(40):
        c = parse_caption(g.captions[n])
        assert c.digits == tuple(g.digits[n].tolist())
        assert c.n_steps == 19
        assert np.array_equal(c.hidden(), ~fully_visible(g.positions[n, :, 1:]))
        for t, step in enumerate(c.steps):
            for d, move in enumerate(step):
                if move is not None:
                    assert move == tuple(float(v) for v in g.positions[n, d, t + 1] - g.positions[n, d, t])


def test_medium_and_easy_captions_never_say_out_of_frame(pools):
    for version in ("easy", "medium"):
        g = generate(version, 30, 20, np.random.default_rng(2), pools["train"])
        assert not any("out of frame" in c for c in g.captions)
    easy = generate("easy", 5, 4, np.random.default_rng(2), pools["train"])
    assert all("consistently moves" in c for c in easy.captions)


def test_bad_arguments(pools):
    with pytest.raises(DataError):
        generate("hard", -1, 5, np.random.default_rng(0), pools["train"])
    with pytest.raises(DataError):
        generate("hard", 1, 0, np.random.default_rng(0), pools["train"])
    with pytest.raises(DataError, match="unknown dataset version"):
        generate("insane", 1, 5, np.random.default_rng(0), pools["train"])


def test_zero_videos(pools):
    g = generate("medium", 0, 5, np.random.default_rng(0), pools["train"])
    assert g.videos.shape == (0, 5, 72, 128) and g.captions == []


def test_single_digit_pool_gives_that_digit():
    pool = DigitPool(np.stack([_block(7)] * 3), np.array([4, 4, 4]), np.array([0, 1, 2]))
    g = generate("easy", 3, 2, np.random.default_rng(0), pool)
    assert all(c.startswith("A digit 4 is on the first frame.") for c in g.captions)
