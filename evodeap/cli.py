"""The ``evodeap`` command line (also ``python -m evodeap``).

    evodeap run EXPERIMENT.py [--preset NAME] [--set key=value ...] [--out DIR] [--seed N]
                              [--executor serial|process|ray] [--workers N] [--quiet | --verbose]
    evodeap resume DIR
    evodeap report DIR
    evodeap data generate|show|export ...

Bad input (a malformed experiment, unknown operator, inverted range, corrupt checkpoint
or data file) prints one line on stderr and exits with status 2; nothing on disk is
overwritten. Ctrl-C saves what is finished and prints the resume command (status 130).
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Sequence

from evodeap.errors import ConfigError, EvodeapError


def _progress(args: argparse.Namespace, config):
    from evodeap.progress import ConsoleProgress

    return ConsoleProgress(config.generations, config.population_size, quiet=args.quiet, verbose=args.verbose)


def _finish(result, out: Path | None, args: argparse.Namespace) -> int:
    from evodeap.progress import summary

    if not args.quiet:
        print()
    print(summary(result, out))
    return 0


def _cmd_run(args: argparse.Namespace) -> int:
    from evodeap.config import parse_assignments
    from evodeap.experiment import load_experiment
    from evodeap.resolve import resolve_run
    from evodeap.run import RunDirectory, run
    from evodeap.study import is_study

    namespace = load_experiment(args.experiment)
    overrides = {**preset_overrides(namespace, args.preset), **parse_assignments(args.set or [])}
    for flag in ("executor", "workers"):
        if getattr(args, flag) is not None:
            overrides[flag] = getattr(args, flag)
    out = Path(args.out) if args.out else None
    experiment = {"file": str(Path(args.experiment).resolve()), "overrides": overrides}
    if is_study(namespace):
        return _run_study(namespace, out, experiment, args)
    if args.seed is not None:
        overrides["seed"] = args.seed
    config = namespace["CONFIG"].with_overrides(overrides).validate()
    resolved = None
    if out is not None:  # refuse before any work is done: every name and parameter, then the directory
        resolved = resolve_run(config)
        RunDirectory(out).create(config, experiment)
    progress = _progress(args, config)
    try:
        if out is None:
            result = run(config, on_generation=progress.generation, on_evaluation=progress.evaluation)
        else:
            from evodeap.run import execute

            result = execute(RunDirectory(out), config, None, progress.generation, progress.evaluation, None,
                             resolved)
    finally:
        progress.close()
    return _finish(result, out, args)


def preset_overrides(namespace: dict, name: str | None) -> dict:
    """The overrides of preset ``name`` (or of ``DEFAULT_PRESET``) from the experiment's ``PRESETS``."""
    presets = namespace.get("PRESETS", {})
    if name is None:
        name = namespace.get("DEFAULT_PRESET")
        if name is None:
            return {}
    if name not in presets:
        known = ", ".join(presets) or "none (the experiment defines no PRESETS)"
        raise ConfigError(f"unknown preset {name!r}; presets: {known}")
    return dict(presets[name])


def _run_study(namespace, out: Path | None, experiment: dict, args: argparse.Namespace, resume: bool = False) -> int:
    from evodeap.progress import ConsoleProgress, summary
    from evodeap.study import run_study

    if out is None:
        raise ConfigError("this experiment declares VARIANTS/SEEDS: give the study directory with --out")
    progress: list[ConsoleProgress] = []

    def start(arm, config):
        if not args.quiet:
            print(f"== {arm.variant} seed {arm.seed} -> {arm.path}", flush=True)
        progress.append(ConsoleProgress(config.generations, config.population_size,
                                        quiet=not args.verbose, verbose=False))
        return progress[-1].generation, progress[-1].evaluation

    def done(arm, result):
        progress[-1].close()
        if not args.quiet:
            best = result.hall_of_fame[0]
            print(f"   best {best.fitness.values[0]:.4f}: {best.describe()}", flush=True)

    arms = run_study(namespace, out, experiment, seed_override=args.seed if not resume else None,
                     on_arm_start=start, on_arm_done=done, resume=resume)
    print(f"study directory: {out} ({len(arms)} runs); compare them with: evodeap report {out}")
    return 0


def _cmd_resume(args: argparse.Namespace) -> int:
    from evodeap.run import RunDirectory, resume, resume_config

    out = Path(args.directory)
    if (out / "study.json").exists():
        from evodeap.experiment import load_experiment
        from evodeap.study import read_study

        info = read_study(out)
        namespace = load_experiment(info["experiment"]["file"])
        args.seed = None
        return _run_study(namespace, out, info["experiment"], args, resume=True)
    config = resume_config(out)
    state = RunDirectory(out).load_checkpoint()
    if state is not None and state["generation"] >= config.generations:
        print(f"{out} is already complete ({state['generation']} generations)")
        return 0
    progress = _progress(args, config)
    try:
        result = resume(out, config, on_generation=progress.generation, on_evaluation=progress.evaluation)
    finally:
        progress.close()
    return _finish(result, out, args)


def _cmd_report(args: argparse.Namespace) -> int:
    from evodeap.report import write_report
    from evodeap.study_report import write_study_report

    directory = Path(args.directory)
    if not (directory / "study.json").exists():
        paths = write_report(directory)
    else:
        from evodeap.paper_report import REPORTS
        from evodeap.study import read_study

        paths = write_study_report(directory)
        for name in read_study(directory).get("reports", []):
            if name not in REPORTS:
                raise ConfigError(f"unknown report {name!r}; known: {', '.join(REPORTS)}")
            paths += REPORTS[name](directory)
    for path in paths:
        print(path)
    return 0


def _add_output_flags(parser: argparse.ArgumentParser) -> None:
    noise = parser.add_mutually_exclusive_group()
    noise.add_argument("--quiet", action="store_true", help="print only the final summary")
    noise.add_argument("--verbose", action="store_true", help="also print one line per evaluation")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="evodeap", description="Evolve Keras models with DEAP.")
    sub = parser.add_subparsers(dest="command", required=True)

    run_p = sub.add_parser("run", help="run an experiment file")
    run_p.add_argument("experiment", help="path to an experiment .py file defining CONFIG")
    run_p.add_argument("--set", action="append", metavar="KEY=VALUE",
                       help="override a setting (repeatable), e.g. --set population_size=20")
    run_p.add_argument("--out", help="run directory to create (must not exist or be empty)")
    run_p.add_argument("--seed", type=int)
    run_p.add_argument("--preset", help="a named group of settings from the experiment's PRESETS (e.g. quick, paper)")
    run_p.add_argument("--executor", choices=("serial", "process", "ray"))
    run_p.add_argument("--workers", type=int)
    _add_output_flags(run_p)
    run_p.set_defaults(handler=_cmd_run)

    resume_p = sub.add_parser("resume", help="continue a stopped run")
    resume_p.add_argument("directory")
    _add_output_flags(resume_p)
    resume_p.set_defaults(handler=_cmd_resume)

    report_p = sub.add_parser("report", help="regenerate tables and figures from a run's database")
    report_p.add_argument("directory")
    report_p.set_defaults(handler=_cmd_report)

    try:
        from evodeap.data.cli import add_data_commands
    except ImportError:
        pass
    else:
        add_data_commands(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    # TensorFlow's C++ info/warning lines drown the table; set before anything imports it
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.handler(args) or 0)
    except EvodeapError as exc:
        print(f"evodeap: error: {exc}", file=sys.stderr)
        return 130 if type(exc).__name__ == "RunInterrupted" else 2
    except KeyboardInterrupt:
        print("evodeap: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
