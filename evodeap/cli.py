"""The ``evodeap`` command line (also ``python -m evodeap``).

Bad input (a malformed experiment, unknown operator, inverted range, bad data file)
prints one line on stderr and exits with status 2; nothing on disk is overwritten.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Sequence

from evodeap.errors import ConfigError, EvodeapError

# (logbook field, heading, width, format)
TABLE_COLUMNS = (
    ("gen", "gen", 4, "d"), ("nevals", "nevals", 6, "d"), ("cache_hits", "hits", 5, "d"),
    ("failures", "fail", 5, "d"), ("best", "best", 8, ".4f"), ("mean", "mean", 8, ".4f"),
    ("std", "std", 7, ".4f"), ("diversity", "divers", 7, ".3f"), ("unique", "unique", 6, "d"),
    ("mu", "mu", 7, ".4f"), ("beta", "beta", 7, ".3g"), ("layers_mean", "layers", 6, ".2f"),
)


def format_header() -> str:
    return " ".join(heading.rjust(width) for _, heading, width, _ in TABLE_COLUMNS)


def format_row(record: dict) -> str:
    """One line of the per-generation table (``-`` for a missing value)."""
    cells = []
    for name, _, width, fmt in TABLE_COLUMNS:
        value = record.get(name)
        cells.append(("-" if value is None else format(value, fmt)).rjust(width))
    return " ".join(cells)


def _cmd_run(args: argparse.Namespace) -> int:
    from evodeap.config import parse_assignments
    from evodeap.experiment import load_experiment
    from evodeap.run import run

    config = load_experiment(args.experiment)["CONFIG"]
    overrides = parse_assignments(args.set or [])
    for flag in ("seed", "executor", "workers"):
        if getattr(args, flag) is not None:
            overrides[flag] = getattr(args, flag)
    config = config.with_overrides(overrides).validate()
    out = Path(args.out) if args.out else None
    if out is not None and out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise ConfigError(f"{out} already exists and is not empty; choose another --out")

    def echo(report) -> None:
        if not args.quiet:
            if report.generation == 0:
                print(format_header())
            print(format_row(report.record), flush=True)

    result = run(config, out=out, on_generation=echo)
    best = result.hall_of_fame[0]
    print(f"best fitness {best.fitness.values[0]:.6f}: {best.describe()}")
    print(f"hyperparameters: {best.hyperparameters}")
    if out is not None:
        print(f"run directory: {out}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="evodeap", description="Evolve Keras models with DEAP.")
    sub = parser.add_subparsers(dest="command", required=True)

    run_p = sub.add_parser("run", help="run an experiment file")
    run_p.add_argument("experiment", help="path to an experiment .py file defining CONFIG")
    run_p.add_argument("--set", action="append", metavar="KEY=VALUE",
                       help="override a setting (repeatable), e.g. --set population_size=20")
    run_p.add_argument("--out", help="run directory to create (must not exist or be empty)")
    run_p.add_argument("--seed", type=int)
    run_p.add_argument("--executor", choices=("serial", "process"))
    run_p.add_argument("--workers", type=int)
    run_p.add_argument("--quiet", action="store_true", help="do not print the per-generation table")
    run_p.set_defaults(handler=_cmd_run)

    try:
        from evodeap.data.cli import add_data_commands
    except ImportError:
        pass
    else:
        add_data_commands(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.handler(args) or 0)
    except EvodeapError as exc:
        print(f"evodeap: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("evodeap: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
