"""One column naming for every table a run produces (DataFrames, reports, logbook, database).

The generation number is ``generation`` everywhere; flattened columns carry a prefix and
an underscore: ``hp_<hyperparameter>``, ``metric_<metric>``, ``component_<term>``,
``fitness_<objective index>``. Run directories written before this
naming have ``gen`` in their logbook rows (``checkpoint.json``, ``logbook.csv`` and the
``generations`` table's JSON records); :func:`current_names` reads them under the
current names, so old run directories stay readable and resumable.
"""
from __future__ import annotations

from typing import Any, Mapping

#: old column name -> current name
RENAMED = {"gen": "generation"}


def current_names(row: Mapping[str, Any]) -> dict[str, Any]:
    """``row`` with every old column name replaced by its current one (a current name wins)."""
    renamed = {RENAMED.get(name, name): value for name, value in row.items() if name not in RENAMED}
    for old, new in RENAMED.items():
        if old in row and new not in renamed:
            renamed[new] = row[old]
    return renamed
