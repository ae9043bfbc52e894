"""``Perturbation``: the fixed-seed input corruption used by the fitness's robustness term."""
from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from evodeap.errors import DataError


@dataclass(frozen=True)
class Perturbation:
    """Gaussian noise plus a random square occluder, the same every time for one seed.

    For inputs ``x`` of shape ``(N, T, H, W, C)`` in [0, 1]:

    1. with ``rng = default_rng(seed)``, draw per video ``o_i ~ Bernoulli(occlusion_prob)``
       and a top-left corner ``(r_i, c_i)`` uniform over the positions where an
       ``s × s`` square fits, ``s = min(occlusion_size, H, W)``;
    2. ``x̃ = x + σ·ε`` with ``ε ~ N(0, 1)`` i.i.d. per element (``σ = noise_sigma``);
    3. for occluded videos ``x̃[i, :, r_i:r_i+s, c_i:c_i+s, :] = 0`` in every frame
       (a still black patch in front of the scene);
    4. ``x̃ = clip(x̃, 0, 1)``.

    Attributes:
        noise_sigma: ``σ ≥ 0``.
        occlusion_size: side ``s`` of the square, in pixels of the input (after downsampling).
        occlusion_prob: probability that a video gets the occluder.
        seed: fixes every draw.
    """

    noise_sigma: float = 0.1
    occlusion_size: int = 16
    occlusion_prob: float = 0.5
    seed: int = 0

    def __post_init__(self) -> None:
        if not (self.noise_sigma >= 0 and np.isfinite(self.noise_sigma)):
            raise DataError(f"noise_sigma must be a finite number >= 0, got {self.noise_sigma!r}")
        if isinstance(self.occlusion_size, bool) or not isinstance(self.occlusion_size, int) or self.occlusion_size < 0:
            raise DataError(f"occlusion_size must be an integer >= 0, got {self.occlusion_size!r}")
        if not 0.0 <= self.occlusion_prob <= 1.0:
            raise DataError(f"occlusion_prob must be in [0, 1], got {self.occlusion_prob!r}")
        if isinstance(self.seed, bool) or not isinstance(self.seed, int) or self.seed < 0:
            raise DataError(f"seed must be an integer >= 0, got {self.seed!r}")

    def apply(self, x: np.ndarray) -> np.ndarray:
        """Return the perturbed copy of ``x`` (float32, same shape, in [0, 1])."""
        x = np.asarray(x)
        if x.ndim != 5:
            raise DataError(f"perturbation expects (N, T, H, W, C) inputs, got shape {x.shape}")
        n, _, h, w, _ = x.shape
        rng = np.random.default_rng(self.seed)
        s = min(self.occlusion_size, h, w)
        occluded = rng.random(n) < self.occlusion_prob
        tops = rng.integers(0, h - s + 1, size=n)
        lefts = rng.integers(0, w - s + 1, size=n)
        out = np.array(x, dtype=np.float32, copy=True)
        if self.noise_sigma > 0:
            for i in range(n):  # per video, to bound the temporary's memory
                out[i] += self.noise_sigma * rng.standard_normal(out.shape[1:], dtype=np.float32)
        if s > 0:
            for i in np.flatnonzero(occluded):
                out[i, :, tops[i]:tops[i] + s, lefts[i]:lefts[i] + s, :] = 0.0
        np.clip(out, 0.0, 1.0, out=out)
        return out

    def to_dict(self) -> dict:
        """JSON-able form."""
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> Perturbation:
        """Inverse of :meth:`to_dict`."""
        return cls(**d)
