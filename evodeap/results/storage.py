"""The results database (``results.sqlite``) of a run directory.

Tables:

* ``runs`` — one row: name, seed, config JSON, start time, status;
* ``evaluations`` — one row per evaluation, written (and committed) as soon as it
  completes: generation, index, key, genome JSON, seed, status, message, fitness,
  components, metrics, wall time, parameter count, worker;
* ``generations`` — one row per generation: the logbook row, μ, β and the search space
  in force.

Only the master process writes. Readers get pandas DataFrames (:func:`evaluations`,
:func:`generations`, :func:`best_per_generation`). JSON columns hold dicts; the
DataFrame helpers expand metrics and components into ``metric_<name>`` /
``component_<name>`` columns (the naming of :mod:`evodeap.results.columns`).

The database is versioned by SQLite's ``user_version`` (:data:`DB_FORMAT`; 0 is a
database written before versioning, read the same way). It is created whole
(:meth:`ResultsDB.create`: built under a temporary name, then renamed), so a
``results.sqlite`` that exists always has its tables and its ``runs`` row. Every opening
checks it (:func:`check_database`): a missing, empty, truncated, garbled or table-less
database is refused with one line naming the file and the damage, never recreated. A
writer keeps it in WAL mode while it runs and returns it to one self-contained file
(rollback journal) when it closes. Inside :func:`snapshots` the readers read private
copies, so reading a received run directory opens and writes nothing in it.
"""
from __future__ import annotations

import contextvars
import json
import os
import sqlite3
import tempfile
import time
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterator

from evodeap.results.columns import current_names
from evodeap.errors import DamagedFileError, DiskFullError, ReadOnlyError, RunDirectoryError, UnsafePathError
from evodeap.evaluation.api import EvalResult
from evodeap.files import os_error, read_bytes, temporary_name, write_bytes
from evodeap.genome.genome import Genome

DB_FORMAT = 2
SIDECARS = ("-wal", "-shm", "-journal")
_HEADER = b"SQLite format 3\x00"

SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    run_id INTEGER PRIMARY KEY, name TEXT, seed INTEGER, config TEXT, started REAL, status TEXT
);
CREATE TABLE IF NOT EXISTS evaluations (
    generation INTEGER NOT NULL, idx INTEGER NOT NULL, key TEXT NOT NULL, genome TEXT NOT NULL,
    seed INTEGER, status TEXT, message TEXT, fitness TEXT, fitness0 REAL, components TEXT,
    metrics TEXT, wall_time REAL, n_params INTEGER, worker TEXT, extra TEXT, written REAL,
    PRIMARY KEY (generation, idx)
);
CREATE INDEX IF NOT EXISTS evaluations_key ON evaluations (key);
CREATE TABLE IF NOT EXISTS generations (
    generation INTEGER PRIMARY KEY, record TEXT, mu REAL, beta REAL, best REAL, mean REAL, space TEXT
);
"""


@lru_cache(maxsize=1)
def expected_columns() -> dict[str, frozenset[str]]:
    """table -> columns that :data:`SCHEMA` defines (read from SQLite, so the two cannot disagree)."""
    conn = sqlite3.connect(":memory:")
    try:
        conn.executescript(SCHEMA)
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        return {t: frozenset(r[1] for r in conn.execute(f"PRAGMA table_info({t})")) for t in tables}
    finally:
        conn.close()


def _sqlite_error(exc: sqlite3.Error, path: Path | str, action: str = "write") -> RunDirectoryError:
    """The one-line error for an SQLite error met while ``action``-ing ``path``."""
    text = str(exc)
    if "full" in text:
        return DiskFullError(f"no space left on the device while writing {path}")
    if "readonly" in text or "read-only" in text:
        return ReadOnlyError(f"cannot {action} {path}: it is read-only")
    if "malformed" in text or "not a database" in text:
        return DamagedFileError(f"{path} is corrupt: {text}")
    return RunDirectoryError(f"cannot {action} {path}: {text}")


def check_database(path: str | os.PathLike[str], shown: str | os.PathLike[str] | None = None, *,
                   thorough: bool = True, conn: sqlite3.Connection | None = None) -> None:
    """Refuse a results database that is missing, a link, empty, truncated, garbled, from a
    newer evodeap, or lacks a table or column — one line naming ``shown`` (default ``path``).

    Checks, in order: the file and its ``-wal``/``-shm``/``-journal`` companions are not
    links; the size is not 0; the 16-byte SQLite header; the size against the page count
    in the header (unless a WAL holds pages not yet copied back); ``user_version`` <=
    :data:`DB_FORMAT`; every table and column of :data:`SCHEMA`; with ``thorough``,
    ``PRAGMA integrity_check`` (every page, b-tree and index).

    Args:
        conn: an open connection to ``path`` to check through (else one is opened read-only).
    """
    path = Path(path)
    shown = Path(shown) if shown is not None else path
    for suffix in ("", *SIDECARS):
        if os.path.islink(f"{path}{suffix}"):
            raise UnsafePathError(f"{shown}{suffix} is a symbolic link; evodeap never follows links in a run directory")
    if not path.exists():
        raise RunDirectoryError(f"{shown} is missing")
    if not path.is_file():
        raise DamagedFileError(f"{shown} is corrupt: not a regular file")
    size = path.stat().st_size
    if size == 0:
        raise DamagedFileError(f"{shown} is corrupt: it is empty (0 bytes)")
    with open(path, "rb") as handle:
        header = handle.read(100)
    if len(header) < 100 or not header.startswith(_HEADER):
        raise DamagedFileError(f"{shown} is corrupt: not an SQLite database (it does not start with the SQLite header)")
    page_size = int.from_bytes(header[16:18], "big")
    page_size = 65536 if page_size == 1 else page_size
    pages = int.from_bytes(header[28:32], "big")
    wal = Path(f"{path}-wal")
    wal_pending = wal.is_file() and wal.stat().st_size > 0
    if header[24:28] == header[92:96] and pages and size < pages * page_size and not wal_pending:
        raise DamagedFileError(f"{shown} is corrupt: truncated ({size} bytes; its header says "
                               f"{pages} pages of {page_size} bytes = {pages * page_size})")
    own = conn is None
    try:
        if own:
            conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if version > DB_FORMAT:
            raise RunDirectoryError(f"{shown} was written by a newer evodeap (database format {version}; this one "
                                    f"reads up to {DB_FORMAT}): upgrade evodeap to use this run directory")
        for table, columns in expected_columns().items():
            found = {r[1] for r in conn.execute(f"PRAGMA table_info({table})")}
            if not found:
                raise DamagedFileError(f"{shown} is corrupt: table '{table}' is missing")
            if columns - found:
                raise DamagedFileError(f"{shown} is corrupt: table '{table}' lacks column(s) "
                                       f"{', '.join(sorted(columns - found))}")
        if thorough:
            problems = [r[0] for r in conn.execute("PRAGMA integrity_check(5)")]
            if problems != ["ok"]:
                # SQLite's report may span lines ("*** in database main ***\nOn tree page ..."): one line
                raise DamagedFileError(f"{shown} is corrupt: {'; '.join(' '.join(p.split()) for p in problems)}")
    except sqlite3.Error as exc:
        raise DamagedFileError(f"{shown} is corrupt: {exc}") from None
    finally:
        if own and conn is not None:
            conn.close()


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
        if check:
            check_database(self.path, thorough=False)  # before SQLite may create or touch anything
        try:
            if readonly:
                self.conn = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, isolation_level=None)
            else:
                self.conn = sqlite3.connect(self.path, isolation_level=None)
            if check:
                check_database(self.path, conn=self.conn)  # thorough, after a WAL is recovered
            if not readonly:
                self.conn.execute("PRAGMA journal_mode=WAL")
                self.conn.execute("PRAGMA synchronous=NORMAL")
        except sqlite3.Error as exc:
            self.close()
            raise _sqlite_error(exc, self.path, "open") from None
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
            raise _sqlite_error(exc, path) from None
        return cls(path, check=False)

    def close(self) -> None:
        """Close; the database goes back to one self-contained file (no WAL)."""
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
            raise _sqlite_error(exc, self.path, action) from None

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
            for what, text in (("record", record), ("space", space)):
                try:
                    json.loads(text)
                except (TypeError, ValueError) as exc:
                    raise DamagedFileError(f"{self.path} is corrupt: the {what} of generation {generation} "
                                           f"does not decode: {exc}") from None
        return {r[0] for r in rows}

    def logbook_rows(self, through: int | None = None) -> list[dict[str, Any]]:
        """The logbook rows (the ``record`` of each ``generations`` row), in generation order,
        up to generation ``through`` (``None``: all) — the one stored copy of the logbook."""
        rows = self._execute("SELECT generation, record FROM generations ORDER BY generation", action="read")
        return [json.loads(record) for generation, record in rows if through is None or generation <= through]

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
        for gen, idx, genome, seed, status, message, fitness, components, metrics, wall, n_params, extra in rows:
            try:
                result = EvalResult(
                    fitness=tuple(json.loads(fitness)), status=status, message=message or "",
                    metrics=json.loads(metrics), components=json.loads(components), wall_time=wall or 0.0,
                    n_params=n_params or 0, seed=seed, extra=json.loads(extra or "{}"),
                )
                decoded = Genome.from_json(genome, allow_unregistered=allow_unregistered)
            except Exception as exc:  # garbled text inside an intact page
                raise DamagedFileError(f"{self.path} is corrupt: evaluation (generation {gen}, index {idx}) "
                                       f"does not decode: {type(exc).__name__}: {exc}") from None
            yield gen, idx, decoded, result


class _Snapshots:
    """Private copies of results databases, one per database, in a temporary folder."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.copies: dict[str, Path] = {}

    def copy_of(self, path: Path) -> Path:
        key = os.path.realpath(path)
        if key in self.copies:
            return self.copies[key]
        check_database(path, thorough=False)  # links, size, header, tables: named on the original
        folder = self.root / str(len(self.copies))
        folder.mkdir()
        for suffix in ("", "-wal", "-journal"):
            try:
                data = read_bytes(path.parent, f"{path.name}{suffix}")
            except FileNotFoundError:
                continue
            write_bytes(folder, f"results.sqlite{suffix}", data)
        copy = folder / "results.sqlite"
        conn = sqlite3.connect(copy)  # read-write: a WAL or hot journal is applied to the copy only
        try:
            check_database(copy, shown=path, conn=conn)
        finally:
            conn.close()
        self.copies[key] = copy
        return copy


_SNAPSHOTS: contextvars.ContextVar[_Snapshots | None] = contextvars.ContextVar("evodeap_snapshots", default=None)


@contextmanager
def snapshots() -> Iterator[None]:
    """Within this block, the readers below read private copies of each database.

    Each database (with its WAL or journal) is read once without following links, copied
    into a temporary folder, checked thoroughly (:func:`check_database`) and read there:
    nothing is opened for writing or created in the run directory. ``evodeap report``
    reads through this.
    """
    with tempfile.TemporaryDirectory(prefix="evodeap-read-") as folder:
        token = _SNAPSHOTS.set(_Snapshots(Path(folder)))
        try:
            yield
        finally:
            _SNAPSHOTS.reset(token)


def compute_per_generation(path: str | Path):
    """Compute spent per generation, summed from the evaluations table.

    Columns: ``generation``, ``evaluations``, ``epochs`` (epochs trained),
    ``train_flops``, ``eval_seconds`` (wall-clock seconds of the evaluations), and their
    running totals ``epochs_total``, ``train_flops_total``, ``eval_seconds_total``.
    Cache hits are not evaluations and cost nothing.
    """
    frame = _frame(path, (
        "SELECT generation, COUNT(*) AS evaluations, "
        "SUM(COALESCE(json_extract(extra, '$.epochs_run'), 0)) AS epochs, "
        "SUM(COALESCE(json_extract(extra, '$.train_flops'), 0)) AS train_flops, "
        "SUM(COALESCE(wall_time, 0)) AS eval_seconds "
        "FROM evaluations GROUP BY generation ORDER BY generation"
    ))
    for name in ("epochs", "train_flops", "eval_seconds"):
        frame[name] = frame[name].astype(float)
        frame[f"{name}_total"] = frame[name].cumsum()
    return frame


def database_path(path: str | Path) -> Path:
    """The results database of a run directory (or the database path itself)."""
    path = Path(path)
    return path / "results.sqlite" if path.is_dir() else path


def _frame(path: str | Path, query: str):
    import pandas as pd

    path = database_path(path)
    if not path.exists() and not path.is_symlink():
        raise RunDirectoryError(f"no results database at {path}")
    snapshot = _SNAPSHOTS.get()
    if snapshot is not None:
        conn = sqlite3.connect(f"file:{snapshot.copy_of(path)}?mode=ro", uri=True)
    else:
        check_database(path, thorough=False)
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return pd.read_sql_query(query, conn)
    except (sqlite3.Error, pd.errors.DatabaseError) as exc:
        raise DamagedFileError(f"{path} is corrupt: {exc}") from None
    finally:
        conn.close()


def _decode(frame, column: str, path: Any, row_name) -> list[Any]:
    """The JSON values of ``frame[column]``; a value that does not decode is refused naming its row."""
    values = []
    for i, text in enumerate(frame[column]):
        try:
            values.append(json.loads(text or "{}"))
        except (TypeError, ValueError) as exc:
            raise DamagedFileError(f"{database_path(path)} is corrupt: {row_name(frame.iloc[i])} does not decode "
                                   f"({column}: {exc})") from None
    return values


def _evaluation_name(row) -> str:
    return f"evaluation (generation {row['generation']}, index {row['idx']})"


def _expand(frame, column: str, prefix: str, path: Any = ""):
    import pandas as pd

    if frame.empty:
        return frame
    expanded = pd.json_normalize(_decode(frame, column, path, _evaluation_name)).add_prefix(prefix)
    expanded.index = frame.index
    return pd.concat([frame.drop(columns=[column]), expanded], axis=1)


def evaluations(path: str | Path):
    """All evaluations of a run (directory or database path) as a DataFrame.

    Columns: generation, idx, key, genome (JSON), seed, status, message, fitness (first
    objective), wall_time, n_params, worker, ``metric_*`` and ``component_*``.
    """
    frame = _frame(path, "SELECT generation, idx, key, genome, seed, status, message, fitness0 AS fitness, "
                         "wall_time, n_params, worker, metrics, components FROM evaluations ORDER BY generation, idx")
    return _expand(_expand(frame, "metrics", "metric_", path), "components", "component_", path)


def generations(path: str | Path):
    """The logbook rows of a run as a DataFrame (one row per generation, ``generation`` first;
    databases written with the old ``gen`` name read the same)."""
    import pandas as pd

    frame = _frame(path, "SELECT generation, record, space FROM generations ORDER BY generation")
    records = pd.DataFrame([current_names(r) for r in _decode(frame, "record", path, lambda row: f"the record of generation {row['generation']}")]) \
        if not frame.empty else pd.DataFrame()
    if not records.empty:
        records["space"] = frame["space"].values
    return records


def best_per_generation(path: str | Path):
    """The best *ok* evaluation of each generation (first objective), with its genome JSON."""
    frame = evaluations(path)
    frame = frame[frame["status"] == "ok"]
    if frame.empty:
        return frame
    best = frame.loc[frame.groupby("generation")["fitness"].idxmax()].reset_index(drop=True)
    return best
