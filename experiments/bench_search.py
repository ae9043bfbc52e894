"""Benchmark (not a test): search quality per unit of training compute, side by side.

Every method searches the same space with the same model builder, data and fitness, and
gets the same training-compute budget ``C`` (training FLOPs, ``3 × forward FLOPs ×
samples`` as recorded in every evaluation's ``extra["train_flops"]``):

* ``evodeap`` — the paper's method as published (Boltzmann selection β = 5, two-point
  crossover, split mutation with μ(t) = 0.05·e^(−0.05t), refinement every 3 generations),
  population 6, every model trained fully;
* ``evodeap_mf`` — the same, population 4, with multi-fidelity successive halving (rungs 3
  and 9 epochs, η = 3);
* ``evodeap_mf_inherit`` — multi-fidelity plus weight inheritance;
* ``evodeap_et`` — the published method plus learning-curve early termination (top 3);
  not in a plain run;
* ``evodeap_recommended`` — evodeap's recommended configuration
  (:func:`evodeap.config.presets.recommended`) with the epochs as its fidelity (rungs 1, 3, 9);
* ``random``, ``grid`` — random and grid search (:mod:`evodeap.baselines.random_search`, :mod:`evodeap.baselines.grid`);
* ``optuna_tpe`` — Optuna's TPE with its default settings;
* ``keras_tuner_hyperband`` — Keras Tuner's Hyperband (max 9 epochs, η = 3, promotions
  continue from the parent trial's weights);
* ``smac_multi_fidelity`` — SMAC3's multi-fidelity facade (BOHB-style: Hyperband brackets
  on 1, 3, 9 epochs, η = 3, a random forest proposing configurations; promotions continue);
* ``evodeap_mf_sync2``, ``evodeap_mf_async2`` — ``evodeap_mf`` on two process workers,
  synchronous or asynchronous (ASHA) successive halving: the wall-time comparison;
* ``evodeap_mf_r1``, ``evodeap_mf_mu20`` — ablations of ``evodeap_mf``, one default changed
  each (:data:`ABLATIONS`); not in a plain run.

The task: Captioned Moving MNIST generated here, *easy* version (one digit), task
``digit`` (10 classes), one frame at 36×64, 2,000/500/1,000 videos. A model that pools each
frame globally (``frame_pool`` max/avg) reaches 0.85–0.90 test accuracy in 2–6 epochs; one
that flattens the frame stays below 0.5 — structure matters. The space: CNN family, 2–5
layers (conv 4–32 filters, dense 8–64 units, dropout, ``frame_pool`` flatten/max/avg),
learning rate 3e-4..3e-2 (log), batch 16/32/64, Adam/RMSprop, dropout 0–0.5, epochs 1–9.
The fitness is the validation accuracy (α = 1, β = γ = 0), so every method optimises the
same number; the report gives the *test* accuracy of each method's incumbent (best
validation accuracy so far), see :mod:`evodeap.reports.efficiency`.

``C`` is ``BUDGET_MODELS`` (30) times the mean training compute of a random draw from the
space (its own epochs gene), estimated from 2,000 seeded draws without training anything,
so random search trains about 30 models.

Each (method, seed) runs in its own process with one thread (``--jobs`` at a time) and
writes ``jobs/<method>-<seed>.json``; finished jobs are kept, so a stopped benchmark
continues where it was (and a finished one just reports). Then the tables and the figure
are written (``bench_search.md``, ``.csv``, ``.png``):

    python experiments/bench_search.py --out runs/bench-search --seeds 10       # 8 methods, 2 cores
    python experiments/bench_search.py --out runs/bench-search --seeds 5 --jobs 1 \
        --methods evodeap_mf_sync2 evodeap_mf_async2                             # the wall-time arms
    python experiments/bench_search.py --out runs/bench-search --seeds 10 --report ablations \
        --methods evodeap_mf random evodeap_mf_r1 evodeap_mf_mu20                    # the ablations
    python experiments/bench_search.py --out runs/bench-search --seeds 1 --scale 0.3   # a smoke run

``--report NAME`` names the report's files (``NAME.md``, ``.csv``, ``.png``; default
``bench_search``), so a report of some methods does not replace the main one.

docs/efficiency.md has the measured figures (machine, date, minutes).
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import math
import os
import platform
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np

from evodeap.config.settings import ExperimentConfig
from evodeap.reports.efficiency import incumbent_curve, value_at
from evodeap.execution.executors import worker_environment
from evodeap.evaluation.fidelity import with_multi_fidelity
from evodeap.genome.space import Choice, Integer, Real, SearchSpace

DATA = {"version": "easy", "task": "digit", "videos": [2000, 500, 1000], "frames": 1, "downsample": 2, "seed": 0}
SPACE = SearchSpace(
    family="cnn",
    hyperparameters={
        "learning_rate": Real(3e-4, 3e-2, log=True),
        "batch_size": Choice((16, 32, 64)),
        "optimizer": Choice(("adam", "rmsprop")),
        "dropout": Real(0.0, 0.5),
        "epochs": Integer(1, 9),
    },
    layers={
        "conv": {"filters": Integer(4, 32, log=True), "kernel_size": Choice((3,)),
                 "activation": Choice(("relu", "tanh")), "pooling": Choice(("max", "avg"))},
        "dense": {"units": Integer(8, 64, log=True), "activation": Choice(("relu", "tanh"))},
        "dropout": {"rate": Real(0.0, 0.5)},
        "frame_pool": {"mode": Choice(("flatten", "max", "avg"))},
    },
    min_layers=2,
    max_layers=5,
)
BUDGET_MODELS = 30
MAX_EPOCHS = 9


@dataclasses.dataclass(frozen=True)
class Setup:
    """What every method shares: the data, the space, the budget in models and the epoch
    range of the multi-fidelity methods (rungs ``min_epochs`` … ``max_epochs``, η = 3)."""

    data: dict = dataclasses.field(default_factory=lambda: dict(DATA))
    space: SearchSpace = SPACE
    budget_models: int = BUDGET_MODELS
    max_epochs: int = MAX_EPOCHS
    min_epochs: int = 1

    @property
    def fitness_params(self) -> dict:
        """Validation accuracy alone (α = 1, β = γ = 0): every method optimises the same number."""
        return {"data": self.data, "metric": "accuracy", "accuracy_weight": 1.0, "cost_weight": 0.0,
                "robustness_weight": 0.0, "perturbation": None}

    def peer_params(self, method: str) -> dict:
        """The peers' settings: Hyperband's and SMAC's epoch rungs ``min_epochs`` … ``max_epochs``
        with η = 3 (1, 3, 9 by default), SMAC planning for three trials per budgeted model."""
        if method == "keras_tuner_hyperband":
            return {"max_epochs": self.max_epochs, "factor": 3}
        if method == "smac_multi_fidelity":
            return {"min_epochs": self.min_epochs, "max_epochs": self.max_epochs, "eta": 3,
                    "expected_trials": 3 * self.budget_models}
        return {}


DEFAULT_SETUP = Setup()
#: Ablations of ``evodeap_mf``, each changing one of its defaults.
ABLATIONS = {
    "evodeap_mf_r1": "rungs 1, 3, 9 epochs (min_budget = max_epochs / 9): three times the candidates "
                     "screened per generation, at one epoch",
    "evodeap_mf_mu20": "initial mutation rate μ0 = 0.2 instead of the published 0.05",
}
METHODS = ("evodeap", "evodeap_mf", "evodeap_mf_inherit", "evodeap_et", "evodeap_recommended", "random", "grid",
           "optuna_tpe", "keras_tuner_hyperband", "smac_multi_fidelity", *ABLATIONS)
#: The wall-time arms: ``evodeap_mf`` on two process workers, synchronous or asynchronous (ASHA)
#: successive halving. Each job takes both cores, so they run one at a time (``--jobs 1``).
WALL_METHODS = ("evodeap_mf_sync2", "evodeap_mf_async2")
#: What a plain run does; add ``--methods … evodeap_et`` for the early-termination arm and the
#: ablations by name (finished jobs are kept).
DEFAULT_METHODS = tuple(m for m in METHODS if m != "evodeap_et" and m not in ABLATIONS)
REFERENCE = "random"
#: The arm every other is tested against, paired by seed.
COMPARED_TO = "evodeap_mf"


def compute_budget(scale: float = 1.0, draws: int = 2000, setup: Setup = DEFAULT_SETUP) -> float:
    """``C = scale · budget_models · mean training FLOPs of a random draw`` (no training)."""
    from evodeap.data import DataSpec, task_info
    from evodeap.models import plan_model, training_flops

    spec = DataSpec.from_dict(setup.data)
    task = task_info(setup.data["task"], setup.data["version"])
    rng = np.random.default_rng(12345)
    costs = []
    for _ in range(draws):
        genome = setup.space.sample_genome(rng)
        plan = plan_model(genome, spec.input_shape, task)
        if plan.valid:
            costs.append(training_flops(plan, setup.data["videos"][0] * genome.hyperparameters["epochs"]))
    return float(scale * setup.budget_models * np.mean(costs))


def evolution_config(seed: int, budget: float, method: str, setup: Setup = DEFAULT_SETUP) -> ExperimentConfig:
    if method == "evodeap_recommended":  # evodeap.config.presets.recommended, epochs as the fidelity
        from evodeap.config.presets import recommended

        return recommended(setup.space, budget, max_fidelity=setup.max_epochs, fitness="keras",
                           fitness_params=setup.fitness_params, seed=seed, name=method)
    config = ExperimentConfig(
        name=method, space=setup.space, fitness="keras", fitness_params=setup.fitness_params,
        population_size=6, generations=1000, crossover="two_point", mutation="split",
        mutation_rate={"name": "exponential_decay", "initial": 0.05, "rate": 0.05},
        selection="boltzmann", selection_params={"beta": 5.0}, elitism=1, refine_every=3,
        seed=seed, compute_budget=budget,
    )
    if method == "evodeap":
        return config
    if method == "evodeap_et":
        return dataclasses.replace(config, early_termination={"top_k": 3, "min_epochs": 2})
    if method == "evodeap_mf_mu20":
        config = dataclasses.replace(config, mutation_rate={**config.mutation_rate, "initial": 0.2})
    rungs_below = 2 if method == "evodeap_mf_r1" else 1  # min_budget = max_epochs / 3^rungs_below
    config = with_multi_fidelity(dataclasses.replace(config, population_size=4),
                                 min_budget=max(1, setup.max_epochs // 3**rungs_below), eta=3,
                                 max_budget=setup.max_epochs)
    if method in WALL_METHODS:
        fidelity = {**config.multi_fidelity, "asynchronous": method == "evodeap_mf_async2"}
        return dataclasses.replace(config, multi_fidelity=fidelity, executor="process", workers=2,
                                   executor_params={"threads_per_worker": 1})
    return dataclasses.replace(config, inheritance=method == "evodeap_mf_inherit")


def run_job(method: str, seed: int, budget: float, setup: Setup = DEFAULT_SETUP) -> tuple[list[dict], float]:
    """One search: its evaluations in finishing order as plain rows, and the search's seconds
    (imports done, data loading and every evaluation included)."""
    if method.startswith("evodeap"):
        from evodeap.engine.loop import evolve

        start = time.perf_counter()
        records = evolve(evolution_config(seed, budget, method, setup)).evaluations
    else:
        from evodeap.baselines import run_baseline
        from evodeap.fitness import KerasFitness

        fitness = KerasFitness(**setup.fitness_params)
        start = time.perf_counter()
        records = run_baseline(method, setup.space, fitness, 100_000, seed, compute_budget=budget,
                               **setup.peer_params(method))
    seconds = time.perf_counter() - start
    rows = []
    for r in records:
        res = r.result
        rows.append({
            "generation": r.generation, "index": r.index, "status": res.status,
            "train_flops": float(res.extra.get("train_flops", 0.0)),
            "epochs": float(res.extra.get("epochs_run", 0)), "budget": res.extra.get("budget"),
            "terminated_early": bool(res.extra.get("terminated_early", False)),
            "val_accuracy": res.metrics.get("val_accuracy", math.nan) if res.ok else math.nan,
            "test_accuracy": res.metrics.get("test_accuracy", math.nan) if res.ok else math.nan,
            "wall_time": res.wall_time, "train_seconds": float(res.extra.get("train_seconds", 0.0)),
        })
    return rows, seconds


def job_path(out: Path, method: str, seed: int) -> Path:
    return out / "jobs" / f"{method}-{seed}.json"


def run_all(out: Path, methods: list[str], seeds: list[int], budget: float, jobs: int) -> None:
    """Run every missing (method, seed) job in its own one-thread process, ``jobs`` at a time."""
    todo = [(m, s) for s in seeds for m in methods if not job_path(out, m, s).exists()]
    running: list[tuple[subprocess.Popen, str, int, float]] = []
    env = {**os.environ, **worker_environment(0, 1, None), "TF_CPP_MIN_LOG_LEVEL": "3"}
    while todo or running:
        while todo and len(running) < jobs:
            method, seed = todo.pop(0)
            cmd = [sys.executable, __file__, "--job", method, str(seed), "--budget", repr(budget), "--out", str(out)]
            running.append((subprocess.Popen(cmd, env=env), method, seed, time.perf_counter()))
        time.sleep(0.5)
        for item in list(running):
            process, method, seed, started = item
            if process.poll() is not None:
                running.remove(item)
                state = "done" if process.returncode == 0 else f"FAILED (exit {process.returncode})"
                print(f"{method:>22} seed {seed}: {state} in {time.perf_counter() - started:.0f} s", flush=True)


# -- the report -------------------------------------------------------------------------------
def load(out: Path, methods: list[str], seeds: list[int]) -> dict[str, dict[int, dict]]:
    data: dict[str, dict[int, dict]] = {}
    for method in methods:
        for seed in seeds:
            path = job_path(out, method, seed)
            if path.exists():
                data.setdefault(method, {})[seed] = json.loads(path.read_text())
    return data


def curve_of(job: dict):
    rows = job["evaluations"]
    return incumbent_curve([r["train_flops"] for r in rows], [r["val_accuracy"] for r in rows],
                           [r["test_accuracy"] for r in rows])


def spent_within(job: dict, budget: float) -> tuple[int, float]:
    """Evaluations and wall seconds up to the budget (the evaluation crossing it included)."""
    spent, count, wall = 0.0, 0, 0.0
    for row in job["evaluations"]:
        if spent >= budget:
            break
        spent += row["train_flops"]
        count += 1
        wall += row["wall_time"]
    return count, wall


def timing(job: dict, budget: float) -> dict:
    """A job's evaluations and seconds up to ``C``, and where its seconds went: the share of
    the search's seconds spent outside evaluations (the method's own work: proposing, ranking,
    its library's bookkeeping) and the share spent in evaluations outside ``fit`` (building,
    tracing, scoring — the fixed cost of an evaluation)."""
    count, wall = spent_within(job, budget)
    rows = job["evaluations"][:count]
    evaluations = sum(r["wall_time"] for r in rows)
    total = sum(r["wall_time"] for r in job["evaluations"])  # a search may finish a generation past C
    search = job.get("search_seconds", math.nan) * (evaluations / total if total else 1.0)
    fixed = sum(r["wall_time"] - r.get("train_seconds", 0.0) for r in rows)
    return {"evaluations": count, "minutes": search / 60, "method_share": max(0.0, 1 - evaluations / search),
            "fixed_share": fixed / search}


def summarise(data: dict, budget: float):
    """One row per method: :func:`evodeap.reports.efficiency.search_summary` against random search
    (reach) and ``evodeap_mf`` (paired tests), plus evaluations, minutes and overhead shares
    up to ``C`` (medians over seeds)."""
    from evodeap.reports.efficiency import search_summary

    curves = {m: {seed: curve_of(job) for seed, job in jobs.items()} for m, jobs in data.items()}
    frame = search_summary(curves, budget, reference=REFERENCE, compared_to=COMPARED_TO)
    for column in ("evaluations", "minutes", "method_share", "fixed_share"):
        frame[column] = [float(np.median([timing(job, budget)[column] for job in data[m].values()]))
                         for m in frame["method"]]
    return frame


def markdown(frame, budget: float) -> str:
    def pct(x: float) -> str:
        return f"{100 * x:.0f} %"

    lines = [
        f"Budget C = {budget:.3g} training FLOPs per search; {int(frame['seeds'].max())} matched seeds per method.",
        "",
        "| method | test accuracy at C, median [95% CI] | compute to reach random's final best (median, × C) "
        f"| seeds that reach it | paired difference vs {COMPARED_TO}, median [95% CI] | wins/losses | A12 "
        "| p (Wilcoxon, Holm) | evaluations | minutes | method overhead | evaluation fixed cost |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for row in frame.itertuples():
        reach = "never" if not math.isfinite(row.reach_median) else f"{row.reach_median:.2f}"
        if row.method == COMPARED_TO:
            diff, wl, a12, p = "—", "—", "—", "—"
        else:
            diff = f"{row.median_diff:+.3f} [{row.median_diff_ci_low:+.3f}, {row.median_diff_ci_high:+.3f}]"
            wl, a12 = f"{row.wins}/{row.losses}", f"{row.A12:.2f}"
            p = f"{row.p_wilcoxon:.3f} ({row.p_wilcoxon_holm:.3f})"
        lines.append(f"| {row.method} | {row.median:.3f} [{row.median_ci_low:.3f}, {row.median_ci_high:.3f}] | {reach} "
                     f"| {row.reached}/{row.reach_seeds} | {diff} | {wl} | {a12} | {p} | {row.evaluations:.0f} "
                     f"| {row.minutes:.1f} | {pct(row.method_share)} | {pct(row.fixed_share)} |")
    return "\n".join(lines) + "\n"


def wall_markdown(data: dict, budget: float) -> str:
    """Synchronous against asynchronous successive halving on two workers, per seed."""
    sync, asynchronous = (data.get(m, {}) for m in WALL_METHODS)
    seeds = sorted(set(sync) & set(asynchronous))
    if not seeds:
        return ""
    lines = ["| seed | synchronous: minutes, evaluations, test accuracy at C | asynchronous (ASHA): minutes, "
             "evaluations, test accuracy at C | wall-time ratio async/sync |", "|---|---|---|---|"]
    ratios = []
    for seed in seeds:
        cells = []
        for job in (sync[seed], asynchronous[seed]):
            t = timing(job, budget)
            cells.append((t["minutes"], t["evaluations"], value_at(curve_of(job), budget)))
        ratios.append(cells[1][0] / cells[0][0])
        lines.append(f"| {seed} | " + " | ".join(f"{m:.2f}, {n}, {a:.3f}" for m, n, a in cells) + f" | {ratios[-1]:.2f} |")
    lines.append(f"| median | | | {float(np.median(ratios)):.2f} |")
    return "\n".join(lines) + "\n"


def plot(data: dict, budget: float, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    xs = np.linspace(0, budget, 200)
    fig, ax = plt.subplots(figsize=(8, 5))
    for method, jobs in data.items():
        values = np.array([[value_at(curve_of(job), x) for x in xs] for job in jobs.values()])
        with warnings.catch_warnings():  # before a method's first evaluation every seed is NaN
            warnings.simplefilter("ignore", RuntimeWarning)
            median = np.nanmedian(values, axis=0)
            low, high = np.nanpercentile(values, 25, axis=0), np.nanpercentile(values, 75, axis=0)
        ax.plot(xs / 1e12, median, label=method, lw=2 if method.startswith("evodeap") else 1.2)
        ax.fill_between(xs / 1e12, low, high, alpha=0.12)
    ax.set_xlabel("training compute spent (TFLOPs)")
    ax.set_ylabel("test accuracy of the incumbent (median, IQR band)")
    ax.set_title("Search quality per unit of compute — Captioned Moving MNIST, digit task")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def report(out: Path, methods: list[str], seeds: list[int], budget: float, name: str = "bench_search") -> str:
    """Write ``name.md`` (the table, and the wall-time table when its jobs exist), ``name.csv``
    and ``name.png`` into ``out``; return the Markdown."""
    data = load(out, methods, seeds)
    frame = summarise(data, budget)
    frame.to_csv(out / f"{name}.csv", index=False)
    text = markdown(frame, budget)
    wall = wall_markdown(load(out, list(WALL_METHODS), seeds), budget)
    if wall:
        text += "\n" + wall
    (out / f"{name}.md").write_text(text)
    plot(data, budget, out / f"{name}.png")
    return text


def report_name(text: str) -> str:
    """A report name is a plain file stem: letters, digits, ``-`` and ``_``."""
    if not text or not all(c.isalnum() or c in "-_" for c in text):
        raise argparse.ArgumentTypeError(f"a report name is letters, digits, '-' and '_', got {text!r}")
    return text


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("runs/bench-search"))
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--jobs", type=int, default=2, help="searches at a time, one thread each")
    parser.add_argument("--scale", type=float, default=1.0, help="multiply the compute budget")
    parser.add_argument("--methods", nargs="+", default=list(DEFAULT_METHODS), choices=METHODS + WALL_METHODS,
                        help="default: " + " ".join(DEFAULT_METHODS) + "; ablations: "
                        + "; ".join(f"{name} ({what})" for name, what in ABLATIONS.items()))
    parser.add_argument("--report", default="bench_search", type=report_name,
                        help="the report files' name (NAME.md, .csv, .png)")
    parser.add_argument("--job", nargs=2, metavar=("METHOD", "SEED"), help=argparse.SUPPRESS)
    parser.add_argument("--budget", type=float, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.job:
        method, seed = args.job[0], int(args.job[1])
        start = time.perf_counter()
        rows, search_seconds = run_job(method, seed, args.budget)
        path = job_path(args.out, method, seed)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps({"method": method, "seed": seed, "budget": args.budget,
                                   "wall_seconds": time.perf_counter() - start, "search_seconds": search_seconds,
                                   "evaluations": rows}))
        os.replace(tmp, path)
        return
    budget = compute_budget(args.scale)
    seeds = list(range(args.seeds))
    args.out.mkdir(parents=True, exist_ok=True)
    print(f"{platform.machine()} {os.cpu_count()} CPUs; budget C = {budget:.3g} training FLOPs per search", flush=True)
    start = time.perf_counter()
    run_all(args.out, args.methods, seeds, budget, args.jobs)
    print(f"all jobs: {(time.perf_counter() - start) / 60:.1f} min", flush=True)
    print(report(args.out, args.methods, seeds, budget, args.report))


if __name__ == "__main__":
    main()
