"""Evidence over seeds: does evolution ("after") beat the hand-picked configuration
("before") of each family, on the test split, over the study's matched seeds?

For every sub-run the model compared is the run's **best individual by fitness** (the
population's best of the generation with the highest best fitness — Table 5's model),
scored on the **test** split, which neither evolution nor selection saw. Per family and
test metric, over the seeds both arms completed (matched: the same seed gives both arms
the same data and initial random streams):

* each arm's mean with its 95 % percentile bootstrap CI (:func:`evodeap.reports.stats.bootstrap_ci`);
* the paired differences ``d_s = after_s − before_s``: their mean with its bootstrap CI
  (seeds resampled, pairs kept), and how many seeds after wins;
* the one-sided exact Wilcoxon signed-rank test of ``H1``: the differences lean above 0
  (:func:`evodeap.reports.stats.wilcoxon_signed_rank` with ``alternative="greater"``; with 5
  seeds its smallest p is 1/32 = 0.031);
* the verdict ``after beats before`` when that p is below α = 0.05 *and* the CI of the
  mean difference lies above 0; ``not shown`` otherwise.
"""
from __future__ import annotations

from pathlib import Path

from evodeap.reports.stats import bootstrap_ci, wilcoxon_signed_rank
from evodeap.results.queries import evaluations, generations
from evodeap.studies.study import arms

#: The test metrics compared (``accuracy`` is exact-set accuracy on a multi-label task).
EVIDENCE_METRICS = ("auc", "label_accuracy", "f1", "precision", "recall", "accuracy")
ALPHA = 0.05


def family_of(variant: str) -> str:
    return variant.split("-")[0]


def phase_of(variant: str) -> str:
    return variant.split("-", 1)[1] if "-" in variant else variant


def best_evaluations(run_dir: Path):
    """Per generation: the evaluation row of the population's best individual."""
    import pandas as pd

    gens, evals = generations(run_dir), evaluations(run_dir)
    rows = []
    for _, row in gens.iterrows():
        g = int(row["generation"])
        candidates = evals[(evals["key"] == row["best_key"]) & (evals["generation"] <= g)]
        exact = candidates[(candidates["fitness"] - row["best"]).abs() < 1e-12]
        chosen = (exact if not exact.empty else candidates).iloc[-1]
        rows.append({**chosen.to_dict(), "evaluated_in": int(chosen["generation"]), "generation": g})
    return pd.DataFrame(rows)


def final_best(run_dir: Path):
    """The evaluation row of the run's best individual (highest best fitness over the run);
    ``None`` for a run without a recorded generation."""
    best = best_evaluations(run_dir)
    return None if best.empty else best.loc[best["fitness"].idxmax()]


def final_test_metrics(directory: str | Path):
    """One row per completed sub-run: family, arm, seed, fitness and the test metrics of
    its best individual."""
    import pandas as pd

    rows = []
    for arm in arms(directory):
        top = final_best(arm.path) if (arm.path / "results.sqlite").exists() else None
        if top is None:
            continue
        rows.append({"family": family_of(arm.variant), "arm": phase_of(arm.variant), "seed": arm.seed,
                     "fitness": float(top["fitness"]),
                     **{m: float(top[f"metric_test_{m}"]) for m in EVIDENCE_METRICS if f"metric_test_{m}" in top}})
    return pd.DataFrame(rows)


def before_vs_after(per_run):
    """Per family and test metric: both arms' means with CIs, the paired mean difference
    with its CI, wins, the one-sided Wilcoxon p and the verdict (see the module docstring)."""
    import pandas as pd

    rows = []
    if per_run.empty:
        return pd.DataFrame(rows)
    for family, group in per_run.groupby("family", sort=False):
        before = group[group["arm"] == "before"].set_index("seed")
        after = group[group["arm"] == "after"].set_index("seed")
        seeds = sorted(set(before.index) & set(after.index))
        if not seeds:
            continue
        for metric in EVIDENCE_METRICS:
            if metric not in group or group[metric].isna().all():
                continue
            b = before.loc[seeds, metric].to_numpy(dtype=float)
            a = after.loc[seeds, metric].to_numpy(dtype=float)
            d = a - b
            _, p = wilcoxon_signed_rank(a, b, alternative="greater")
            d_low, d_high = bootstrap_ci(d)
            b_low, b_high = bootstrap_ci(b)
            a_low, a_high = bootstrap_ci(a)
            beats = len(seeds) > 1 and p < ALPHA and d_low > 0
            rows.append({
                "family": family, "metric": f"test_{metric}", "seeds": len(seeds),
                "before_mean": b.mean(), "before_ci_low": b_low, "before_ci_high": b_high,
                "after_mean": a.mean(), "after_ci_low": a_low, "after_ci_high": a_high,
                "mean_difference": d.mean(), "difference_ci_low": d_low, "difference_ci_high": d_high,
                "after_wins": int((d > 0).sum()), "p_wilcoxon_greater": p,
                "verdict": "after beats before" if beats else "not shown",
            })
    return pd.DataFrame(rows)
