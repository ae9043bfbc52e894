"""What the run-directory checks cost: the checks ``resume`` and ``report`` make before they
trust a run directory, on a synthetic results database of N evaluations.

    python experiments/bench_rundir_checks.py --evaluations 20000 --population 50

Writes a database of ``--evaluations`` rows (landscape-like results, ``--population`` per
generation) into a temporary folder with the real writer, then times (median of
``--repeats``):

* ``check_database`` — header, size, tables, ``PRAGMA integrity_check``;
* decoding every evaluation row (``ResultsDB.iter_evaluations``), as ``resume`` does;
* the private copy ``report`` reads (:func:`evodeap.results.queries.snapshots`);
* taking and releasing the directory's lock.

Prints a Markdown table (the numbers docs/runs.md quotes).
"""
from __future__ import annotations

import argparse
import platform
import tempfile
import time
from pathlib import Path

from evodeap.execution.timing import median_seconds


def build(folder: Path, evaluations: int, population: int) -> Path:
    import numpy as np

    from evodeap.evaluation.api import EvalResult
    from evodeap.genome.space import SearchSpace
    from evodeap.results.storage import ResultsDB

    space = SearchSpace(family="cnn")
    rng = np.random.default_rng(0)
    path = folder / "results.sqlite"
    with ResultsDB.create(path, "bench", 0, {"name": "bench"}) as db:
        db.conn.execute("BEGIN")
        for i in range(evaluations):
            genome = space.sample_genome(rng)
            value = float(rng.random())
            db.add_evaluation(i // population, i % population, genome, EvalResult(
                fitness=(value,), metrics={"val_score": value}, components={"A": value, "T": 0.1, "R": value},
                wall_time=0.01, n_params=1000, seed=i))
            if i % population == population - 1:
                db.add_generation(i // population, {"gen": i // population, "best": value}, space.to_dict())
        db.conn.execute("COMMIT")
    return path



def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--evaluations", type=int, default=20000)
    parser.add_argument("--population", type=int, default=50)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)

    from evodeap.runs.lock import RunLock
    from evodeap.results.queries import evaluations, snapshots
    from evodeap.results.schema import check_database
    from evodeap.results.storage import ResultsDB

    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        start = time.perf_counter()
        path = build(folder, args.evaluations, args.population)
        built = time.perf_counter() - start

        def decode():
            with ResultsDB(path, check=False, readonly=True) as db:
                assert sum(1 for _ in db.iter_evaluations()) == args.evaluations

        def snapshot():
            with snapshots():
                evaluations(folder)

        def lock():
            with RunLock(folder, "bench"):
                pass

        rows = [
            ("check_database (integrity_check)", median_seconds(lambda: check_database(path), args.repeats)),
            ("decode every evaluation row", median_seconds(decode, args.repeats)),
            ("report's private copy + evaluations table", median_seconds(snapshot, args.repeats)),
            ("take and release the lock", median_seconds(lock, args.repeats)),
        ]
        size = path.stat().st_size
    print(f"{args.evaluations} evaluations ({size / 1e6:.1f} MB database, written in {built:.1f} s); "
          f"{platform.machine()}, Python {platform.python_version()}, {time.strftime('%Y-%m-%d')}\n")
    print("| check | median seconds |")
    print("|---|---|")
    for name, seconds in rows:
        print(f"| {name} | {seconds:.4f} |")


if __name__ == "__main__":
    main()
