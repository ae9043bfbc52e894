"""Reading a run's results database: pandas DataFrames of its evaluations, generations and
compute, and the private copies that reports read.

Readers get pandas DataFrames (:func:`evaluations`, :func:`generations`,
:func:`best_per_generation`, :func:`compute_per_generation`); each also accepts a study
directory and then adds ``variant`` and ``seed`` columns (:func:`evodeap.results.layout.study_aware`). JSON columns hold dicts; the
DataFrame helpers expand metrics and components into ``metric_<name>`` /
``component_<name>`` columns (the naming of :mod:`evodeap.results.columns`). Every reader
checks the database first (:func:`evodeap.results.schema.check_database`). Inside
:func:`snapshots` the readers read private copies, so reading a received run directory
opens and writes nothing in it.
"""
from __future__ import annotations

import contextvars
import os
import sqlite3
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

from evodeap.errors import DamagedFileError, RunDirectoryError
from evodeap.results.columns import current_names
from evodeap.results.layout import is_study, study_aware
from evodeap.results.schema import check_database, database_path, decode_column, private_copy

__all__ = ["best_per_generation", "compute_per_generation", "evaluations", "generations", "read_frame", "snapshots"]


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
        copy = private_copy(path, folder, path)  # a WAL or hot journal is applied to the copy only
        conn = sqlite3.connect(copy)
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


@study_aware
def compute_per_generation(path: str | Path):
    """Compute spent per generation, summed from the evaluations table.

    Columns: ``generation``, ``evaluations``, ``epochs`` (epochs trained),
    ``train_flops``, ``eval_seconds`` (wall-clock seconds of the evaluations), and their
    running totals ``epochs_total``, ``train_flops_total``, ``eval_seconds_total``.
    Cache hits are not evaluations and cost nothing.
    """
    frame = read_frame(path, (
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


def read_frame(path: str | Path, query: str):
    """The rows of the SQL ``query`` on a run's database (directory or database path) as a DataFrame,
    read from its private copy inside :func:`snapshots`; a damaged database is refused in one line."""
    import pandas as pd

    if is_study(path):
        raise RunDirectoryError(f"{path} is a study directory: read one of its sub-runs, or use a reader that "
                                f"accepts a study (evaluations, generations, trials_dataframe ...)")
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
    return [decode_column(text, column, database_path(path), row_name(frame.iloc[i]))
            for i, text in enumerate(frame[column])]


def _evaluation_name(row) -> str:
    return f"evaluation (generation {row['generation']}, index {row['idx']})"


def _expand(frame, column: str, prefix: str, path: Any = ""):
    import pandas as pd

    if frame.empty:
        return frame
    expanded = pd.json_normalize(_decode(frame, column, path, _evaluation_name)).add_prefix(prefix)
    expanded.index = frame.index
    return pd.concat([frame.drop(columns=[column]), expanded], axis=1)


@study_aware
def evaluations(path: str | Path):
    """All evaluations of a run (directory or database path) as a DataFrame.

    Columns: generation, idx, key, genome (JSON), seed, status, message, fitness (first
    objective), wall_time, n_params, worker, ``metric_*`` and ``component_*``.
    """
    frame = read_frame(path, "SELECT generation, idx, key, genome, seed, status, message, fitness0 AS fitness, "
                         "wall_time, n_params, worker, metrics, components FROM evaluations ORDER BY generation, idx")
    return _expand(_expand(frame, "metrics", "metric_", path), "components", "component_", path)


@study_aware
def generations(path: str | Path):
    """The logbook rows of a run as a DataFrame (one row per generation, ``generation`` first;
    databases written with the old ``gen`` name read the same)."""
    import pandas as pd

    frame = read_frame(path, "SELECT generation, record, space FROM generations ORDER BY generation")
    records = pd.DataFrame([current_names(r) for r in _decode(frame, "record", path, lambda row: f"the record of generation {row['generation']}")]) \
        if not frame.empty else pd.DataFrame()
    if not records.empty:
        records["space"] = frame["space"].values
    return records


@study_aware
def best_per_generation(path: str | Path):
    """The best *ok* evaluation of each generation (first objective), with its genome JSON."""
    frame = evaluations(path)
    frame = frame[frame["status"] == "ok"]
    if frame.empty:
        return frame
    best = frame.loc[frame.groupby("generation")["fitness"].idxmax()].reset_index(drop=True)
    return best
