"""Benchmark (not a test): the standard suite — evodeap against the peers on 18 offline problems.

Problems (``evodeap.benchmarks.problem.STANDARD_SUITE``): NAS-Bench-201 (3), HPOBench-NN (8),
FC-Net (4) and YAHPO-SO v1.0's LCBench instances (3). Budgets: 6,544 epochs on LCBench (the
published one), 200 × the mean cost of a random configuration elsewhere. Seeds 0–29. The
analysis is fixed in docs/benchmarks.md ("Protocol") and in :mod:`evodeap.benchmarks.analysis`.

The multi-fidelity peers (``optuna_tpe_hyperband``, ``smac_multi_fidelity``, ``dehb``,
``keras_tuner_hyperband``; :mod:`evodeap.benchmarks.fidelity_peers`) run only on the problems
with a fidelity (LCBench); ``dehb`` needs ``EVODEAP_DEHB_PYTHON`` (docs/baselines.md).

Every (problem, method, seed) writes ``OUT/jobs/<problem>/<method>-<seed>.json`` (a few KB),
so a stopped suite continues where it was; ``--report`` only reads the finished jobs and
writes ``OUT/report/`` (``suite.md``, ``ranks.csv``, figures) for the seeds every job has.

    python experiments/bench_suite.py --out docs/benchmarks/suite --methods random evodeap_published
    python experiments/bench_suite.py --out docs/benchmarks/suite --report --reference evodeap_published
    python experiments/bench_suite.py --out /tmp/design --problems design --seeds 10   # design problems
"""
from __future__ import annotations

import argparse
import sys
import time

from evodeap.benchmarks.analysis import build_grid
from evodeap.benchmarks.jobs import job_path, read_job
from evodeap.benchmarks.problem import DESIGN_SUITE, METHODS, STANDARD_SUITE, suite_problem
from evodeap.benchmarks.report import write_report
from evodeap.benchmarks.suite import run_suite
from evodeap.errors import EvodeapError


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True, help="the suite's folder (jobs/ and report/ inside)")
    parser.add_argument("--problems", nargs="+", default=["standard"],
                        help="problem names, or 'standard' (the 18) or 'design' (the design problems)")
    parser.add_argument("--methods", nargs="+", default=None, help=f"default: every registered method")
    parser.add_argument("--seeds", type=int, default=30, help="seeds 0..N-1 (default 30)")
    parser.add_argument("--first-seed", type=int, default=0)
    parser.add_argument("--jobs", type=int, default=None, help="processes (default: every core)")
    parser.add_argument("--report", action="store_true", help="only write the report of the finished jobs")
    parser.add_argument("--reference", default="evodeap_published", help="the method the report tests against")
    return parser.parse_args(argv)


def problem_names(spec: list[str]) -> list[str]:
    names: list[str] = []
    for item in spec:
        names += list(STANDARD_SUITE) if item == "standard" else list(DESIGN_SUITE) if item == "design" else [item]
    return names


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        names = problem_names(args.problems)
        methods = args.methods or METHODS.names()
        seeds = range(args.first_seed, args.first_seed + args.seeds)
        if args.report:
            results = [read_job(job_path(args.out, p, m, s)) for p in names for m in methods for s in seeds
                       if job_path(args.out, p, m, s).exists()]
            for path in write_report(f"{args.out}/report", build_grid(results), args.reference):
                print(path)
            return 0
        problems = [suite_problem(name) for name in names]
        start, done = time.time(), []

        def finished(path: str) -> None:
            done.append(path)
            print(f"[{time.time() - start:7.0f} s] {len(done)} jobs done: {path}", flush=True)

        run_suite(args.out, problems, methods, seeds, jobs=args.jobs, on_done=finished)
        print(f"{len(done)} jobs in {time.time() - start:.0f} s")
        return 0
    except EvodeapError as error:
        print(f"bench_suite: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
