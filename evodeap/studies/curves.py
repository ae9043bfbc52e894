"""A study's curves: per arm and seed, per generation, and their bands over seeds.

* :func:`study_curves` — one row per (variant, seed, generation) from each sub-run's logbook;
* :func:`carried_forward` — a seed that stopped early holds its last values to its arm's end;
* :func:`curve_bands` — per generation, the mean over seeds and its bootstrap CI;
* :func:`curve_bands_against` — the same against evaluations or compute (step functions on
  one grid per arm);
* :func:`compute_axis` — which compute column a study's runs recorded.
"""
from __future__ import annotations

from pathlib import Path

from evodeap.reports.stats import best_so_far, bootstrap_ci
from evodeap.results.queries import generations
from evodeap.studies.study import arms


def study_curves(directory: str | Path):
    """One row per (variant, seed, generation): best, best_so_far, mean, diversity, nevals,
    failures, and the compute spent so far: ``evaluations`` (cumulative), ``epochs_total``
    and ``train_flops_total`` (from the logbook; ``nan`` for runs that did not record them)."""
    import pandas as pd

    frames = []
    for arm in arms(directory):
        if not (arm.path / "results.sqlite").exists():
            continue
        gens = generations(arm.path)
        if gens.empty:
            continue
        frames.append(pd.DataFrame({
            "variant": arm.variant, "seed": arm.seed, "generation": gens["generation"].astype(int),
            "best": gens["best"], "best_so_far": best_so_far(gens["best"]), "mean": gens["mean"],
            "diversity": gens["diversity"], "nevals": gens["nevals"], "failures": gens["failures"],
            "evaluations": gens["nevals"].cumsum(),
            **{name: gens[name] if name in gens else float("nan") for name in ("epochs_total", "train_flops_total")},
        }))
    if not frames:
        return pd.DataFrame(columns=["variant", "seed", "generation", "best", "best_so_far", "mean", "diversity",
                                     "nevals", "failures", "evaluations", "epochs_total", "train_flops_total"])
    return pd.concat(frames, ignore_index=True)


def compute_axis(curves) -> tuple[str, str]:
    """The column and label of training compute: FLOPs when the runs counted them, else epochs."""
    if "train_flops_total" in curves and (curves["train_flops_total"].fillna(0) > 0).any():
        return "train_flops_total", "training compute (estimated FLOPs)"
    return "epochs_total", "training compute (epochs trained)"


def carried_forward(curves, x: str = "generation"):
    """``curves`` with each (variant, seed)'s last row repeated at every later generation its
    arm reached: a seed that stopped early keeps its last values (and its compute) to the end
    of the arm, so a mean over seeds never drops a seed. Rows without a ``seed`` column are
    returned unchanged."""
    import pandas as pd

    if curves.empty or "seed" not in curves:
        return curves
    frames = []
    for variant, group in curves.groupby("variant", sort=False):
        end = int(group[x].max())
        for _, seed_rows in group.groupby("seed", sort=False):
            seed_rows = seed_rows.sort_values(x)
            last = int(seed_rows[x].iloc[-1])
            if last < end:
                tail = pd.DataFrame([seed_rows.iloc[-1].to_dict()] * (end - last))
                tail[x] = range(last + 1, end + 1)
                seed_rows = pd.concat([seed_rows, tail.astype(seed_rows.dtypes.to_dict())], ignore_index=True)
            frames.append(seed_rows)
    return pd.concat(frames, ignore_index=True)


def curve_bands(curves, column: str, confidence: float = 0.95, n_resamples: int = 2000, seed: int = 0,
                carry: bool = True):
    """Per (variant, generation): the mean of ``column`` over seeds and its bootstrap CI.

    The band is :func:`evodeap.reports.stats.bootstrap_ci` of the per-seed values (percentile
    bootstrap, ``n_resamples`` resamples, fixed ``seed``), the same interval as the tables use.
    With ``carry`` (and a ``seed`` column), a seed that stopped before its arm's last
    generation holds its last value to the end (:func:`carried_forward`): the arm's curve ends
    at its longest seed, and its last point is the mean of every seed's final value.
    """
    import numpy as np
    import pandas as pd

    curves = carried_forward(curves) if carry else curves
    rows = []
    for (variant, generation), group in curves.groupby(["variant", "generation"], sort=False):
        values = group[column].to_numpy(dtype=float)
        low, high = bootstrap_ci(values, np.mean, confidence, n_resamples=n_resamples, seed=seed)
        rows.append({"variant": variant, "generation": int(generation), "mean": float(values.mean()),
                     "ci_low": low, "ci_high": high})
    frame = pd.DataFrame(rows, columns=["variant", "generation", "mean", "ci_low", "ci_high"])
    return frame.sort_values(["variant", "generation"], kind="stable").reset_index(drop=True)


def curve_bands_against(curves, x: str, column: str, points: int = 200, confidence: float = 0.95,
                        n_resamples: int = 2000, seed: int = 0):
    """Per (variant, point of ``x``): the mean over seeds of ``column`` and its bootstrap CI.

    Each seed's curve is a step function of ``x`` (e.g. cumulative evaluations): at grid value
    ``g`` it holds its last value with ``x ≤ g``, and after its own last point it holds its
    final value (carried forward), so the arm's curve runs to the end of its *longest* seed and
    ends at the mean of the seeds' final values. The grid is every ``x`` at which some seed of
    the variant steps, from the largest first ``x`` over the seeds (before it some seed has no
    value yet) to the largest last ``x``; when that is more than ``points`` values, ``points``
    of them evenly spaced by rank (both ends kept). Plot it as a step curve (``where="post"``).
    """
    import numpy as np
    import pandas as pd

    rows = []
    for variant, group in curves.dropna(subset=[x]).groupby("variant", sort=False):
        per_seed = [g.sort_values(x) for _, g in group.groupby("seed")]
        start = max(float(g[x].iloc[0]) for g in per_seed)
        stop = max(float(g[x].iloc[-1]) for g in per_seed)
        grid = np.unique(np.concatenate([g[x].to_numpy(dtype=float) for g in per_seed]))
        grid = grid[(grid >= start) & (grid <= stop)]
        if len(grid) > points:
            grid = grid[np.unique(np.round(np.linspace(0, len(grid) - 1, points)).astype(int))]
        stepped = np.array([g[column].to_numpy(dtype=float)[np.searchsorted(g[x].to_numpy(dtype=float), grid,
                                                                              side="right") - 1]
                            for g in per_seed])
        for i, value in enumerate(grid):
            low, high = bootstrap_ci(stepped[:, i], np.mean, confidence, n_resamples=n_resamples, seed=seed)
            rows.append({"variant": variant, x: float(value), "mean": float(stepped[:, i].mean()),
                         "ci_low": low, "ci_high": high})
    return pd.DataFrame(rows, columns=["variant", x, "mean", "ci_low", "ci_high"])


__all__ = ["carried_forward", "compute_axis", "curve_bands", "curve_bands_against", "study_curves"]
