"""Baselines: evodeap's evolution against grid search, random search and (optionally) peers.

    python experiments/baselines.py --out runs/baselines                 # landscape, 10 seeds
    python experiments/baselines.py --out runs/baselines --peers         # + Optuna TPE, Keras Tuner Hyperband
    python experiments/baselines.py --out runs/baselines-keras --seeds 3 --peers \\
        --set fitness=keras \\
        --set fitness_params='{"data": {"videos": [96, 32, 32], "frames": 8, "downsample": 4}}' \\
        --set population_size=6 --set generations=3
    evodeap run experiments/baselines.py --out runs/ea                   # the EA arm alone

For every seed, evodeap's evolution runs on ``CONFIG`` first; its number of *new*
evaluations (cache hits are free) is the budget every other method gets on that seed.
All methods use the same search space, fitness (and so the same model builder and data)
and evaluation-seed scheme (see ``evodeap.baselines.common``). Writes, under ``--out``:

* ``<method>/seed<k>/results.sqlite`` — every evaluation (the EA's directory is a full run
  directory; baselines store evaluation ``i`` as generation ``i // population_size``);
* ``tables/baselines.{csv,md}`` — per method: median final best with a bootstrap 95 % CI,
  mean with CI, Mann–Whitney p against evodeap, mean area under the best-so-far curve, how
  many seeds reached the target (default: random search's median final best) and the
  median number of evaluations they needed; ``tables/curves.csv`` — every best-so-far curve;
* ``figures/best_so_far.{png,svg}`` — best so far vs evaluations (median, interquartile band).
"""
from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path
from typing import Any, Sequence

from evodeap.config.settings import ExperimentConfig
from evodeap.genome.space import SearchSpace

CONFIG = ExperimentConfig(
    name="baselines",
    space=SearchSpace(family="cnn"),
    fitness="landscape",
    population_size=20,
    generations=14,
    crossover="two_point",
    mutation="split",
    mutation_rate={"name": "exponential_decay", "initial": 0.05, "rate": 0.03},
    selection="boltzmann",
    selection_params={"beta": 5.0},
    elitism=1,
)

EA = "evodeap"
CORE_METHODS = ("random", "grid")
PEER_METHODS = ("optuna_tpe", "keras_tuner_hyperband")


def run_evolution(config: ExperimentConfig, out: Path, overrides: dict | None = None) -> list:
    """Run the EA into ``out``; its new evaluations, in (generation, index) order.

    The run directory records this file, ``overrides`` and the seed, so
    ``evodeap resume`` and ``evodeap report`` work on it like on any run.
    """
    from evodeap.runs.lifecycle import run

    experiment = {"file": str(Path(__file__).resolve()), "overrides": dict(overrides or {}), "seed": config.seed}
    result = run(config, out, experiment=experiment)
    return sorted(result.evaluations, key=lambda r: (r.generation, r.index))


def run_method(method: str, config: ExperimentConfig, fitness: Any, budget: int, out: Path) -> list:
    """Run one baseline with ``budget`` evaluations and store it under ``out``."""
    from evodeap.baselines import run_baseline, save_records

    records = run_baseline(method, config.space, fitness, budget, config.seed)
    save_records(out, records, name=f"{config.name}-{method}", seed=config.seed, space=config.space,
                 batch=config.population_size,
                 config={"method": method, "budget": budget, "experiment": config.to_dict()})
    return records


def run_all(config: ExperimentConfig, seeds: Sequence[int], out: Path, methods: Sequence[str],
            overrides: dict | None = None, log=print) -> list[dict]:
    """Every method on every seed; one row per (method, seed, evaluation) of the best-so-far curve."""
    from evodeap.baselines import best_so_far_curve
    from evodeap.config.resolve import resolve_fitness

    rows = []
    for seed in seeds:
        seeded = config.with_overrides({"seed": int(seed)})
        start = time.perf_counter()
        records = run_evolution(seeded, out / EA / f"seed{seed}", overrides)
        arms = {EA: (records, time.perf_counter() - start)}
        budget = len(records)
        fitness = resolve_fitness(seeded)
        for method in methods:
            start = time.perf_counter()
            arms[method] = (run_method(method, seeded, fitness, budget, out / method / f"seed{seed}"),
                            time.perf_counter() - start)
        for method, (recs, seconds) in arms.items():
            curve = best_so_far_curve(recs)
            log(f"seed {seed} {method:>22}: {len(recs)} evaluations, best {curve[-1]:.4f}, {seconds:.1f} s")
            rows += [{"method": method, "seed": int(seed), "evaluations": i + 1, "best": float(b),
                      "wall_s": seconds} for i, b in enumerate(curve)]
    return rows


def evaluations_to_reach(curve: Sequence[float], target: float) -> float:
    """1-based number of evaluations until the best so far first reaches ``target`` (``nan``: never)."""
    for i, value in enumerate(curve):
        if value >= target:
            return float(i + 1)
    return math.nan


def summary_table(curves, target: float | None = None, reference: str = EA):
    """Per method: final best (median/mean with bootstrap CIs, p vs ``reference``), AUC, evaluations to target."""
    import numpy as np
    import pandas as pd

    from evodeap.reports.stats import compare_arms

    finals = curves.sort_values("evaluations").groupby(["method", "seed"]).tail(1)
    order = list(dict.fromkeys(curves["method"]))
    values = {m: finals.loc[finals["method"] == m, "best"].tolist() for m in order}
    if target is None:
        target = float(np.median(values["random"])) if "random" in values else float(np.median(values[order[0]]))
    stats = compare_arms(values, reference=reference if reference in values else None).set_index("arm")
    rows = []
    for method in order:
        per_seed = curves[curves["method"] == method].groupby("seed")
        reach = [evaluations_to_reach(g.sort_values("evaluations")["best"].tolist(), target) for _, g in per_seed]
        reached = [r for r in reach if not math.isnan(r)]
        s = stats.loc[method]
        rows.append({
            "method": method, "seeds": int(s["n"]),
            "budget": int(per_seed["evaluations"].max().median()),
            "median_best": s["median"], "median_ci": f"[{s['median_ci_low']:.4f}, {s['median_ci_high']:.4f}]",
            "mean_best": s["mean"], "mean_ci": f"[{s['mean_ci_low']:.4f}, {s['mean_ci_high']:.4f}]",
            "p_vs_" + reference: s["p_value"],
            "auc_best_so_far": float(per_seed["best"].mean().mean()),
            "target": target, "reached": f"{len(reached)}/{len(reach)}",
            "median_evals_to_target": float(np.median(reached)) if reached else math.nan,
            "median_wall_s": float(per_seed["wall_s"].first().median()),
        })
    return pd.DataFrame(rows)


def plot_curves(curves, figures: Path) -> list[Path]:
    """Best so far vs evaluations: median over seeds with an interquartile band (PNG and SVG).

    The EA's budget varies a little with the seed (cache hits are free), so the curves are
    cut at the smallest per-seed budget: every point of the plot averages over all seeds.
    """
    import matplotlib

    from evodeap.reports.run_report import save_figure

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import seaborn as sns

    horizon = int(curves.groupby(["method", "seed"])["evaluations"].max().min())
    curves = curves[curves["evaluations"] <= horizon]
    sns.set_theme(style="whitegrid")
    fig, ax = plt.subplots(figsize=(7, 4.5))
    sns.lineplot(data=curves, x="evaluations", y="best", hue="method", estimator="median",
                 errorbar=("pi", 50), ax=ax)
    ax.set(xlabel="evaluations", ylabel="best fitness so far",
           title="Best so far vs evaluations (median over seeds, interquartile band)")
    return save_figure(fig, figures, "best_so_far")


def parse_args(argv: Sequence[str] | None):
    parser = argparse.ArgumentParser(description="evodeap vs grid search, random search and peers, same budget")
    parser.add_argument("--out", required=True, help="a new (or empty) output directory")
    parser.add_argument("--seeds", type=int, default=10, help="number of seeds (0 .. N-1; default 10)")
    parser.add_argument("--peers", action="store_true", help="also Optuna TPE and Keras Tuner Hyperband")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="override CONFIG")
    parser.add_argument("--target", type=float, default=None,
                        help="fitness target for 'evaluations to reach' (default: random search's median best)")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the comparison and write tables and figures; 0 on success, 2 on bad input."""
    import pandas as pd

    from evodeap.config.overrides import parse_assignments
    from evodeap.errors import EvodeapError
    from evodeap.reports.run_report import write_table

    args = parse_args(argv)
    out = Path(args.out)
    try:
        if out.exists() and (not out.is_dir() or any(out.iterdir())):
            raise EvodeapError(f"{out} exists and is not empty; choose another --out")
        if args.seeds < 1:
            raise EvodeapError(f"--seeds must be >= 1, got {args.seeds}")
        overrides = parse_assignments(args.set)
        config = CONFIG.with_overrides(overrides).validate()
        if args.peers:
            from evodeap.baselines import check_baselines

            check_baselines(PEER_METHODS)
        methods = CORE_METHODS + (PEER_METHODS if args.peers else ())
        curves = pd.DataFrame(run_all(config, range(args.seeds), out, methods, overrides))
    except EvodeapError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    table = summary_table(curves, args.target)
    tables = out / "tables"
    write_table(table, tables, "baselines")
    curves.to_csv(tables / "curves.csv", index=False)
    plot_curves(curves, out / "figures")
    print((tables / "baselines.md").read_text())
    return 0


if __name__ == "__main__":
    sys.exit(main())
