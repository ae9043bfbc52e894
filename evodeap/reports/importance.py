"""Which genes matter: a first-order (fANOVA-style) importance of every gene over the trials table.

For a gene ``x`` (a column ``hp_<name>`` or a structural summary such as ``n_layers``,
``units_total``, ``n_conv``; a study's ``variant`` too) and the target ``y`` (default: the
fitness) over the ``n`` successful evaluations:

* ``x`` is cut into ``k`` groups: its distinct values when there are at most ``bins`` of them
  (categorical genes, small integers), otherwise ``bins`` quantile bins;
* the share of the variance of ``y`` that ``x`` alone explains (the first-order term of the
  functional ANOVA decomposition, on the empirical distribution) is
  ``η² = Σ_g n_g · (ȳ_g − ȳ)² / Σ_i (y_i − ȳ)²``;
* with ``k`` groups a gene that does nothing still gets ``E[η²] ≈ (k − 1) / (n − 1)`` by chance,
  so the table also gives the chance-corrected ``η²_adj = max(0, (η² − e) / (1 − e))`` with
  ``e = (k − 1) / (n − 1)`` (as adjusted R² corrects R²), and ranks genes by it;
* ``share`` is each gene's ``η²_adj`` over their sum (the split of what the genes explain alone;
  interactions are not counted).

**The sampling is selection-biased.** Evolution does not sample genes independently or
uniformly: selection concentrates later generations on the values that did well early, so
good values are over-represented, genes are correlated (hitch-hiking), and a gene the
population converged on early has little variance left and looks unimportant. The numbers say
what varied with the fitness *in this run's samples*, not what the gene does in the space;
confirm a claim with a designed comparison (a study with ``VARIANTS``). Every result carries
this warning (:data:`SELECTION_BIAS`).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["Importance", "SELECTION_BIAS", "gene_columns", "hyperparameter_importance", "importance_figure"]

SELECTION_BIAS = ("evolution's samples are selection-biased: good values are over-represented, genes are "
                  "correlated, and a gene the population converged on early looks unimportant; importance here is "
                  "association within this run's samples, not the gene's effect in the search space")
_STRUCTURE = ("n_layers", "units_total", "units_max")


@dataclass
class Importance:
    """What :func:`hyperparameter_importance` found.

    Attributes:
        table: one row per gene, most important first: ``gene``, ``groups`` (``k``), ``n``,
            ``eta_sq``, ``eta_sq_adj``, ``share``.
        target: the column explained.
        n: the evaluations used.
        warnings: sentences, :data:`SELECTION_BIAS` first.
    """

    table: Any
    target: str
    n: int
    warnings: list[str] = field(default_factory=list)


def gene_columns(frame) -> list[str]:
    """The columns of a trials table that describe a genome (and a study's ``variant``), in order."""
    columns = [c for c in frame.columns if c.startswith("hp_")]
    columns += [c for c in _STRUCTURE if c in frame.columns]
    columns += [c for c in frame.columns if c.startswith("n_") and c not in ("n_layers", "n_params")]
    if "variant" in frame.columns:
        columns.insert(0, "variant")
    return columns


def _groups(values, bins: int) -> np.ndarray:
    """Group codes of one column: its distinct values, or ``bins`` quantile bins of a numeric one."""
    import pandas as pd

    series = pd.Series(values).reset_index(drop=True)
    distinct = series.astype(str).nunique()
    if distinct <= bins or not pd.api.types.is_numeric_dtype(series):
        return pd.factorize(series.astype(str))[0]
    return pd.qcut(series.astype(float).rank(method="first"), bins, labels=False).to_numpy()


def first_order_share(y: np.ndarray, codes: np.ndarray) -> tuple[float, int]:
    """``(η², k)`` of ``y`` grouped by ``codes`` (module docstring); ``η² = 0`` when ``y`` is constant."""
    y = np.asarray(y, dtype=float)
    total = float(((y - y.mean()) ** 2).sum())
    groups = np.unique(codes)
    if total == 0.0:
        return 0.0, len(groups)
    between = sum(float((codes == g).sum()) * (float(y[codes == g].mean()) - float(y.mean())) ** 2 for g in groups)
    return between / total, len(groups)


def hyperparameter_importance(source: Any, target: str = "fitness", columns: list[str] | None = None,
                              bins: int = 8) -> Importance:
    """First-order importance of every gene for ``target`` (see the module docstring).

    Args:
        source: a run or study directory (read with :func:`evodeap.results.trials.trials_dataframe`)
            or a trials DataFrame.
        target: the column to explain (``fitness``, ``metric_val_auc`` …).
        columns: the genes (default: :func:`gene_columns`).
        bins: the most groups a gene is cut into.

    Returns:
        an :class:`Importance`; genes that never varied are left out (and named in its warnings).
    """
    import pandas as pd

    from evodeap.errors import ConfigError

    if isinstance(source, (str, Path)):
        from evodeap.results.trials import trials_dataframe

        source = trials_dataframe(source)
    frame = source
    if target not in frame.columns:
        raise ConfigError(f"no column {target!r} in the trials table; one of: {', '.join(map(str, frame.columns))}")
    if "status" in frame.columns:
        frame = frame[frame["status"] == "ok"]
    frame = frame[frame[target].notna()].reset_index(drop=True)
    y = frame[target].to_numpy(dtype=float)
    warnings = [SELECTION_BIAS]
    rows, constant = [], []
    for column in columns if columns is not None else gene_columns(frame):
        codes = _groups(frame[column], bins)
        if len(np.unique(codes)) < 2:
            constant.append(column)
            continue
        eta, k = first_order_share(y, codes)
        expected = (k - 1) / (len(y) - 1) if len(y) > 1 else 1.0
        adjusted = max(0.0, (eta - expected) / (1 - expected)) if expected < 1 else 0.0
        rows.append({"gene": column, "groups": k, "n": len(y), "eta_sq": eta, "eta_sq_adj": adjusted})
    if constant:
        warnings.append(f"never varied, left out: {', '.join(constant)}")
    if len(y) < 30:
        warnings.append(f"only {len(y)} successful evaluations: the importances are rough")
    table = pd.DataFrame(rows, columns=["gene", "groups", "n", "eta_sq", "eta_sq_adj"])
    explained = table["eta_sq_adj"].sum()
    table["share"] = table["eta_sq_adj"] / explained if explained > 0 else 0.0
    table = table.sort_values(["eta_sq_adj", "eta_sq", "gene"], ascending=[False, False, True], kind="stable")
    return Importance(table.reset_index(drop=True), target, len(y), warnings)


def importance_figure(importance: Importance):
    """A horizontal bar chart of ``η²`` and ``η²_adj`` per gene, the selection-bias warning beneath."""
    import matplotlib.pyplot as plt
    import textwrap

    table = importance.table
    fig, ax = plt.subplots(figsize=(8, max(3.0, 0.35 * len(table) + 2.2)))
    positions = np.arange(len(table))
    ax.barh(positions - 0.2, table["eta_sq"], height=0.4, color="0.7", label="η² (raw)")
    ax.barh(positions + 0.2, table["eta_sq_adj"], height=0.4, color="tab:blue", label="η² corrected for chance")
    ax.set_yticks(positions, table["gene"])
    ax.invert_yaxis()
    ax.set(xlabel=f"share of the variance of {importance.target} a gene explains alone",
           title=f"Gene importance (first-order, {importance.n} evaluations)")
    ax.legend(fontsize="small", loc="lower right")
    ax.text(0.0, -0.12 - 1.2 / max(3.0, 0.35 * len(table) + 2.2), textwrap.fill("Caution: " + SELECTION_BIAS, 110),
            transform=ax.transAxes, fontsize="x-small", va="top")
    return fig

