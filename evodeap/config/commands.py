"""``evodeap operators``: every operator and schedule with its parameters and defaults.

The command line adds it with :func:`add_operators_command` (as ``evodeap data`` is added by
:mod:`evodeap.data.cli`). It lives here because it may load an experiment file first
(:func:`evodeap.config.experiment.load_experiment`), so the operators and schedules that file
registers are listed too; the listing itself is :mod:`evodeap.operators.catalog`.
"""
from __future__ import annotations

import argparse
from typing import Any

from evodeap.operators import catalog


def operators_command(args: argparse.Namespace) -> int:
    """Print the catalog (``--markdown``: the table of built-in ones docs/core.md holds)."""
    if args.experiment:
        from evodeap.config.experiment import load_experiment

        load_experiment(args.experiment)  # registers the operators the file defines
    print(catalog.markdown() if args.markdown else catalog.text(), end="")
    return 0


def add_operators_command(sub: Any) -> None:
    """Add ``evodeap operators [EXPERIMENT.py] [--markdown]`` to an argparse sub-parser set."""
    parser = sub.add_parser("operators", help="list every operator and schedule with its parameters and defaults")
    parser.add_argument("experiment", nargs="?", help="also list the operators this experiment file registers")
    parser.add_argument("--markdown", action="store_true", help="the table of built-in operators docs/core.md holds")
    parser.set_defaults(handler=operators_command)


__all__ = ["add_operators_command", "operators_command"]
