"""The schema of the results database (``results.sqlite``): its tables, its version, and
the checks made on every opening.

Tables:

* ``runs`` — one row: name, seed, config JSON, start time, status;
* ``evaluations`` — one row per evaluation, written (and committed) as soon as it
  completes: generation, index, key, genome JSON, seed, status, message, fitness,
  components, metrics, wall time, parameter count, worker;
* ``generations`` — one row per generation: the logbook row, μ, β and the search space
  in force.

The database is versioned by SQLite's ``user_version`` (:data:`DB_FORMAT`; 0 is a
database written before versioning, read the same way). Every opening checks it
(:func:`check_database`): a missing, empty, truncated, garbled or table-less database is
refused with one line naming the file and the damage, never recreated. The writer is
:class:`evodeap.results.storage.ResultsDB`; the readers are in :mod:`evodeap.results.queries`.
"""
from __future__ import annotations

import os
import sqlite3
from functools import lru_cache
from pathlib import Path

from evodeap.errors import DamagedFileError, DiskFullError, ReadOnlyError, RunDirectoryError, UnsafePathError
from evodeap.files import DB_FORMAT

__all__ = ["DB_FORMAT", "SCHEMA", "SIDECARS", "check_database", "database_path", "expected_columns", "sqlite_error"]

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


def sqlite_error(exc: sqlite3.Error, path: Path | str, action: str = "write") -> RunDirectoryError:
    """The one-line error for an SQLite error met while ``action``-ing ``path``."""
    text = str(exc)
    if "full" in text:
        return DiskFullError(f"no space left on the device while writing {path}")
    if "readonly" in text or "read-only" in text:
        return ReadOnlyError(f"cannot {action} {path}: it is read-only")
    if "malformed" in text or "not a database" in text:
        return DamagedFileError(f"{path} is corrupt: {text}")
    return RunDirectoryError(f"cannot {action} {path}: {text}")


def database_path(path: str | Path) -> Path:
    """The results database of a run directory (or the database path itself)."""
    path = Path(path)
    return path / "results.sqlite" if path.is_dir() else path


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
    _check_file(path, shown)
    own = conn is None
    try:
        if own:
            conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        _check_contents(conn, shown, thorough)
    except sqlite3.Error as exc:
        raise DamagedFileError(f"{shown} is corrupt: {exc}") from None
    finally:
        if own and conn is not None:
            conn.close()


def _check_file(path: Path, shown: Path) -> None:
    """The checks of :func:`check_database` made on the file itself, before SQLite opens it:
    no links, a regular non-empty file, the SQLite header, and no truncation (size ≥ pages × page size)."""
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


def _check_contents(conn: sqlite3.Connection, shown: Path, thorough: bool) -> None:
    """The checks of :func:`check_database` made through SQLite: the format version, every
    table and column of :data:`SCHEMA`, and (``thorough``) ``PRAGMA integrity_check``."""
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
