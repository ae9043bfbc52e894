"""Benchmark (not a test): how evodeap's recommended configuration was designed.

Every candidate below is evodeap's engine with one set of settings, run on the DESIGN problems
(``evodeap.benchmarks.problem.DESIGN_SUITE``: LCBench tasks outside the standard suite) at 30
seeds beside the peers, so that the choice of the recommended configuration never sees a
problem of the standard suite (where it is then reported, docs/benchmarks.md). Each
``(problem, candidate, seed)`` writes one job file under ``OUT/jobs`` (resumable); ``--report``
writes the ranks of the candidates and the peers.

    python experiments/design_recommended.py --out docs/benchmarks/design --candidates one_gene screen2
    python experiments/bench_suite.py --out docs/benchmarks/design --problems design \\
        --methods random regularized_evolution optuna_tpe evodeap_published     # the peers on the same problems
    python experiments/design_recommended.py --out docs/benchmarks/design --report

The candidates (each changes the one before it, or the base ``one_gene``):

* ``one_gene`` — population 20, tournament selection (size 3), uniform crossover with
  probability 0.5, a mutation of exactly one gene per child, one elite;
* ``screen2``/``screen4_explore``/``pop10_screen8_explore`` — ``one_gene`` with surrogate
  screening (:mod:`evodeap.evaluation.screening`, the univariate Parzen ratio): factor 2;
  factor 4 with half the candidates random (``explore``); population 10, factor 8, 30 %
  random; ``screen4_multivariate`` — ``screen4_explore`` with the multivariate Parzen ratio;
* ``*_mf`` — the same with successive halving over the epochs (η = 3, rungs from R/9), on
  problems with a fidelity;
* ``pop10``/``pop40`` — ``one_gene`` with population 10 or 40; ``pop10_screen2``,
  ``pop10_screen4_explore`` — population 10 with the screening of ``screen2``, ``screen4_explore``; ``aging`` — ``one_gene`` with
  aging survival (the oldest leaves) instead of generational replacement.
"""
from __future__ import annotations

import argparse
import sys

from evodeap.benchmarks.analysis import build_grid
from evodeap.benchmarks.jobs import job_path, read_job
from evodeap.benchmarks.methods import recommended_config, run_config
from evodeap.benchmarks.problem import DESIGN_SUITE, METHODS, suite_problem
from evodeap.benchmarks.report import write_report
from evodeap.benchmarks.suite import run_suite
from evodeap.evaluation.fidelity import with_multi_fidelity

BASE = dict(population_size=20, selection="tournament", selection_params={"tournsize": 3}, crossover="uniform",
            cxpb=0.5, mutation="one_gene", screening=None)


def _screen(factor: int, **more) -> dict:
    return {"screening": {"surrogate": "tpe", "factor": factor, "min_evaluations": 10, **more}}


CANDIDATES: dict[str, dict] = {
    "one_gene": {},
    "screen2": _screen(2),
    "screen4_explore": _screen(4, explore=0.5),
    "pop10_screen8_explore": {"population_size": 10, **_screen(8, explore=0.3)},
    "screen4_multivariate": _screen(4, explore=0.5, params={"multivariate": True}),
    "pop10": {"population_size": 10},
    "pop10_screen2": {"population_size": 10, **_screen(2)},
    "pop10_screen4_explore": {"population_size": 10, **_screen(4, explore=0.5)},
    "pop40": {"population_size": 40},
    "aging": {"survival": "aging", "elitism": 0},
}
MULTI_FIDELITY = ("one_gene", "screen4_explore")
PEERS = ("random", "regularized_evolution", "optuna_tpe", "evodeap_published")


def candidate(name: str, multi_fidelity: bool):
    changes = {**BASE, **CANDIDATES[name]}

    def search(problem, seed):
        config = recommended_config(problem, seed, **changes)
        if multi_fidelity and problem.max_fidelity is not None:
            top = problem.max_fidelity
            config = with_multi_fidelity(config, min_budget=max(1, top // 9), eta=3, max_budget=top)
        return run_config(config)

    return search


def register() -> list[str]:
    names = []
    for name in CANDIDATES:
        for mf in (False, True) if name in MULTI_FIDELITY else (False,):
            method = f"design_{name}{'_mf' if mf else ''}"
            if method not in METHODS.names():
                METHODS.register(method)(candidate(name, mf))
            names.append(method)
    return names


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True)
    parser.add_argument("--candidates", nargs="+", default=None, help="design_* method names (default: all)")
    parser.add_argument("--seeds", type=int, default=30)
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--report", action="store_true")
    args = parser.parse_args(argv)
    methods = register()
    chosen = [m if m.startswith("design_") else f"design_{m}" for m in args.candidates] if args.candidates else methods
    problems = [suite_problem(name) for name in DESIGN_SUITE]
    if args.report:
        names = list(chosen) + list(PEERS)
        results = [read_job(job_path(args.out, p.name, m, s)) for p in problems for m in names
                   for s in range(args.seeds) if job_path(args.out, p.name, m, s).exists()]
        for path in write_report(f"{args.out}/report", build_grid(results), "optuna_tpe"):
            print(path)
        return 0
    run_suite(args.out, problems, chosen, range(args.seeds), jobs=args.jobs,
              on_done=lambda path: print(path, flush=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
