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

import json
import math
import os
import sqlite3
import stat
import tempfile
from functools import lru_cache
from pathlib import Path
from typing import Any

from evodeap.errors import DamagedFileError, DiskFullError, ReadOnlyError, RunDirectoryError, UnsafePathError
from evodeap.files import DB_FORMAT, parse_json

__all__ = ["DB_FORMAT", "HISTORY_SCHEMA", "SCHEMA", "SIDECARS", "check_database", "database_path", "decode_column",
           "expected_columns", "expected_objects", "has_journal", "private_copy", "sqlite_error"]

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


#: the population's history (written by :class:`evodeap.results.history.HistoryWriter`)
HISTORY_SCHEMA = """
CREATE TABLE IF NOT EXISTS population (
    generation INTEGER NOT NULL, position INTEGER NOT NULL, key TEXT NOT NULL,
    fitness TEXT, fitness0 REAL, birth INTEGER,
    PRIMARY KEY (generation, position)
);
CREATE TABLE IF NOT EXISTS offspring (
    generation INTEGER NOT NULL, position INTEGER NOT NULL, key TEXT NOT NULL, parents TEXT NOT NULL,
    crossover TEXT, mutation TEXT, mutated TEXT, fitness0 REAL,
    PRIMARY KEY (generation, position)
);
CREATE INDEX IF NOT EXISTS offspring_key ON offspring (key);
"""

#: the most bytes of a ``-wal`` or ``-journal`` beside a database (evodeap's stay a few MiB)
SIDECAR_LIMIT = 1 << 30


@lru_cache(maxsize=1)
def expected_objects() -> frozenset[tuple[str, str]]:
    """(type, name) of every table and index a run's database may hold: those of :data:`SCHEMA`
    and :data:`HISTORY_SCHEMA`, SQLite's own indexes included. Anything else — a trigger, a
    view, another table — is not evodeap's, and the database is refused."""
    conn = sqlite3.connect(":memory:")
    try:
        conn.executescript(SCHEMA + HISTORY_SCHEMA)
        return frozenset(conn.execute("SELECT type, name FROM sqlite_master"))
    finally:
        conn.close()


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


#: the JSON form of each column of the database that holds JSON: (what it must be, its check)
_COLUMN_FORMS = {
    "fitness": ("a non-empty list of finite numbers",
                lambda v: isinstance(v, list) and bool(v) and all(_finite(x) for x in v)),
    "parents": ("a list", lambda v: isinstance(v, list)),
    "mutated": ("a list", lambda v: isinstance(v, list)),
}


def _finite(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def decode_column(text: str | bytes | None, column: str, shown: object, row: str) -> Any:
    """The JSON value of ``column`` in ``row`` of the database ``shown``, decoded by the one JSON
    reader (:func:`evodeap.files.parse_json`: bounded depth) and checked against its form: the
    fitness a non-empty list of finite numbers, ``parents``/``mutated`` lists, every other
    JSON column (metrics, components, extra, a generation's record and space) an object.
    An empty ``metrics``/``components``/``extra`` reads as ``{}``.

    Raises:
        DamagedFileError: one line naming the file, the row and the column.
    """
    if text in (None, "", b"") and column not in _COLUMN_FORMS and column not in ("record", "space"):
        return {}
    try:
        value = parse_json(text if text is not None else "null", shown)
    except DamagedFileError as exc:
        detail = str(exc).split(" is corrupt: ", 1)[-1]
        raise DamagedFileError(f"{shown} is corrupt: {row} does not decode ({column}: {detail})") from None
    expected, ok = _COLUMN_FORMS.get(column, ("an object", lambda v: isinstance(v, dict)))
    if not ok(value):
        found = " ".join(json.dumps(value, default=str)[:60].split())
        raise DamagedFileError(f"{shown} is corrupt: {row}: {column} must be {expected}, found {found}")
    return value


def database_path(path: str | Path) -> Path:
    """The results database of a run directory (or the database path itself)."""
    path = Path(path)
    return path / "results.sqlite" if path.is_dir() else path


def check_database(path: str | os.PathLike[str], shown: str | os.PathLike[str] | None = None, *,
                   thorough: bool = True, conn: sqlite3.Connection | None = None) -> None:
    """Refuse a results database that is missing, a link, empty, truncated, garbled, from a
    newer evodeap, lacks a table or column, or holds anything evodeap never creates — one line
    naming ``shown`` (default ``path``).

    Checks, in order: the file and its ``-wal``/``-shm``/``-journal`` companions are regular
    files, not links (a FIFO is never opened), and a ``-wal`` or ``-journal`` is at most
    :data:`SIDECAR_LIMIT` bytes; the size is not 0; the 16-byte SQLite header; the size
    against the page count in the header (unless a WAL holds pages not yet copied back);
    ``user_version`` <= :data:`DB_FORMAT`; no table, index, view or trigger but those of
    :func:`expected_objects`; every table and column of :data:`SCHEMA`; with ``thorough``,
    ``PRAGMA integrity_check`` (every page, b-tree and index). A WAL or hot journal left by an
    interrupted writer is not damage: without ``conn`` the checks read a private copy on
    which SQLite has applied it (:func:`private_copy`), and the original is not touched.

    Args:
        conn: an open connection to ``path`` to check through (else one is opened read-only).
    """
    path = Path(path)
    shown = Path(shown) if shown is not None else path
    _check_file(path, shown)
    if conn is None and has_journal(path):
        with tempfile.TemporaryDirectory(prefix="evodeap-check-") as folder:
            copy = private_copy(path, Path(folder), shown)
            conn = sqlite3.connect(copy)
            try:
                _check_contents(conn, shown, thorough)
            except sqlite3.Error as exc:
                raise DamagedFileError(f"{shown} is corrupt: {exc}") from None
            finally:
                conn.close()
        return
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


def has_journal(path: str | os.PathLike[str]) -> bool:
    """True when a ``-wal`` or ``-journal`` with content lies beside the database ``path``: the
    pages of an interrupted writer that SQLite applies (or rolls back) on a read-write opening."""
    for suffix in ("-wal", "-journal"):
        try:
            info = os.lstat(f"{path}{suffix}")
        except FileNotFoundError:
            continue
        if stat.S_ISREG(info.st_mode) and info.st_size > 0:
            return True
    return False


def private_copy(path: Path, folder: Path, shown: str | os.PathLike[str] | None = None) -> Path:
    """Copy the database ``path`` with its ``-wal``/``-journal`` into ``folder`` (each read
    without following a link or blocking, and bounded: :func:`evodeap.files.read_bytes`), then
    open the copy read-write once, so SQLite applies a WAL or rolls back a hot journal there
    and nowhere else. Returns the copy, a self-contained database file."""
    from evodeap.files import READ_LIMIT, read_bytes, write_bytes

    for suffix in ("", "-wal", "-journal"):
        try:
            data = read_bytes(path.parent, f"{path.name}{suffix}", SIDECAR_LIMIT if suffix else READ_LIMIT)
        except FileNotFoundError:
            continue
        write_bytes(folder, f"results.sqlite{suffix}", data)
    copy = folder / "results.sqlite"
    try:
        conn = sqlite3.connect(copy)
        try:
            conn.execute("PRAGMA user_version").fetchone()  # the first read applies the WAL or journal
        finally:
            conn.close()
    except sqlite3.Error as exc:
        raise DamagedFileError(f"{shown or path} is corrupt: {exc}") from None
    return copy


def _check_file(path: Path, shown: Path) -> None:
    """The checks of :func:`check_database` made on the file itself, before SQLite opens it:
    regular files, no links, bounded journals, a non-empty file, the SQLite header, and no
    truncation (size ≥ pages × page size)."""
    for suffix in ("", *SIDECARS):
        try:
            info = os.lstat(f"{path}{suffix}")
        except FileNotFoundError:
            continue
        if stat.S_ISLNK(info.st_mode):
            raise UnsafePathError(f"{shown}{suffix} is a symbolic link; evodeap never follows links in a run directory")
        if not stat.S_ISREG(info.st_mode):
            raise UnsafePathError(f"{shown}{suffix} is not a regular file (a FIFO, device, socket or folder); "
                                  f"evodeap opens only regular files in a run directory")
        if suffix in ("-wal", "-journal") and info.st_size > SIDECAR_LIMIT:
            raise DamagedFileError(f"{shown}{suffix} is corrupt: {info.st_size} bytes, more than the {SIDECAR_LIMIT} "
                                   f"of any journal evodeap's writes leave (a run's stays a few MiB)")
    if not path.exists():
        raise RunDirectoryError(f"{shown} is missing")
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
    foreign = sorted(set(conn.execute("SELECT type, name FROM sqlite_master")) - expected_objects())
    if foreign:
        listed = ", ".join(f"{kind} '{name}'" for kind, name in foreign)
        raise DamagedFileError(f"{shown} is corrupt: it holds {listed}, which evodeap never creates "
                               f"(a trigger or view could change what the run writes)")
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
