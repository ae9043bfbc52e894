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
DataFrame helpers expand metrics and components into ``metric.<name>`` /
``component.<name>`` columns.
"""
from __future__ import annotations

import json
import sqlite3
import time
from pathlib import Path
from typing import Any, Iterator

from evodeap.errors import RunDirectoryError
from evodeap.evaluation import EvalResult
from evodeap.genome import Genome

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


class ResultsDB:
    """Writer and reader of ``results.sqlite`` (one connection, autocommit per row)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        try:
            self.conn = sqlite3.connect(self.path, isolation_level=None)
            self.conn.execute("PRAGMA journal_mode=WAL")
            self.conn.execute("PRAGMA synchronous=NORMAL")
            self.conn.executescript(SCHEMA)
        except sqlite3.DatabaseError as exc:
            raise RunDirectoryError(f"{self.path} is not a valid results database: {exc}") from None

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> "ResultsDB":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    # -- writing ----------------------------------------------------------------
    def start_run(self, name: str, seed: int, config: dict) -> None:
        self.conn.execute("INSERT OR REPLACE INTO runs VALUES (1, ?, ?, ?, ?, 'running')",
                          (name, seed, json.dumps(config, sort_keys=True), time.time()))

    def set_status(self, status: str) -> None:
        self.conn.execute("UPDATE runs SET status = ? WHERE run_id = 1", (status,))

    def status(self) -> str | None:
        """The run's status (``running``, ``interrupted``, ``failed``, ``finished``; ``None``: no run row)."""
        row = self.conn.execute("SELECT status FROM runs WHERE run_id = 1").fetchone()
        return None if row is None else row[0]

    def add_evaluation(self, generation: int, index: int, genome: Genome, result: EvalResult) -> None:
        self.conn.execute(
            "INSERT OR REPLACE INTO evaluations VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (generation, index, genome.key(), genome.to_json(), result.seed, result.status, result.message,
             json.dumps(list(result.fitness)), result.fitness[0] if result.fitness else None,
             json.dumps(result.components), json.dumps(result.metrics), result.wall_time, result.n_params,
             result.extra.get("worker", ""), json.dumps(result.extra, default=str), time.time()),
        )

    def add_generation(self, generation: int, record: dict, space: dict) -> None:
        self.conn.execute(
            "INSERT OR REPLACE INTO generations VALUES (?,?,?,?,?,?,?)",
            (generation, json.dumps(record), record.get("mu"), record.get("beta"), record.get("best"),
             record.get("mean"), json.dumps(space)),
        )

    # -- reading ------------------------------------------------------------------
    def iter_evaluations(self) -> Iterator[tuple[int, int, Genome, EvalResult]]:
        """Every stored evaluation as (generation, index, genome, result), in order."""
        rows = self.conn.execute(
            "SELECT generation, idx, genome, seed, status, message, fitness, components, metrics, "
            "wall_time, n_params, extra FROM evaluations ORDER BY generation, idx"
        )
        for gen, idx, genome, seed, status, message, fitness, components, metrics, wall, n_params, extra in rows:
            result = EvalResult(
                fitness=tuple(json.loads(fitness)), status=status, message=message or "",
                metrics=json.loads(metrics), components=json.loads(components), wall_time=wall or 0.0,
                n_params=n_params or 0, seed=seed, extra=json.loads(extra or "{}"),
            )
            yield gen, idx, Genome.from_json(genome), result


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


def _frame(path: str | Path, query: str):
    import pandas as pd

    path = Path(path)
    if path.is_dir():
        path = path / "results.sqlite"
    if not path.is_file():
        raise RunDirectoryError(f"no results database at {path}")
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
        return pd.read_sql_query(query, conn)


def _expand(frame, column: str, prefix: str):
    import pandas as pd

    if frame.empty:
        return frame
    expanded = pd.json_normalize([json.loads(v or "{}") for v in frame[column]]).add_prefix(prefix)
    expanded.index = frame.index
    return pd.concat([frame.drop(columns=[column]), expanded], axis=1)


def evaluations(path: str | Path):
    """All evaluations of a run (directory or database path) as a DataFrame.

    Columns: generation, idx, key, genome (JSON), seed, status, message, fitness (first
    objective), wall_time, n_params, worker, ``metric.*`` and ``component.*``.
    """
    frame = _frame(path, "SELECT generation, idx, key, genome, seed, status, message, fitness0 AS fitness, "
                         "wall_time, n_params, worker, metrics, components FROM evaluations ORDER BY generation, idx")
    return _expand(_expand(frame, "metrics", "metric."), "components", "component.")


def generations(path: str | Path):
    """The logbook rows of a run as a DataFrame (one row per generation)."""
    import pandas as pd

    frame = _frame(path, "SELECT generation, record, space FROM generations ORDER BY generation")
    records = pd.DataFrame([json.loads(r) for r in frame["record"]]) if not frame.empty else pd.DataFrame()
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
