"""Digit trajectories of Captioned Moving MNIST: start offsets, velocities, bounces.

Coordinates are *offsets* of a 28×28 digit from the centre of the 128×72 canvas: the
digit's top-left pixel is at ``(50 + x, 22 + y)``, so ``x ∈ [−50, 50]`` and
``y ∈ [−22, 22]`` are exactly the offsets at which the digit is fully visible.

Rules (the published generator's), for every digit independently:

* start offset ``x₀ ~ U{−50..50}``, ``y₀ ~ U{−22..22}``;
* velocity per axis ``v ~ U{−s..s}`` with ``s = 1`` (easy) or ``2`` (medium, hard) and
  ``0`` replaced by ``+1`` (so ``P(v=+1) = 2/(2s+1)`` and motion is always diagonal);
* each step ``p_{t+1} = p_t + v_t``; then the velocity of an axis flips
  (``v_{t+1} = −v_t``) when the *new* position crosses the version's bound:

  ======  =========================================  ==========================
  easy    never (straight line, may drift out)
  medium  ``x_{t+1} ≤ −50 or ≥ 50``; ``y_{t+1} ≤ −22 or ≥ 22``  (visible frame)
  hard    ``x_{t+1} < −78 or > 78``; ``y_{t+1} < −50 or > 50``  (28 px hidden margin)
  ======  =========================================  ==========================

The displacement of step ``t`` (frame ``t`` → ``t+1``) is ``v_t``, the velocity
*before* any flip; that is what a caption reports.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from evodeap.errors import DataError

CANVAS_W = 128
CANVAS_H = 72
DIGIT_SIZE = 28
MAX_X = (CANVAS_W - DIGIT_SIZE) // 2  # 50: largest fully visible |x| offset
MAX_Y = (CANVAS_H - DIGIT_SIZE) // 2  # 22
HIDDEN_MARGIN = 28
VERSIONS = ("easy", "medium", "hard")


@dataclass(frozen=True)
class VersionRules:
    """Motion rules of one dataset version.

    Attributes:
        n_digits: digits per video.
        max_speed: ``s``; velocities are drawn from ``{−s..s}`` with 0 → +1.
        bounce: ``None`` (no bounce) or ``(bx, by)``, the bounce bounds.
        strict: bounce when ``|p| > b`` (True) or ``|p| ≥ b`` (False).
    """

    n_digits: int
    max_speed: int
    bounce: tuple[int, int] | None
    strict: bool


RULES: dict[str, VersionRules] = {
    "easy": VersionRules(1, 1, None, False),
    "medium": VersionRules(2, 2, (MAX_X, MAX_Y), False),
    "hard": VersionRules(2, 2, (MAX_X + HIDDEN_MARGIN, MAX_Y + HIDDEN_MARGIN), True),
}


def rules_for(version: str) -> VersionRules:
    """The :class:`VersionRules` of ``version`` (``easy``, ``medium`` or ``hard``)."""
    try:
        return RULES[version]
    except KeyError:
        raise DataError(f"unknown dataset version {version!r}; choose one of {', '.join(VERSIONS)}") from None


def draw_velocities(rng: np.random.Generator, shape: tuple[int, ...], max_speed: int) -> np.ndarray:
    """Integer velocities in ``{−s..s}`` with 0 replaced by +1, shape ``shape + (2,)``."""
    v = rng.integers(-max_speed, max_speed + 1, size=shape + (2,))
    v[v == 0] = 1
    return v


def draw_starts(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """Start offsets ``(x, y)`` with ``x ∈ [−50, 50]``, ``y ∈ [−22, 22]``, shape ``shape + (2,)``."""
    x = rng.integers(-MAX_X, MAX_X + 1, size=shape)
    y = rng.integers(-MAX_Y, MAX_Y + 1, size=shape)
    return np.stack([x, y], axis=-1)


def trajectories(
    start: np.ndarray, velocity: np.ndarray, frames: int, rules: VersionRules
) -> tuple[np.ndarray, np.ndarray]:
    """Pure core: positions and per-step displacements from starts and initial velocities.

    Args:
        start: integer offsets, shape ``(..., 2)``.
        velocity: initial integer velocities, shape ``(..., 2)``.
        frames: number of frames ``T ≥ 1``.
        rules: the version's bounce rules.

    Returns:
        ``(positions, steps)``: positions of shape ``(..., T, 2)`` and the displacement of
        each step (the velocity before any flip) of shape ``(..., T−1, 2)``.
    """
    if frames < 1:
        raise DataError(f"frames must be >= 1, got {frames}")
    pos = np.asarray(start, dtype=np.int64).copy()
    vel = np.asarray(velocity, dtype=np.int64).copy()
    positions = np.empty(pos.shape[:-1] + (frames, 2), dtype=np.int64)
    steps = np.empty(pos.shape[:-1] + (max(frames - 1, 0), 2), dtype=np.int64)
    positions[..., 0, :] = pos
    bound = None if rules.bounce is None else np.asarray(rules.bounce, dtype=np.int64)
    for t in range(1, frames):
        steps[..., t - 1, :] = vel
        pos = pos + vel
        positions[..., t, :] = pos
        if bound is not None:
            hit = np.abs(pos) > bound if rules.strict else np.abs(pos) >= bound
            vel = np.where(hit, -vel, vel)
    return positions, steps


def fully_visible(positions: np.ndarray) -> np.ndarray:
    """True where a digit at offset ``(x, y)`` lies wholly inside the visible canvas.

    A digit is *partly outside* exactly when ``|x| > 50`` or ``|y| > 22``.
    """
    p = np.asarray(positions)
    return (np.abs(p[..., 0]) <= MAX_X) & (np.abs(p[..., 1]) <= MAX_Y)
