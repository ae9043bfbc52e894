"""Pictures of the data for people: an animated GIF and a PNG strip with captions."""
from __future__ import annotations

import textwrap
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from evodeap.errors import DataError

LINE_H = 12
PAD = 6
BACKGROUND = 255
TEXT = 0


def _font() -> ImageFont.ImageFont:
    return ImageFont.load_default()


def _wrap(text: str, width_px: int) -> list[str]:
    chars = max(20, width_px // 6)
    out: list[str] = []
    for line in text.split("\n"):
        out.extend(textwrap.wrap(line.replace("\t", "  |  "), chars) or [""])
    return out


def _text_block(lines: list[str], width: int) -> Image.Image:
    img = Image.new("L", (width, LINE_H * len(lines) + PAD), BACKGROUND)
    draw = ImageDraw.Draw(img)
    for k, line in enumerate(lines):
        draw.text((PAD, PAD // 2 + k * LINE_H), line, fill=TEXT, font=_font())
    return img


def _step_line(caption: str, t: int) -> str:
    lines = caption.split("\n")
    if t == 0 or t >= len(lines):
        return f"frame {t}"
    return f"frame {t}: {lines[t]}"


def _check(videos: np.ndarray, captions: list[str]) -> None:
    if videos.ndim != 4 or videos.dtype != np.uint8 or len(videos) == 0:
        raise DataError(f"expected uint8 videos (N >= 1, T, H, W), got {videos.shape} {videos.dtype}")
    if len(captions) != len(videos):
        raise DataError(f"{len(captions)} captions for {len(videos)} videos")


def png_strip(videos: np.ndarray, captions: list[str], path: Path, *, n_frames: int = 6, scale: int = 1) -> Path:
    """Write one row of ``n_frames`` evenly spaced frames per video, each row followed by
    the caption's first line and the step lines of the frames shown."""
    _check(videos, captions)
    _, t, h, w = videos.shape
    picks = np.unique(np.linspace(0, t - 1, min(n_frames, t)).round().astype(int))
    fw, fh = w * scale, h * scale
    width = len(picks) * (fw + PAD) + PAD
    blocks = []
    for video, caption in zip(videos, captions):
        row = Image.new("L", (width, fh + 2 * PAD), 128)
        for k, f in enumerate(picks):
            frame = Image.fromarray(video[f]).resize((fw, fh), Image.NEAREST)
            row.paste(frame, (PAD + k * (fw + PAD), PAD))
        lines = [caption.split("\n")[0]] + [_step_line(caption, int(f)) for f in picks if f > 0]
        blocks.extend([row, _text_block(_wrap("\n".join(lines), width - 2 * PAD), width)])
    sheet = Image.new("L", (width, sum(b.height for b in blocks)), BACKGROUND)
    y = 0
    for b in blocks:
        sheet.paste(b, (0, y))
        y += b.height
    sheet.save(path)
    return path


def animated_gif(videos: np.ndarray, captions: list[str], path: Path, *, scale: int = 2, columns: int = 2, fps: int = 10) -> Path:
    """Write an animated GIF: the videos in a grid, each with its first caption line and
    the current step's sentence under it."""
    _check(videos, captions)
    n, t, h, w = videos.shape
    fw, fh = w * scale, h * scale
    cols = min(columns, n)
    rows = -(-n // cols)
    text_lines = 8
    cell_w, cell_h = fw + 2 * PAD, fh + 2 * PAD + text_lines * LINE_H
    frames = []
    for f in range(t):
        canvas = Image.new("L", (cols * cell_w, rows * cell_h), BACKGROUND)
        for i in range(n):
            x0, y0 = (i % cols) * cell_w, (i // cols) * cell_h
            canvas.paste(Image.fromarray(videos[i, f]).resize((fw, fh), Image.NEAREST), (x0 + PAD, y0 + PAD))
            head = captions[i].split("\n")[0]
            lines = _wrap(head + "\n" + _step_line(captions[i], f), fw)[:text_lines]
            canvas.paste(_text_block(lines, fw), (x0 + PAD, y0 + PAD + fh))
        frames.append(canvas.convert("P"))
    frames[0].save(path, save_all=True, append_images=frames[1:], duration=int(1000 / fps), loop=0)
    return path
