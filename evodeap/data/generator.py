"""The Captioned Moving MNIST generator: trajectories → frames → captions.

A digit at offset ``(x, y)`` covers canvas pixels ``[22+y, 50+y) × [50+x, 78+x)``
(rows × columns) of the 72 × 128 canvas, clipped; pixels outside are dropped (no
wrap-around). Two digits are combined by the pixel-wise maximum
``frame = max(layer₁, layer₂)``, so they occlude each other. No rotation, no scaling.

Everything is fixed by the random generator passed in; the draws are made for the
whole set at once (starts, then velocities, then digit images), so the result does not
depend on the rendering chunk size.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from evodeap.data.captions import format_captions
from evodeap.data.digits import DigitPool
from evodeap.data.motion import (
    CANVAS_H,
    CANVAS_W,
    DIGIT_SIZE,
    MAX_X,
    MAX_Y,
    draw_starts,
    draw_velocities,
    fully_visible,
    rules_for,
    trajectories,
)
from evodeap.errors import DataError

CHUNK = 256


@dataclass
class GeneratedVideos:
    """One generated split.

    Attributes:
        videos: uint8 ``(N, T, 72, 128)`` (a numpy array or memmap).
        digits: ``(N, D)`` digit classes.
        image_ids: ``(N, D)`` indices of the digit images in the source.
        positions: ``(N, D, T, 2)`` offsets ``(x, y)``.
        steps: ``(N, D, T−1, 2)`` displacements.
        hidden: ``(N, D, T−1)`` True where the caption says "moves out of frame".
        captions: ``N`` caption strings.
    """

    videos: np.ndarray
    digits: np.ndarray
    image_ids: np.ndarray
    positions: np.ndarray
    steps: np.ndarray
    hidden: np.ndarray
    captions: list[str]


def render(images: np.ndarray, positions: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """Pure core: paste digits at their offsets and combine them by pixel-wise max.

    Args:
        images: uint8 ``(N, D, 28, 28)`` digit images.
        positions: integer offsets ``(N, D, T, 2)``.
        out: optional uint8 ``(N, T, 72, 128)`` destination.

    Returns:
        uint8 frames ``(N, T, 72, 128)``.
    """
    n, n_digits, frames = positions.shape[:3]
    if out is None:
        out = np.empty((n, frames, CANVAS_H, CANVAS_W), dtype=np.uint8)
    ar = np.arange(DIGIT_SIZE)
    # a 1-pixel trash border: pixels outside the canvas are clipped onto it, then dropped
    hp, wp = CANVAS_H + 2, CANVAS_W + 2
    for lo in range(0, n, CHUNK):
        hi = min(n, lo + CHUNK)
        m = hi - lo
        frame_idx = np.arange(m * frames).reshape(m, frames, 1, 1)
        result = None
        for d in range(n_digits):
            pos = positions[lo:hi, d]
            rows = np.clip(pos[..., 1, None] + (MAX_Y + 1) + ar, 0, hp - 1)[..., :, None]
            cols = np.clip(pos[..., 0, None] + (MAX_X + 1) + ar, 0, wp - 1)[..., None, :]
            layer = np.zeros((m * frames, hp, wp), dtype=np.uint8)
            layer[frame_idx, rows, cols] = images[lo:hi, d][:, None]
            layer[:, 0, :] = layer[:, -1, :] = 0
            layer[:, :, 0] = layer[:, :, -1] = 0
            result = layer if result is None else np.maximum(result, layer, out=result)
        out[lo:hi] = result.reshape(m, frames, hp, wp)[:, :, 1:-1, 1:-1]
    return out


def generate(
    version: str,
    n_videos: int,
    frames: int,
    rng: np.random.Generator,
    pool: DigitPool,
    out: np.ndarray | None = None,
) -> GeneratedVideos:
    """Generate ``n_videos`` captioned videos of one version from one digit pool.

    Args:
        version: ``easy``, ``medium`` or ``hard`` (see :mod:`evodeap.data.motion`).
        n_videos: number of videos ``N ≥ 0``.
        frames: frames per video ``T ≥ 1``.
        rng: the only source of randomness.
        pool: the digit images this split may use.
        out: optional uint8 ``(N, T, 72, 128)`` destination (a memmap, say).
    """
    rules = rules_for(version)
    if n_videos < 0:
        raise DataError(f"number of videos must be >= 0, got {n_videos}")
    if frames < 1:
        raise DataError(f"frames must be >= 1, got {frames}")
    shape = (n_videos, rules.n_digits)
    start = draw_starts(rng, shape)
    velocity = draw_velocities(rng, shape, rules.max_speed)
    pick = rng.integers(0, len(pool.labels), size=shape)
    positions, steps = trajectories(start, velocity, frames, rules)
    if version == "hard":
        hidden = ~fully_visible(positions[:, :, 1:])
    else:
        hidden = np.zeros(steps.shape[:-1], dtype=bool)
    digits = pool.labels[pick]
    videos = render(pool.images[pick], positions, out)
    captions = format_captions(digits, steps, hidden, consistently=version == "easy")
    return GeneratedVideos(videos, digits, pool.ids[pick], positions, steps, hidden, captions)
