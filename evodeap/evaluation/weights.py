"""A folder of trained weights, one Keras ``.weights.h5`` file per (genome key, budget).

The master process keeps the weights workers return (bytes, see
:func:`evodeap.fitness.inheritance.weights_to_bytes`) so that children can inherit them
and a genome trained for a small budget can continue later. This module never imports
Keras: it stores and returns opaque bytes.

File names are ``<key>-e<budget>.weights.h5``: ``key`` is a genome's hex key
(:meth:`evodeap.genome.genome.Genome.key`) and ``budget`` the number of epochs trained, written
with Python's ``:g`` format (``3``, ``1.5``, ``0.25``). A budget is identified by that
text, so budgets that agree to ``:g``'s 6 significant digits name the same file.

``index.json`` in the folder lists every file of the store with its SHA-256 and size
(``{"format": 1, "files": {name: {"sha256": ..., "size": ...}}}``). It is written after
each file (both atomically, :mod:`evodeap.files`), so a file is in the store exactly when
it is indexed, and every read is checked against it: a damaged or deleted file is a
:class:`WeightFileError` naming it, never a silently different start. A folder written
before the index existed (weight files, no ``index.json``) is read as it was and indexed
by its first write.
"""
from __future__ import annotations

import hashlib
import math
import os
import re
from numbers import Real
from pathlib import Path
from typing import Any, Iterable

from evodeap.errors import DamagedFileError, RunDirectoryError
from evodeap.files import INDEX_FORMAT, TEMPORARY, read_bytes, read_json, write_bytes, write_json

SUFFIX = ".weights.h5"
INDEX = "index.json"
DAMAGED = "damaged"  # where forget() moves damaged files (a folder foreign to the store)
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


class WeightFileError(DamagedFileError):
    """Weight files of a store are damaged or missing; ``files`` names them."""

    def __init__(self, message: str, files: list[str]) -> None:
        super().__init__(message)
        self.files = files


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class WeightStore:
    """Weight files in one directory, named ``<key>-e<budget>.weights.h5``, with their index.

    The directory is created by the first :meth:`put`; reading a missing directory finds
    nothing. The files of the store are those in ``index.json`` (see the module
    docstring); in a folder without an index, the regular files (not symbolic links) whose
    whole name has the form above, with a lower-case hex key and a canonical ``:g``
    budget. Every other entry is foreign: ignored and never removed. Keys are validated as
    hex, so no path built here leaves the directory. One process writes (the master).

    Args:
        root: the directory.
    """

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)
        self._index: dict[str, dict[str, Any]] | None = None
        self._loaded = False

    def __repr__(self) -> str:
        return f"{type(self).__name__}({str(self.root)!r})"

    def path(self, key: str, budget: float) -> Path:
        """Where the weights of ``key`` trained for ``budget`` epochs live (may not exist)."""
        return self.root / f"{_check_key(key)}-e{_budget_text(budget)}{SUFFIX}"

    def put(self, key: str, budget: float, data: bytes) -> Path:
        """Store ``data`` as the weights of ``key`` after ``budget`` epochs, atomically.

        The file is written atomically (:func:`evodeap.files.write_bytes`), then the index
        records its checksum. An existing file for the same (key, budget) is replaced.

        Returns:
            The final path.

        Raises:
            ValueError: ``key`` is not lower-case hex, or ``budget`` is not a finite
                number >= 0.
        """
        final = self.path(key, budget)
        index = self._writable_index()
        self.root.mkdir(parents=True, exist_ok=True)
        write_bytes(self.root, final.name, data)
        index[final.name] = {"sha256": sha256(data), "size": len(data)}
        self._save_index()
        return final

    def get(self, key: str) -> tuple[bytes, float] | None:
        """The weights of ``key`` with the highest budget, as ``(data, budget)``; None if none.

        Raises:
            WeightFileError: that file is damaged or missing.
        """
        files = self._files().get(_check_key(key))
        if not files:
            return None
        budget = max(files)
        return self._read(files[budget]), budget

    def get_at(self, key: str, budget: float) -> bytes | None:
        """The weights of ``key`` after exactly ``budget`` epochs (same ``:g`` text); None if absent.

        Raises:
            WeightFileError: that file is indexed but damaged or missing.
        """
        path = self.path(key, budget)
        if self._load_index() is None:
            if path.is_symlink() or not path.is_file():
                return None
        elif path.name not in self._index:
            return None
        return self._read(path.name)

    def keys(self) -> set[str]:
        """Every key with at least one weight file."""
        return set(self._files())

    def check(self) -> dict[str, str]:
        """name -> problem (``missing``, ``damaged (...)``) of every indexed file that is not whole."""
        index = self._load_index()
        if index is None:
            return {}
        problems = {name: self._problem(name) for name in index}
        return {name: problem for name, problem in problems.items() if problem}

    def file_names(self) -> list[str]:
        """The regular files in the folder that have a store name, indexed or not (sorted)."""
        return sorted(self._scan().values())

    def has_unindexed_files(self) -> bool:
        """True when the folder holds weight files but no ``index.json`` (written before the index)."""
        return self._load_index() is None and bool(self._scan())

    def forget(self, names: Iterable[str]) -> list[str]:
        """Take ``names`` out of the store: drop them from the index and move what is left of
        each file into ``damaged/`` beside them (kept for inspection, foreign to the store).

        Returns:
            The names forgotten.
        """
        index = self._writable_index()
        forgotten = []
        for name in names:
            if name in index or (self.root / name).exists():
                index.pop(name, None)
                forgotten.append(name)
                if (self.root / name).is_file() and not (self.root / name).is_symlink():
                    (self.root / DAMAGED).mkdir(exist_ok=True)
                    os.replace(self.root / name, self.root / DAMAGED / name)
        if forgotten:
            self._save_index()
        return forgotten

    def forget_all(self) -> list[str]:
        """Take every file out of the store, the index included, when the index cannot be
        trusted: each moves into ``damaged/``, and an empty index is written.

        Returns:
            The names moved.
        """
        names = self.file_names() + ([INDEX] if (self.root / INDEX).is_file() else [])
        if names:
            (self.root / DAMAGED).mkdir(exist_ok=True)
        for name in names:
            os.replace(self.root / name, self.root / DAMAGED / name)
        self._index, self._loaded = {}, True
        self._save_index()
        return names

    def prune(self, keep: Iterable[str]) -> int:
        """Remove what is no longer needed; return the number of files removed.

        Removes every weight file of a key not in ``keep``; for a key in ``keep``, every
        file except the one with the highest budget; every unindexed file with a store
        name (left by an interrupted :meth:`put` or :meth:`prune`); and every temporary
        file a write left behind (``.<name>.<random>.tmp``, the index's included). Foreign entries stay. The
        index is written before the files go, so it never names a removed file.
        """
        keep = set(keep)
        index = self._writable_index()
        doomed = []
        for key, files in self._files().items():
            best = max(files) if key in keep else None
            doomed += [name for budget, name in files.items() if budget != best]
        if doomed:
            for name in doomed:
                index.pop(name, None)
            self._save_index()
        doomed += [name for name in self._scan().values() if name not in index and name not in doomed]
        removed = 0
        for name in doomed:
            try:
                (self.root / name).unlink()
                removed += 1
            except FileNotFoundError:
                pass
        for entry in self._entries():
            if _TEMP.fullmatch(entry.name) or TEMPORARY.fullmatch(entry.name):
                entry.unlink()
                removed += 1
        return removed

    # -- internals ----------------------------------------------------------------
    def _read(self, name: str) -> bytes:
        problem = None
        try:
            data = read_bytes(self.root, name)
        except FileNotFoundError:
            data, problem = None, "missing"
        if data is not None and self._index is not None:
            problem = _mismatch(data, self._index.get(name))
        if problem:
            raise WeightFileError(f"{self.root / name} is {problem}", [name])
        return data

    def _problem(self, name: str) -> str | None:
        try:
            data = read_bytes(self.root, name)
        except FileNotFoundError:
            return "missing"
        except RunDirectoryError as exc:
            return str(exc)
        return _mismatch(data, self._index.get(name))

    def _load_index(self) -> dict[str, dict[str, Any]] | None:
        """The index (name -> {sha256, size}); None for a folder without one."""
        if self._loaded:
            return self._index
        try:
            data = read_json(self.root, INDEX)
        except FileNotFoundError:
            self._index, self._loaded = None, True
            return None
        where = self.root / INDEX
        files = data.get("files") if isinstance(data, dict) else None
        if not isinstance(files, dict) or not all(
                isinstance(n, str) and _FILE.fullmatch(n) and isinstance(e, dict)
                and isinstance(e.get("sha256"), str) and isinstance(e.get("size"), int) for n, e in files.items()):
            raise DamagedFileError(f"{where} is corrupt: expected {{\"format\": 1, \"files\": {{name: {{sha256, size}}}}}}")
        if not isinstance(data.get("format"), int) or data["format"] > INDEX_FORMAT:
            raise DamagedFileError(f"{where} has format {data.get('format')!r}; this evodeap reads format {INDEX_FORMAT}")
        self._index, self._loaded = files, True
        return files

    def _writable_index(self) -> dict[str, dict[str, Any]]:
        """The index, adopting the files of a folder written before the index existed."""
        if self._load_index() is None:
            self._index = {}
            for name in self._scan().values():
                data = read_bytes(self.root, name)  # never through a planted link
                self._index[name] = {"sha256": sha256(data), "size": len(data)}
        return self._index

    def _save_index(self) -> None:
        write_json(self.root, INDEX, {"format": INDEX_FORMAT, "files": dict(sorted(self._index.items()))})

    def _entries(self) -> list[Path]:
        """Regular files (not symbolic links) directly in the directory."""
        if not self.root.is_dir():
            return []
        return [p for p in self.root.iterdir() if not p.is_symlink() and p.is_file()]

    def _scan(self) -> dict[tuple[str, float], str]:
        """(key, budget) -> name of the regular files in the folder with a store name."""
        found = {}
        for entry in self._entries():
            parsed = _parse_name(entry.name)
            if parsed is not None:
                found[parsed] = entry.name
        return found

    def _files(self) -> dict[str, dict[float, str]]:
        """key -> {budget -> name} of the files in the store."""
        index = self._load_index()
        names = self._scan().values() if index is None else index
        found: dict[str, dict[float, str]] = {}
        for name in names:
            parsed = _parse_name(name)
            if parsed is not None:
                found.setdefault(parsed[0], {})[parsed[1]] = name
        return found


def _parse_name(name: str) -> tuple[str, float] | None:
    match = _FILE.fullmatch(name)
    if not match:
        return None
    budget = _parse_budget(match["budget"])
    return None if budget is None else (match["key"], budget)


def _mismatch(data: bytes, entry: dict[str, Any] | None) -> str | None:
    if entry is None:
        return None
    if len(data) != entry["size"]:
        return f"damaged ({len(data)} bytes, {entry['size']} when written)"
    if sha256(data) != entry["sha256"]:
        return "damaged (its SHA-256 differs from the one recorded when it was written)"
    return None
