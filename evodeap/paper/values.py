"""The paper's own reported values (its Tables 2–5, as printed), beside ours.

``evodeap/paper/reported.json`` is a transcription of Section 4 of Kale & Krishna Prasad
(2024): per-generation best fitness and hyperparameters before and after tuning (Tables 2
and 3), per-generation metrics in percent (Table 4) and the final CNN vs RNN metrics in
percent (Table 5). Nothing in it is computed here; :func:`beside_ours` only lines it up
with the tables that :mod:`evodeap.paper.report` computes from the run databases.

Alignment rules (also in docs/paper.md):

* the paper's generation ``k`` (1-based) is set beside our ``k``-th recorded generation
  (our generation ``k − 1``: generation 0 is the initial population), as far as both go;
* the paper's Tables 2–4 describe a convolutional model, so they are set beside our
  ``cnn`` arms; Table 5 beside each family's ``after`` arm;
* percentages are divided by 100, so both sides are fractions.
"""
from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources
from typing import Any

PAPER_FILE = "reported.json"


@lru_cache(maxsize=1)
def paper_reported() -> dict[str, Any]:
    """The paper's reported values (the JSON shipped with evodeap)."""
    return json.loads(resources.files("evodeap.paper").joinpath(PAPER_FILE).read_text())


def _ours_by_ordinal(frame, family: str):
    rows = frame[frame["family"] == family] if "family" in frame else frame.iloc[0:0]
    return rows.sort_values("generation").reset_index(drop=True)


def table_fitness_vs_paper(ours, paper_rows: list[dict[str, Any]], family: str = "cnn"):
    """Table 2 or 3 side by side: the paper's best fitness and hyperparameters per
    generation, and ours (the ``k``-th recorded generation of ``family``'s arm)."""
    import pandas as pd

    mine = _ours_by_ordinal(ours, family)
    rows = []
    for k, paper in enumerate(paper_rows):
        row = {"paper_generation": paper["generation"], "paper_best_fitness": paper["best_fitness"],
               "paper_learning_rate": paper["learning_rate"], "paper_batch_size": paper["batch_size"],
               "paper_conv_layers": paper["conv_layers"], "paper_neurons_per_layer": paper["neurons_per_layer"]}
        if k < len(mine):
            m = mine.iloc[k]
            row.update({"our_generation": int(m["generation"]), "our_best_fitness": float(m["best_fitness"]),
                        "our_learning_rate": m.get("learning_rate"), "our_batch_size": m.get("batch_size"),
                        "our_layers": m.get("layers"), "our_structure": m.get("structure")})
        rows.append(row)
    return pd.DataFrame(rows)


def table_metrics_vs_paper(ours, family: str = "cnn"):
    """Table 4 side by side: the paper's per-generation metrics (fractions) and ours."""
    import pandas as pd

    mine = _ours_by_ordinal(ours, family)
    rows = []
    for k, paper in enumerate(paper_reported()["table4_metrics_per_generation_percent"]):
        row = {"paper_generation": paper["generation"],
               **{f"paper_{m}": paper[m] / 100.0 for m in ("accuracy", "precision", "auc", "f1")}}
        if k < len(mine):
            m = mine.iloc[k]
            row["our_generation"] = int(m["generation"])
            row.update({f"our_{name}": m.get(name) for name in ("accuracy", "precision", "auc", "f1")})
        rows.append(row)
    return pd.DataFrame(rows)


def table_final_vs_paper(ours):
    """Table 5 side by side: the paper's CNN and RNN metrics (fractions) and our ``after`` arms'."""
    import pandas as pd

    rows = []
    for paper in paper_reported()["table5_cnn_vs_rnn_percent"]:
        family = paper["model"].lower()
        row = {"model": paper["model"],
               **{f"paper_{m}": paper[m] / 100.0 for m in ("accuracy", "precision", "recall", "f1")}}
        mine = ours[(ours["family"] == family) & (ours["arm"] == "after")] if "family" in ours else ours.iloc[0:0]
        if not mine.empty:
            row.update({f"our_{m}": mine.iloc[0].get(m) for m in ("accuracy", "precision", "recall", "f1")})
        rows.append(row)
    return pd.DataFrame(rows)


def beside_ours(tables: dict) -> dict:
    """The comparison tables for :func:`evodeap.paper.report.paper_tables`' output."""
    import pandas as pd

    paper = paper_reported()
    empty = pd.DataFrame()
    return {
        "table2_vs_paper": table_fitness_vs_paper(tables.get("table2_before", empty), paper["table2_before_tuning"]),
        "table3_vs_paper": table_fitness_vs_paper(tables.get("table3_after", empty), paper["table3_after_tuning"]),
        "table4_vs_paper": table_metrics_vs_paper(tables.get("table4_metrics", empty)),
        "table5_vs_paper": table_final_vs_paper(tables.get("table5_cnn_vs_rnn", empty)),
    }


def f1_consistency(precision: float, recall: float, f1: float) -> bool:
    """Whether an F1 is attainable given (averaged) precision and recall.

    Per class ``F1 = 2PR/(P+R) ≤ (P+R)/2``, so any weighted average of per-class F1s is at
    most the mean of the averaged precision and recall: ``F1 ≤ (P̄ + R̄)/2``.
    """
    return f1 <= (precision + recall) / 2.0 + 1e-12
