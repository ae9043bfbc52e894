"""Captions in the published Captioned Moving MNIST grammar, and their exact parser.

A caption is one line naming the digits, then one line per step (frame ``t`` → ``t+1``)::

    A digit 7 is on the first frame.                 (one digit)
    Digits (7, 2) are on the first frame.            (two digits)
    The digit 7 moves right by 2.0 pixels and upwards by 1.0 pixels, rotates by 0.0 degrees, and remains the same size.

* the horizontal word is ``right`` when ``dx > 0``, else ``left``; the vertical word is
  ``upwards`` when ``dy < 0``, else ``downwards`` (image y grows downwards); amounts are
  ``|dx|``, ``|dy|`` with one decimal;
* easy captions say ``consistently moves`` instead of ``moves``;
* in hard, while a digit is partly outside the visible frame after the step, its sentence
  is ``The digit 7 moves out of frame and disappears.``;
* with two digits, their sentences on one step line are joined by a tab.

:func:`parse_caption` inverts :func:`format_caption` exactly:
``parse_caption(format_caption(c)) == c`` and ``format_caption(parse_caption(s)) == s``.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from evodeap.errors import DataError

Move = tuple[float, float]

_FIRST_ONE = re.compile(r"A digit (\d) is on the first frame\.")
_FIRST_MANY = re.compile(r"Digits \((\d(?:, \d)*)\) are on the first frame\.")
_MOVE = re.compile(
    r"The digit (\d) (consistently moves|moves) (right|left) by (\d+\.\d+) pixels and "
    r"(upwards|downwards) by (\d+\.\d+) pixels, rotates by 0\.0 degrees, and remains the same size\."
)
_OUT = re.compile(r"The digit (\d) moves out of frame and disappears\.")


@dataclass(frozen=True)
class Caption:
    """The structured content of one caption.

    Attributes:
        digits: digit classes in caption order (one or two).
        steps: ``steps[t][d]`` is the displacement ``(dx, dy)`` of digit ``d`` in step
            ``t``, or ``None`` when the caption says it moved out of frame.
        consistently: True for easy-style wording (``consistently moves``); a caption
            with no step line (one frame) always parses as False.
    """

    digits: tuple[int, ...]
    steps: tuple[tuple[Move | None, ...], ...]
    consistently: bool = False

    @property
    def n_steps(self) -> int:
        """Number of step lines."""
        return len(self.steps)

    def hidden(self) -> np.ndarray:
        """Boolean ``(D, n_steps)``: True where digit ``d`` is out of frame at step ``t``."""
        h = np.array([[m is None for m in step] for step in self.steps], dtype=bool)
        return h.reshape(self.n_steps, len(self.digits)).T


def move_sentence(digit: int, dx: float, dy: float, consistently: bool = False) -> str:
    """The sentence for a digit displaced by ``(dx, dy)`` in one step."""
    verb = "consistently moves" if consistently else "moves"
    horizontal = "right" if dx > 0 else "left"
    vertical = "upwards" if dy < 0 else "downwards"
    return (
        f"The digit {digit} {verb} {horizontal} by {abs(dx):.1f} pixels and {vertical} by "
        f"{abs(dy):.1f} pixels, rotates by 0.0 degrees, and remains the same size."
    )


def out_sentence(digit: int) -> str:
    """The sentence for a digit partly outside the visible frame (hard only)."""
    return f"The digit {digit} moves out of frame and disappears."


def first_line(digits: tuple[int, ...]) -> str:
    """``A digit 7 is on the first frame.`` or ``Digits (7, 2) are on the first frame.``"""
    if len(digits) == 1:
        return f"A digit {digits[0]} is on the first frame."
    return f"Digits ({', '.join(str(d) for d in digits)}) are on the first frame."


def format_caption(caption: Caption) -> str:
    """Render a :class:`Caption` as text (lines joined by ``\\n``, no trailing newline)."""
    lines = [first_line(caption.digits)]
    for step in caption.steps:
        parts = [
            out_sentence(d) if m is None else move_sentence(d, m[0], m[1], caption.consistently)
            for d, m in zip(caption.digits, step)
        ]
        lines.append("\t".join(parts))
    return "\n".join(lines)


def format_captions(
    digits: np.ndarray, steps: np.ndarray, hidden: np.ndarray, consistently: bool
) -> list[str]:
    """Vectorised-friendly rendering of many captions from generator arrays.

    Args:
        digits: ``(N, D)`` digit classes.
        steps: ``(N, D, T−1, 2)`` integer displacements.
        hidden: ``(N, D, T−1)`` True where the out-of-frame sentence is used.
        consistently: easy-style wording.

    Returns:
        ``N`` caption strings, identical to :func:`format_caption` of the same content.
    """
    cache: dict[tuple[int, int, int], str] = {}
    out_cache = {d: out_sentence(d) for d in range(10)}
    result = []
    n, n_digits, n_steps = hidden.shape
    dig = digits.tolist()
    st = steps.tolist()
    hid = hidden.tolist()
    for i in range(n):
        lines = [first_line(tuple(dig[i]))]
        for t in range(n_steps):
            parts = []
            for d in range(n_digits):
                digit = dig[i][d]
                if hid[i][d][t]:
                    parts.append(out_cache[digit])
                    continue
                dx, dy = st[i][d][t]
                key = (digit, dx, dy)
                s = cache.get(key)
                if s is None:
                    s = cache[key] = move_sentence(digit, dx, dy, consistently)
                parts.append(s)
            lines.append("\t".join(parts))
        result.append("\n".join(lines))
    return result


def _parse_sentence(text: str, where: str) -> tuple[int, Move | None, bool | None]:
    m = _MOVE.fullmatch(text)
    if m:
        dx = float(m.group(4)) * (1.0 if m.group(3) == "right" else -1.0)
        dy = float(m.group(6)) * (-1.0 if m.group(5) == "upwards" else 1.0)
        return int(m.group(1)), (dx + 0.0, dy + 0.0), m.group(2) == "consistently moves"
    m = _OUT.fullmatch(text)
    if m:
        return int(m.group(1)), None, None
    raise DataError(f"{where}: not a caption sentence: {text[:80]!r}")


def parse_caption(text: str, *, source: str = "caption") -> Caption:
    """Parse caption text back into a :class:`Caption`.

    Args:
        text: the caption (surrounding blank lines and a trailing newline are ignored).
        source: a name for error messages (a file name, for instance).

    Raises:
        DataError: on any line outside the grammar or digits that disagree with line 1.
    """
    lines = text.strip("\n").split("\n")
    head = lines[0].strip()
    m1, m2 = _FIRST_ONE.fullmatch(head), _FIRST_MANY.fullmatch(head)
    if m1:
        digits: tuple[int, ...] = (int(m1.group(1)),)
    elif m2:
        digits = tuple(int(s) for s in m2.group(1).split(", "))
    else:
        raise DataError(f"{source}, line 1: not a caption first line: {head[:80]!r}")
    steps = []
    wording: set[bool] = set()
    for no, line in enumerate(lines[1:], start=2):
        parts = line.rstrip("\r").split("\t")
        where = f"{source}, line {no}"
        if len(parts) != len(digits):
            raise DataError(f"{where}: {len(parts)} sentence(s) for {len(digits)} digit(s)")
        moves = []
        for expected, part in zip(digits, parts):
            digit, move, consistently = _parse_sentence(part, where)
            if digit != expected:
                raise DataError(f"{where}: digit {digit} where line 1 says {expected}")
            if consistently is not None:
                wording.add(consistently)
            moves.append(move)
        steps.append(tuple(moves))
    if len(wording) > 1:
        raise DataError(f"{source}: mixes 'moves' and 'consistently moves'")
    return Caption(digits, tuple(steps), consistently=wording == {True})
