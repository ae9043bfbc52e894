"""The writer (and row reader) of a run's results database, ``results.sqlite``.

:class:`ResultsDB` opens a database checked by :func:`evodeap.results.schema.check_database`,
or creates one whole (:meth:`ResultsDB.create`: built under a temporary name, then
renamed), so a ``results.sqlite`` that exists always has its tables and its ``runs`` row.
Only the master process writes. A writer keeps the database in WAL mode while it runs and
returns it to one self-contained file (rollback journal) when it closes.

The tables are described in :mod:`evodeap.results.schema`; the pandas readers
(``evaluations``, ``generations``, ``best_per_generation``, ``snapshots`` …) live in
:mod:`evodeap.results.queries` and are re-exported here for code written before the split.
"""
from __future__ import annotations

import json
import os
import sqlite3
import tempfile
import time
from pathlib import Path
from typing import Any, Iterator

from evodeap.errors import DamagedFileError, RunDirectoryError
from evodeap.evaluation.api import EvalResult
from evodeap.files import os_error, own_copy, temporary_name
from evodeap.genome.genome import Genome
from evodeap.results.queries import (best_per_generation, compute_per_generation, evaluations, generations,
                                     snapshots)
from evodeap.results.schema import (DB_FORMAT, SCHEMA, SIDECARS, check_database, database_path, decode_column, has_journal,
                                    private_copy, sqlite_error)

__all__ = ["ResultsDB",
           # the names of this module before the split, for users' code (evodeap's own imports their homes)
           "DB_FORMAT", "best_per_generation", "check_database", "compute_per_generation", "database_path",
           "evaluations", "generations", "snapshots"]


class ResultsDB:
    """Writer and reader of ``results.sqlite`` (one connection, autocommit per row).

    ``ResultsDB(path)`` opens an existing database, checked by :func:`check_database`;
    :meth:`create` makes a new one; ``readonly=True`` reads without writing anything.
    Errors are one line: a full disk (:class:`~evodeap.errors.DiskFullError`), a
    read-only file, a damaged database.
    """

    def __init__(self, path: str | Path, *, check: bool = True, readonly: bool = False) -> None:
        self.path = Path(path)
        self.readonly = readonly
        self.conn: sqlite3.Connection | None = None
        self._scratch: tempfile.TemporaryDirectory | None = None
        if check:
            check_database(self.path, thorough=False)  # before SQLite may create or touch anything
        try:
            if readonly and has_journal(self.path):  # read what SQLite recovers, on a private copy
                self._scratch = tempfile.TemporaryDirectory(prefix="evodeap-read-")
                copy = private_copy(self.path, Path(self._scratch.name))
                self.conn = sqlite3.connect(f"file:{copy}?mode=ro", uri=True, isolation_level=None)
            elif readonly:
                self.conn = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, isolation_level=None)
            else:
                for suffix in ("", *SIDECARS):  # a hard-linked copy (cp -al) never writes the other run's files
                    own_copy(self.path.parent, f"{self.path.name}{suffix}")
                self.conn = sqlite3.connect(self.path, isolation_level=None)
            if check:
                check_database(self.path, conn=self.conn)  # thorough, after a WAL is recovered
            if not readonly:
                self.conn.execute("PRAGMA journal_mode=WAL")
                self.conn.execute("PRAGMA synchronous=NORMAL")
        except sqlite3.Error as exc:
            self.close()
            raise sqlite_error(exc, self.path, "open") from None
        except BaseException:
            self.close()
            raise

    @classmethod
    def create(cls, path: str | Path, name: str, seed: int, config: dict) -> "ResultsDB":
        """Create ``path`` whole — tables, format and ``runs`` row under a temporary name,
        then renamed into place — and open it. Refuses an existing file."""
        path = Path(path)
        if path.exists() or path.is_symlink():
            raise RunDirectoryError(f"{path} already exists; evodeap never replaces a results database")
        temp = path.with_name(temporary_name(path.name))
        try:
            os.close(os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o666))
            conn = sqlite3.connect(temp, isolation_level=None)
            try:
                conn.executescript(SCHEMA)
                conn.execute(f"PRAGMA user_version = {DB_FORMAT}")
                conn.execute("INSERT INTO runs VALUES (1, ?, ?, ?, ?, 'running')",
                             (name, seed, json.dumps(config, sort_keys=True), time.time()))
            finally:
                conn.close()
            with open(temp, "rb") as handle:
                os.fsync(handle.fileno())
            os.replace(temp, path)
        except (OSError, sqlite3.Error) as exc:
            for leftover in (temp, Path(f"{temp}-journal")):
                try:
                    leftover.unlink()
                except OSError:
                    pass
            if isinstance(exc, OSError):
                raise os_error(exc, path) from None
            raise sqlite_error(exc, path) from None
        return cls(path, check=False)

    def close(self) -> None:
        """Close; the database goes back to one self-contained file (no WAL)."""
        if self._scratch is not None:
            self._scratch.cleanup()
            self._scratch = None
        if self.conn is None:
            return
        if not self.readonly:
            try:
                self.conn.execute("PRAGMA journal_mode=DELETE")
            except sqlite3.Error:
                pass  # e.g. the disk is full: the WAL stays, and the next opening recovers it
        self.conn.close()
        self.conn = None

    def __enter__(self) -> "ResultsDB":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def _execute(self, sql: str, parameters: tuple = (), action: str = "write") -> list[tuple]:
        try:
            return self.conn.execute(sql, parameters).fetchall()
        except sqlite3.Error as exc:
            raise sqlite_error(exc, self.path, action) from None

    # -- writing ----------------------------------------------------------------
    def start_run(self, name: str, seed: int, config: dict) -> None:
        self._execute("INSERT OR REPLACE INTO runs VALUES (1, ?, ?, ?, ?, 'running')",
                      (name, seed, json.dumps(config, sort_keys=True), time.time()))

    def set_status(self, status: str) -> None:
        self._execute("UPDATE runs SET status = ? WHERE run_id = 1", (status,))

    def add_evaluation(self, generation: int, index: int, genome: Genome, result: EvalResult) -> None:
        self._execute(
            "INSERT OR REPLACE INTO evaluations VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (generation, index, genome.key(), genome.to_json(), result.seed, result.status, result.message,
             json.dumps(list(result.fitness)), result.fitness[0] if result.fitness else None,
             json.dumps(result.components), json.dumps(result.metrics), result.wall_time, result.n_params,
             result.extra.get("worker", ""), json.dumps(result.extra, default=str), time.time()),
        )

    def add_generation(self, generation: int, record: dict, space: dict) -> None:
        self._execute(
            "INSERT OR REPLACE INTO generations VALUES (?,?,?,?,?,?,?)",
            (generation, json.dumps(record), record.get("mu"), record.get("beta"), record.get("best"),
             record.get("mean"), json.dumps(space)),
        )

    # -- reading ------------------------------------------------------------------
    def status(self) -> str | None:
        """The run's status (``running``, ``interrupted``, ``failed``, ``finished``); None without a ``runs`` row."""
        rows = self._execute("SELECT status FROM runs WHERE run_id = 1", action="read")
        return rows[0][0] if rows else None

    def generations_recorded(self) -> set[int]:
        """The generations that have a ``generations`` row (whose record and space must decode).

        Raises:
            DamagedFileError: a row does not decode (naming its generation).
        """
        rows = self._execute("SELECT generation, record, space FROM generations", action="read")
        for generation, record, space in rows:
            for column, text in (("record", record), ("space", space)):
                decode_column(text, column, self.path, f"the {column} of generation {generation}")
        return {r[0] for r in rows}

    def logbook_rows(self, through: int | None = None) -> list[dict[str, Any]]:
        """The logbook rows (the ``record`` of each ``generations`` row), in generation order,
        up to generation ``through`` (``None``: all) — the one stored copy of the logbook."""
        rows = self._execute("SELECT generation, record FROM generations ORDER BY generation", action="read")
        return [decode_column(record, "record", self.path, f"the record of generation {generation}")
                for generation, record in rows if through is None or generation <= through]

    def iter_evaluations(self, *, allow_unregistered: bool = False) -> Iterator[tuple[int, int, Genome, EvalResult]]:
        """Every stored evaluation as (generation, index, genome, result), in order.

        ``allow_unregistered`` decodes genes of layer kinds not registered (yet) in this
        process as :class:`~evodeap.genome.genes.UnregisteredGene` (checking a run before its
        experiment file, which registers them, runs).

        Raises:
            DamagedFileError: a row does not decode (naming its generation and index).
        """
        rows = self._execute(
            "SELECT generation, idx, genome, seed, status, message, fitness, components, metrics, "
            "wall_time, n_params, extra FROM evaluations ORDER BY generation, idx", action="read")
        first: tuple[int, str] | None = None  # the fitness length of the first row, and the row
        for gen, idx, genome, seed, status, message, fitness, components, metrics, wall, n_params, extra in rows:
            row = f"evaluation (generation {gen}, index {idx})"
            values = {column: decode_column(text, column, self.path, row) for column, text in
                      (("fitness", fitness), ("metrics", metrics), ("components", components), ("extra", extra))}
            first = first or (len(values["fitness"]), row)
            if len(values["fitness"]) != first[0]:
                raise DamagedFileError(f"{self.path} is corrupt: {row} has {len(values['fitness'])} fitness value(s), "
                                       f"{first[1]} has {first[0]}")
            try:
                result = EvalResult(
                    fitness=tuple(values["fitness"]), status=status, message=message or "", metrics=values["metrics"],
                    components=values["components"], wall_time=wall or 0.0, n_params=n_params or 0, seed=seed,
                    extra=values["extra"])
                decoded = Genome.from_json(genome, allow_unregistered=allow_unregistered)
            except Exception as exc:  # garbled text inside an intact page
                raise DamagedFileError(f"{self.path} is corrupt: {row} does not decode: {type(exc).__name__}: "
                                       f"{' '.join(str(exc).split())}") from None
            yield gen, idx, decoded, result
