"""A folder of trained weights, one Keras ``.weights.h5`` file per (genome key, budget).

The master process keeps the weights workers return (bytes, see
:func:`evodeap.fitness.inheritance.weights_to_bytes`) so that children can inherit them
and a genome trained for a small budget can continue later. This module never imports
Keras: it stores and returns opaque bytes.

File names are ``<key>-e<budget>.weights.h5``: ``key`` is a genome's hex key
(:meth:`evodeap.genome.Genome.key`) and ``budget`` the number of epochs trained, written
with Python's ``:g`` format (``3``, ``1.5``, ``0.25``). A budget is identified by that
text, so budgets that agree to ``:g``'s 6 significant digits name the same file.
"""
from __future__ import annotations

import math
import os
import re
import tempfile
from numbers import Real
from pathlib import Path
from typing import Iterable

SUFFIX = ".weights.h5"
_KEY = re.compile(r"[0-9a-f]+")
_FILE = re.compile(r"(?P<key>[0-9a-f]+)-e(?P<budget>[^/\\]+)\.weights\.h5")
_TEMP = re.compile(r"\.[0-9a-f]+-e[^/\\]+\.weights\.h5\.[^/\\]*\.tmp")


def _check_key(key: str) -> str:
    if not isinstance(key, str) or not _KEY.fullmatch(key):
        raise ValueError(f"a weight key must be a lower-case hex string (Genome.key()), got {key!r}")
    return key


def _budget_text(budget: float) -> str:
    if isinstance(budget, bool) or not isinstance(budget, Real) or not math.isfinite(budget) or budget < 0:
        raise ValueError(f"a budget must be a finite number of epochs >= 0, got {budget!r}")
    return f"{budget:g}"


def _parse_budget(text: str) -> float | None:
    """The budget a file name's text stands for, or None unless it is canonical ``:g`` text."""
    try:
        value = float(text)
    except ValueError:
        return None
    if not math.isfinite(value) or value < 0 or f"{value:g}" != text:
        return None
    return value


class WeightStore:
    """Weight files in one directory, named ``<key>-e<budget>.weights.h5``.

    The directory is created by the first :meth:`put`; reading a missing directory finds
    nothing. Only regular files (not symbolic links) whose whole name has the form above,
    with a lower-case hex key and a canonical ``:g`` budget, belong to the store; every
    other entry is ignored and never removed. Keys are validated as hex, so no path built
    here leaves the directory. One process writes (the master); :meth:`prune` must not
    run while a :meth:`put` is in progress.

    Args:
        root: the directory.
    """

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({str(self.root)!r})"

    def path(self, key: str, budget: float) -> Path:
        """Where the weights of ``key`` trained for ``budget`` epochs live (may not exist)."""
        return self.root / f"{_check_key(key)}-e{_budget_text(budget)}{SUFFIX}"

    def put(self, key: str, budget: float, data: bytes) -> Path:
        """Store ``data`` as the weights of ``key`` after ``budget`` epochs, atomically.

        The bytes go to a temporary file in the same directory, are flushed and fsynced,
        and the file is renamed over the final name (``os.replace``), so a reader sees the
        old file or the whole new one, never a partial one. An existing file for the same
        (key, budget) is replaced.

        Returns:
            The final path.

        Raises:
            ValueError: ``key`` is not lower-case hex, or ``budget`` is not a finite
                number >= 0.
        """
        final = self.path(key, budget)
        self.root.mkdir(parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(dir=self.root, prefix=f".{final.name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            os.replace(temp, final)
        except BaseException:
            try:
                os.unlink(temp)
            except FileNotFoundError:
                pass
            raise
        self._sync_directory()
        return final

    def get(self, key: str) -> tuple[bytes, float] | None:
        """The weights of ``key`` with the highest budget, as ``(data, budget)``; None if none."""
        files = self._files().get(_check_key(key))
        if not files:
            return None
        budget = max(files)
        return files[budget].read_bytes(), budget

    def get_at(self, key: str, budget: float) -> bytes | None:
        """The weights of ``key`` after exactly ``budget`` epochs (same ``:g`` text); None if absent."""
        path = self.path(key, budget)
        if path.is_symlink() or not path.is_file():
            return None
        return path.read_bytes()

    def keys(self) -> set[str]:
        """Every key with at least one weight file."""
        return set(self._files())

    def prune(self, keep: Iterable[str]) -> int:
        """Remove what is no longer needed; return the number of files removed.

        Removes every weight file of a key not in ``keep``; for a key in ``keep``, every
        file except the one with the highest budget; and every temporary file a
        :meth:`put` left behind (``.<name>.<random>.tmp``). Foreign entries stay.
        """
        keep = set(keep)
        removed = 0
        for key, files in self._files().items():
            best = max(files) if key in keep else None
            for budget, path in files.items():
                if budget != best:
                    path.unlink()
                    removed += 1
        for entry in self._entries():
            if _TEMP.fullmatch(entry.name):
                entry.unlink()
                removed += 1
        return removed

    # -- internals ----------------------------------------------------------------
    def _entries(self) -> list[Path]:
        """Regular files (not symbolic links) directly in the directory."""
        if not self.root.is_dir():
            return []
        return [p for p in self.root.iterdir() if not p.is_symlink() and p.is_file()]

    def _files(self) -> dict[str, dict[float, Path]]:
        """key -> {budget -> path} for the entries that belong to the store."""
        found: dict[str, dict[float, Path]] = {}
        for entry in self._entries():
            match = _FILE.fullmatch(entry.name)
            if not match:
                continue
            budget = _parse_budget(match["budget"])
            if budget is not None:
                found.setdefault(match["key"], {})[budget] = entry
        return found

    def _sync_directory(self) -> None:
        """Make the rename durable (fsync the directory where the OS allows it)."""
        try:
            fd = os.open(self.root, os.O_RDONLY)
        except OSError:
            return
        try:
            os.fsync(fd)
        except OSError:
            pass
        finally:
            os.close(fd)
