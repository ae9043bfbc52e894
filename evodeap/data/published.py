"""Reader and writer of the published Captioned Moving MNIST files.

Two forms, both numbered by batch ``i`` (and video ``j`` inside a batch):

* **video form**: ``batch_{i}_video_{j}.mp4`` (10 fps, 128 × 72, three-channel
  colormapped frames) with ``batch_{i}_video_{j}_captions.txt`` (that video's caption);
* **raw form**: ``batch_{i}_frames.pt`` (a float tensor ``batch × T × 1 × 72 × 128``;
  reading it needs torch) with ``batch_{i}_captions.txt`` (the batch's captions,
  separated by two blank lines).

Colour → grey: with colormap ``gray`` the grey value is the mean of the three channels;
with any matplotlib colormap name the grey value is the index of the nearest colour
(Euclidean, in RGB) in the colormap's 256-entry table. The writer applies the same
table, so writing and reading are inverse up to the codec's loss.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from evodeap.data.motion import CANVAS_H, CANVAS_W
from evodeap.data.store import read_captions, write_captions
from evodeap.errors import DataError

FPS = 10
_VIDEO = re.compile(r"batch_(\d+)_video_(\d+)\.mp4")
_RAW = re.compile(r"batch_(\d+)_frames\.pt")


@dataclass
class PublishedSet:
    """Videos read from published files: uint8 ``(N, T, 72, 128)``, captions, file names."""

    videos: np.ndarray
    captions: list[str]
    names: list[str]


def _ffmpeg():
    try:
        import imageio_ffmpeg
    except ImportError:
        raise DataError(
            "reading or writing MP4 files needs imageio-ffmpeg: pip install 'evodeap[kaggle]'"
        ) from None
    return imageio_ffmpeg


def _torch():
    try:
        import torch
    except ImportError:
        raise DataError(
            "the raw form (batch_*_frames.pt) needs torch, which is not installed: "
            "pip install torch, or use the video form (.mp4 + captions.txt)"
        ) from None
    return torch


def colormap_table(name: str) -> np.ndarray:
    """uint8 ``(256, 3)`` colour table of a colormap (``gray`` is the identity ramp)."""
    if name == "gray":
        return np.repeat(np.arange(256, dtype=np.uint8)[:, None], 3, axis=1)
    import matplotlib

    try:
        cmap = matplotlib.colormaps[name]
    except KeyError:
        raise DataError(f"unknown colormap {name!r}") from None
    return (cmap(np.arange(256))[:, :3] * 255).round().astype(np.uint8)


def to_grey(rgb: np.ndarray, colormap: str = "gray") -> np.ndarray:
    """Map colormapped frames ``(..., 3)`` uint8 back to grey ``(...)`` uint8."""
    if rgb.shape[-1] != 3:
        raise DataError(f"expected 3-channel frames, got shape {rgb.shape}")
    if colormap == "gray":
        return rgb.astype(np.float32).mean(axis=-1).round().astype(np.uint8)
    from scipy.spatial import cKDTree

    table = colormap_table(colormap).astype(np.float32)
    _, idx = cKDTree(table).query(rgb.reshape(-1, 3).astype(np.float32))
    return idx.astype(np.uint8).reshape(rgb.shape[:-1])


def read_mp4(path: Path, colormap: str = "gray") -> np.ndarray:
    """Read one MP4 as grey uint8 ``(T, 72, 128)``.

    Raises:
        DataError: unreadable file or a frame size other than 128 × 72.
    """
    ffmpeg = _ffmpeg()
    try:
        gen = ffmpeg.read_frames(str(path), pix_fmt="rgb24")
        meta = gen.__next__()
        w, h = meta["size"]
        frames = [np.frombuffer(b, dtype=np.uint8).reshape(h, w, 3) for b in gen]
    except (OSError, RuntimeError, ValueError, KeyError, StopIteration) as exc:
        raise DataError(f"{path}: not a readable video ({str(exc).splitlines()[0] if str(exc) else type(exc).__name__})") from None
    if (w, h) != (CANVAS_W, CANVAS_H):
        raise DataError(f"{path}: frames are {w}x{h}, expected {CANVAS_W}x{CANVAS_H}")
    if not frames:
        raise DataError(f"{path}: the video has no frames")
    return to_grey(np.stack(frames), colormap)


def write_mp4(path: Path, video: np.ndarray, colormap: str = "gray", crf: int = 12) -> None:
    """Write grey uint8 ``(T, 72, 128)`` as an H.264 MP4 at 10 fps, colormapped to RGB."""
    ffmpeg = _ffmpeg()
    table = colormap_table(colormap)
    writer = ffmpeg.write_frames(
        str(path), (CANVAS_W, CANVAS_H), fps=FPS, codec="libx264", macro_block_size=8,
        pix_fmt_in="rgb24", quality=None, output_params=["-crf", str(crf)],
        # grey survives 4:2:0 chroma subsampling; colours need full-resolution chroma
        pix_fmt_out="yuv420p" if colormap == "gray" else "yuv444p",
    )
    writer.send(None)
    for frame in video:
        writer.send(np.ascontiguousarray(table[frame]))
    writer.close()


def frames_from_tensor(array: np.ndarray, where: str) -> np.ndarray:
    """Pure core of the raw form: float ``(B, T, 1, 72, 128)`` in [0, 1] → uint8 ``(B, T, 72, 128)``.

    Values are scaled by 255 and rounded; arrays whose maximum exceeds 1.5 are taken
    to be on the 0…255 scale already.
    """
    a = np.asarray(array, dtype=np.float32)
    if a.ndim != 5 or a.shape[2] != 1 or a.shape[3:] != (CANVAS_H, CANVAS_W):
        raise DataError(f"{where}: expected frames of shape (batch, T, 1, 72, 128), got {a.shape}")
    if not np.isfinite(a).all():
        raise DataError(f"{where}: frames contain NaN or infinity")
    scale = 1.0 if a.size and a.max() > 1.5 else 255.0
    return np.clip(np.rint(a[:, :, 0] * scale), 0, 255).astype(np.uint8)


def _numbered(folder: Path, pattern: re.Pattern) -> list[tuple[tuple[int, ...], Path]]:
    found = []
    for p in folder.iterdir():
        m = pattern.fullmatch(p.name)
        if m:
            found.append((tuple(int(g) for g in m.groups()), p))
    return sorted(found)


def _stack(videos: list[np.ndarray], names: list[str], folder: Path) -> np.ndarray:
    lengths = {v.shape[0] for v in videos}
    if len(lengths) > 1:
        t = min(lengths)
        videos = [v[:t] for v in videos]
    return np.stack(videos)


def read_published(folder: str | Path, colormap: str = "gray") -> PublishedSet:
    """Read every video of a published folder (video form preferred, else raw form).

    Videos are ordered by batch, then video number. Videos of unequal length are cut
    to the shortest.

    Raises:
        DataError: no published files, a missing or malformed caption file, a bad video.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise DataError(f"{folder}: no such folder")
    mp4s = _numbered(folder, _VIDEO)
    if mp4s:
        videos, captions, names = [], [], []
        for _, p in mp4s:
            cpath = p.with_name(p.stem + "_captions.txt")
            if not cpath.is_file():
                raise DataError(f"{p}: its caption file {cpath.name} is missing")
            text = cpath.read_text(encoding="utf-8").replace("\r\n", "\n").strip("\n")
            if not text.strip():
                raise DataError(f"{cpath}: empty caption file")
            videos.append(read_mp4(p, colormap))
            captions.append(text)
            names.append(p.name)
        return PublishedSet(_stack(videos, names, folder), captions, names)
    raws = _numbered(folder, _RAW)
    if raws:
        torch = _torch()
        videos, captions, names = [], [], []
        for (i,), p in raws:
            cpath = folder / f"batch_{i}_captions.txt"
            if not cpath.is_file():
                raise DataError(f"{p}: its caption file {cpath.name} is missing")
            try:
                tensor = torch.load(str(p), map_location="cpu", weights_only=True)
                array = tensor.detach().cpu().float().numpy()
            except Exception as exc:  # torch raises many kinds on a bad file
                raise DataError(f"{p}: not a readable tensor file ({type(exc).__name__})") from None
            batch = frames_from_tensor(array, str(p))
            caps = read_captions(cpath)
            if len(caps) != len(batch):
                raise DataError(f"{cpath}: {len(caps)} captions for {len(batch)} videos in {p.name}")
            videos.extend(batch)
            captions.extend(caps)
            names.extend(f"{p.name}[{j}]" for j in range(len(batch)))
        return PublishedSet(_stack(videos, names, folder), captions, names)
    raise DataError(f"{folder}: no published files (batch_*_video_*.mp4 or batch_*_frames.pt)")


def write_published(
    folder: str | Path,
    videos: np.ndarray,
    captions: list[str],
    *,
    form: str = "video",
    batch_size: int = 16,
    colormap: str = "gray",
) -> list[Path]:
    """Export videos in a published form (the inverse of :func:`read_published`).

    Args:
        folder: destination; created if needed, and must not contain published files.
        videos: uint8 ``(N, T, 72, 128)``.
        captions: ``N`` captions.
        form: ``video`` (MP4 + one caption file per video) or ``raw`` (``.pt`` per batch,
            needs torch).
        batch_size: videos per batch number ``i``.
        colormap: colormap of the MP4 frames.

    Returns:
        The paths written.
    """
    videos = np.asarray(videos)
    if videos.ndim != 4 or videos.shape[2:] != (CANVAS_H, CANVAS_W) or videos.dtype != np.uint8:
        raise DataError(f"expected uint8 videos of shape (N, T, 72, 128), got {videos.shape} {videos.dtype}")
    if len(captions) != len(videos):
        raise DataError(f"{len(captions)} captions for {len(videos)} videos")
    if form not in ("video", "raw"):
        raise DataError(f"unknown export form {form!r}; choose video or raw")
    if batch_size < 1:
        raise DataError(f"batch size must be >= 1, got {batch_size}")
    folder = Path(folder)
    if folder.exists() and (_numbered(folder, _VIDEO) or _numbered(folder, _RAW)):
        raise DataError(f"{folder} already holds published files; not overwriting them")
    torch = _torch() if form == "raw" else None
    if form == "video":
        _ffmpeg()
        colormap_table(colormap)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for i, lo in enumerate(range(0, len(videos), batch_size)):
        batch = videos[lo:lo + batch_size]
        caps = captions[lo:lo + batch_size]
        if form == "video":
            for j, (video, cap) in enumerate(zip(batch, caps)):
                p = folder / f"batch_{i}_video_{j}.mp4"
                write_mp4(p, video, colormap)
                (folder / f"batch_{i}_video_{j}_captions.txt").write_text(cap + "\n", encoding="utf-8")
                written.append(p)
        else:
            p = folder / f"batch_{i}_frames.pt"
            frames = torch.from_numpy(batch[:, :, None].astype(np.float32) / 255.0)
            torch.save(frames, str(p))
            write_captions(folder / f"batch_{i}_captions.txt", list(caps))
            written.append(p)
    return written
