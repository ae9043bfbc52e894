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

The same comparison against the **random-search arm** (``<family>-random``, strategy
``random``) is made at **equal compute**: the random arm's evaluations are taken in the
order they ran (generation, index), and its model is the best by fitness among the first
``k`` of them, ``k`` the smallest count whose training FLOPs reach the same seed's
``after`` arm's total (:func:`equal_compute_prefix`): it spends the evolutionary arm's
compute, overshooting by less than its last model's training. A random arm that ran out
before reaching it is compared with all its evaluations, and its ``compute_share``
(random / after) says by how much it fell short.

:func:`preregistered` is the analysis fixed in docs/paper.md before the ten-seed evidence
ran: per family, ``after`` against ``before`` and against ``random``, on test macro AUC and
test macro F1, eight one-sided Wilcoxon tests, Holm-adjusted together (α = 0.05).
"""
from __future__ import annotations

from pathlib import Path

from evodeap.reports.stats import bootstrap_ci, holm_adjust, wilcoxon_signed_rank
from evodeap.results.queries import evaluations, generations, read_frame
from evodeap.studies.study import arms

#: The test metrics compared (``accuracy`` is exact-set accuracy on a multi-label task).
EVIDENCE_METRICS = ("auc", "label_accuracy", "f1", "precision", "recall", "accuracy")
ALPHA = 0.05
#: The pre-registered primary metrics and comparisons (docs/paper.md, "Pre-registered analysis").
PRIMARY_METRICS = ("auc", "f1")
PRIMARY_REFERENCES = ("before", "random")


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


def run_finished(run_dir: Path) -> bool:
    """Whether the sub-run has finished all its generations (its database says ``finished``):
    a running or interrupted sub-run is not compared."""
    if not (Path(run_dir) / "results.sqlite").exists():
        return False
    status = read_frame(run_dir, "SELECT status FROM runs ORDER BY run_id DESC LIMIT 1")
    return not status.empty and status["status"].iloc[0] == "finished"


def evaluation_costs(run_dir: Path):
    """``generation, idx, train_flops`` of every evaluation of a run, in the order they ran."""
    frame = read_frame(run_dir, "SELECT generation, idx, COALESCE(json_extract(extra, '$.train_flops'), 0) "
                                "AS train_flops FROM evaluations ORDER BY generation, idx")
    frame["train_flops"] = frame["train_flops"].astype(float)
    return frame


def equal_compute_prefix(costs, budget: float) -> int:
    """The smallest ``k`` with ``Σ_{i<k} c_i ≥ budget`` (``len(costs)`` when the costs never
    reach it): the first ``k`` evaluations spend the budget and overshoot it by less than
    the last one's cost ``c_{k−1}``."""
    total = 0.0
    for k, cost in enumerate(costs, start=1):
        total += float(cost)
        if total >= budget:
            return k
    return len(costs)


def final_best(run_dir: Path, budget: float | None = None):
    """The evaluation row of the run's best individual (highest best fitness over the run);
    ``None`` for a run without a recorded generation. With ``budget`` (training FLOPs): the
    best ``ok`` evaluation by fitness among the first :func:`equal_compute_prefix` ones, with
    ``compute`` (the FLOPs they spent) added."""
    if budget is not None:
        evals = evaluations(run_dir)
        costs = evaluation_costs(run_dir)
        k = equal_compute_prefix(costs["train_flops"], budget)
        within = evals.iloc[:k]
        ok = within[within["status"] == "ok"]
        if ok.empty:
            return None
        top = ok.loc[ok["fitness"].idxmax()].copy()
        top["compute"] = float(costs["train_flops"].iloc[:k].sum())
        return top
    best = best_evaluations(run_dir)
    return None if best.empty else best.loc[best["fitness"].idxmax()]


def final_test_metrics(directory: str | Path):
    """One row per finished sub-run (:func:`run_finished`): family, arm, seed, fitness, the training FLOPs
    counted (``compute``) and the test metrics of its best individual; a ``random`` arm at
    the compute of the same seed's ``after`` arm (``compute_share``: random / after)."""
    import pandas as pd

    runs = [arm for arm in arms(directory) if run_finished(arm.path)]
    spent = {(family_of(arm.variant), arm.seed): float(evaluation_costs(arm.path)["train_flops"].sum())
             for arm in runs if phase_of(arm.variant) == "after"}
    rows = []
    for arm in runs:
        family, phase = family_of(arm.variant), phase_of(arm.variant)
        budget = spent.get((family, arm.seed)) if phase == "random" else None
        if phase == "random" and budget is None:
            continue  # no evolutionary arm of this seed to match yet
        top = final_best(arm.path, budget)
        if top is None:
            continue
        compute = float(top["compute"]) if budget is not None else float(evaluation_costs(arm.path)["train_flops"].sum())
        rows.append({"family": family, "arm": phase, "seed": arm.seed, "fitness": float(top["fitness"]),
                     "compute": compute, "compute_share": compute / budget if budget else float("nan"),
                     **{m: float(top[f"metric_test_{m}"]) for m in EVIDENCE_METRICS if f"metric_test_{m}" in top}})
    return pd.DataFrame(rows)


def before_vs_after(per_run):
    """Per family and test metric: both arms' means with CIs, the paired mean difference
    with its CI, wins, the one-sided Wilcoxon p and the verdict (see the module docstring)."""
    return arm_vs_reference(per_run, "after", "before")


def arm_vs_reference(per_run, arm: str, reference: str):
    """Per family and test metric, ``arm`` against ``reference`` over their matched seeds:
    both means with CIs (columns ``<reference>_mean`` …, ``<arm>_mean`` …), the paired mean
    difference ``arm − reference`` with its CI, ``<arm>_wins``, the one-sided Wilcoxon p of
    "arm is better" and the verdict ``<arm> beats <reference>`` (p < α and the CI above 0)."""
    import pandas as pd

    rows = []
    if per_run.empty:
        return pd.DataFrame(rows)
    for family, group in per_run.groupby("family", sort=False):
        ref = group[group["arm"] == reference].set_index("seed")
        mine = group[group["arm"] == arm].set_index("seed")
        seeds = sorted(set(ref.index) & set(mine.index))
        if not seeds:
            continue
        for metric in EVIDENCE_METRICS:
            if metric not in group or group[metric].isna().all():
                continue
            b = ref.loc[seeds, metric].to_numpy(dtype=float)
            a = mine.loc[seeds, metric].to_numpy(dtype=float)
            d = a - b
            _, p = wilcoxon_signed_rank(a, b, alternative="greater")
            d_low, d_high = bootstrap_ci(d)
            b_low, b_high = bootstrap_ci(b)
            a_low, a_high = bootstrap_ci(a)
            beats = len(seeds) > 1 and p < ALPHA and d_low > 0
            rows.append({
                "family": family, "metric": f"test_{metric}", "seeds": len(seeds),
                f"{reference}_mean": b.mean(), f"{reference}_ci_low": b_low, f"{reference}_ci_high": b_high,
                f"{arm}_mean": a.mean(), f"{arm}_ci_low": a_low, f"{arm}_ci_high": a_high,
                "mean_difference": d.mean(), "difference_ci_low": d_low, "difference_ci_high": d_high,
                f"{arm}_wins": int((d > 0).sum()), "p_wilcoxon_greater": p,
                "verdict": f"{arm} beats {reference}" if beats else "not shown",
            })
    return pd.DataFrame(rows)


def preregistered(per_run):
    """The pre-registered test family (docs/paper.md): per family, ``after`` against each of
    :data:`PRIMARY_REFERENCES` on each of :data:`PRIMARY_METRICS` — the one-sided Wilcoxon
    p, its Holm adjustment over all the rows (:func:`evodeap.reports.stats.holm_adjust`),
    the mean paired difference with its 95 % bootstrap CI, and the verdict ``after beats
    <reference>`` when the *adjusted* p is below α = 0.05."""
    import pandas as pd

    rows = []
    for reference in PRIMARY_REFERENCES:
        table = arm_vs_reference(per_run, "after", reference)
        for _, row in table.iterrows():
            if row["metric"] in tuple(f"test_{m}" for m in PRIMARY_METRICS):
                rows.append({"family": row["family"], "comparison": f"after vs {reference}", "metric": row["metric"],
                             "seeds": int(row["seeds"]), "reference_mean": row[f"{reference}_mean"],
                             "after_mean": row["after_mean"], "mean_difference": row["mean_difference"],
                             "difference_ci_low": row["difference_ci_low"],
                             "difference_ci_high": row["difference_ci_high"], "after_wins": int(row["after_wins"]),
                             "p_wilcoxon_greater": row["p_wilcoxon_greater"]})
    frame = pd.DataFrame(rows)
    if frame.empty:
        return frame
    frame["p_holm"] = holm_adjust(frame["p_wilcoxon_greater"].to_numpy(dtype=float))
    frame["verdict"] = ["after beats " + c.split(" vs ")[1] if p < ALPHA else "not shown"
                        for c, p in zip(frame["comparison"], frame["p_holm"])]
    return frame
