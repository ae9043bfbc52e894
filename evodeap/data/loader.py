"""``load(spec)``: generated (cached), stored or published Captioned Moving MNIST as a bundle."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from evodeap.data.bundle import DataBundle
from evodeap.data.captions import parse_caption
from evodeap.data.digits import SPLITS
from evodeap.data.motion import CANVAS_H, CANVAS_W
from evodeap.data.published import read_published
from evodeap.data.spec import DataSpec, default_cache_dir
from evodeap.data.store import GenerationParams, cached_set, open_set
from evodeap.data.tasks import task_info, task_labels
from evodeap.errors import DataError

CHUNK = 256


def videos_to_inputs(videos: np.ndarray, frames: int, stride: int, downsample: int) -> np.ndarray:
    """uint8 ``(N, T₀, 72, 128)`` → float32 model inputs ``(N, T, H, W, 1)`` in [0, 1].

    Keeps frames ``0, s, 2s, … < frames`` (``T = ceil(frames / s)``), then averages
    ``f × f`` blocks: ``x[n,t,i,j] = (1/f²) Σ_{a,b<f} v[n,t,f·i+a,f·j+b] / 255``.
    """
    n = len(videos)
    if videos.ndim != 4 or videos.shape[2:] != (CANVAS_H, CANVAS_W):
        raise DataError(f"expected videos (N, T, 72, 128), got {videos.shape}")
    if videos.shape[1] < frames:
        raise DataError(f"the videos have {videos.shape[1]} frames; {frames} were asked for")
    f = downsample
    t = len(range(0, frames, stride))
    out = np.empty((n, t, CANVAS_H // f, CANVAS_W // f, 1), dtype=np.float32)
    for lo in range(0, n, CHUNK):
        v = np.asarray(videos[lo:lo + CHUNK, :frames:stride])
        m = len(v)
        if f == 1:
            out[lo:lo + m, ..., 0] = v * np.float32(1.0 / 255.0)
            continue
        acc = np.zeros((m, t, CANVAS_H // f, CANVAS_W // f), dtype=np.float32)
        for a in range(f):  # f² strided adds: much faster than a mean over two axes
            for b in range(f):
                acc += v[:, :, a::f, b::f]
        out[lo:lo + m, ..., 0] = acc * np.float32(1.0 / (255.0 * f * f))
    return out


def _bundle(spec: DataSpec, version: str, videos: dict[str, np.ndarray], captions: dict[str, list[str]]) -> DataBundle:
    info = task_info(spec.task, version)
    sources = {}
    for split in SPLITS:
        if split not in videos or len(videos[split]) == 0:
            continue

        def source(split: str = split) -> tuple[np.ndarray, np.ndarray]:
            parsed = [parse_caption(c, source=f"{split} caption {i}") for i, c in enumerate(captions[split])]
            y = task_labels(spec.task, version, parsed)
            x = videos_to_inputs(videos[split], spec.frames, spec.frame_stride, spec.downsample)
            return x, y

        sources[split] = source
    if "train" not in sources or "val" not in sources:
        raise DataError("the data set needs at least one train and one val video")
    return DataBundle(info, spec.input_shape, sources, spec=spec,
                      captions={s: captions[s] for s in sources})


def load(spec: DataSpec) -> DataBundle:
    """Build the :class:`DataBundle` a spec describes.

    * ``spec.kaggle_dir``: read the published files, shuffle them with ``spec.seed`` and
      take ``spec.videos`` = (train, val, test) of them (a :class:`DataError` if there
      are fewer); the published digit pools are not known to be disjoint;
    * ``spec.data_dir``: a folder written by ``evodeap data generate`` (its own counts
      and version are used; ``spec.version`` must match);
    * otherwise generate, or reuse the disk cache in ``spec.cache_dir`` keyed by
      (version, videos, frames, seed, digit source).
    """
    if not isinstance(spec, DataSpec):
        raise DataError(f"expected a DataSpec, got {type(spec).__name__}")
    if spec.kaggle_dir is not None:
        published = read_published(spec.kaggle_dir, spec.kaggle_colormap)
        need = sum(spec.videos)
        if need > len(published.videos):
            raise DataError(f"{spec.kaggle_dir}: {len(published.videos)} videos, but {need} were asked for (videos={spec.videos})")
        order = np.random.default_rng(spec.seed).permutation(len(published.videos))
        cuts = np.cumsum(spec.videos)
        parts = np.split(order[:need], cuts[:-1])
        videos = {s: published.videos[np.sort(p)] for s, p in zip(SPLITS, parts)}
        captions = {s: [published.captions[i] for i in np.sort(p)] for s, p in zip(SPLITS, parts)}
        return _bundle(spec, spec.version, videos, captions)
    if spec.data_dir is not None:
        stored = open_set(Path(spec.data_dir))
        version = stored.params.get("version")
        if version != spec.version:
            raise DataError(f"{spec.data_dir} holds the {version} version, the spec asks for {spec.version}")
    else:
        params = GenerationParams(spec.version, spec.videos, spec.frames, spec.seed, spec.digits_source)
        stored = cached_set(params, Path(spec.cache_dir) if spec.cache_dir else default_cache_dir())
    videos = {s: part.videos for s, part in stored.splits.items()}
    captions = {s: part.captions for s, part in stored.splits.items()}
    return _bundle(spec, spec.version, videos, captions)
