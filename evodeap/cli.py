"""The ``evodeap`` command line (also ``python -m evodeap``).

    evodeap run EXPERIMENT.py [--preset NAME] [--set key=value ...] [--out DIR] [--seed N]
                              [--executor serial|process|ray] [--workers N] [--suite NAME ...]
                              [--quiet | --verbose]
    evodeap resume DIR [--experiment FILE] [--force] [--retrain-lost-weights] [--set generations=N] [--force-backend]
    evodeap export DIR [--epochs N] [--train-on train|train+val] [--out DIR] [--force]
    evodeap report DIR [--out OUT]
    evodeap operators [EXPERIMENT.py] [--markdown]
    evodeap data generate|show|export ...

Bad input (a malformed experiment, unknown operator, inverted range, corrupt checkpoint
or data file, a run directory in use, a full disk) prints one line on stderr and exits
with status 2; nothing on disk is overwritten. Ctrl-C saves what is finished and prints
the resume command (status 130). Without ``--out``, ``run`` writes to
``runs/<name>-<timestamp>`` and prints where.
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Sequence

from evodeap.errors import ConfigError, EvodeapError


def _progress(args: argparse.Namespace, config):
    from evodeap.engine.progress import ConsoleProgress

    return ConsoleProgress(config.generations, _per_generation(config), quiet=args.quiet, verbose=args.verbose)


def _per_generation(config) -> int:
    """Evaluations a generation has, for the progress bar (one with ``fixed_schedule="continue"``)."""
    return 1 if config.strategy == "fixed" and config.fixed_schedule == "continue" else config.population_size


def _warn_before_training(fitness) -> None:
    """Print the fitness's ``data_warnings()`` (e.g. a validation split too small to rank models)."""
    for note in getattr(fitness, "data_warnings", lambda: [])():
        print(f"warning: {note}", file=sys.stderr, flush=True)


def _finish(result, out: Path | None, args: argparse.Namespace) -> int:
    from evodeap.engine.progress import summary

    if not args.quiet:
        print()
    print(summary(result, out))
    return 0


def _cmd_run(args: argparse.Namespace) -> int:
    from evodeap.config.overrides import imply_processes, parse_assignments
    from evodeap.config.experiment import load_experiment
    from evodeap.runs.provenance import describe_sources
    from evodeap.config.resolve import plan_run
    from evodeap.runs.lifecycle import run
    from evodeap.runs.rundir import default_run_directory
    from evodeap.config.experiment import apply_study_preset, base_config, is_study, preset_overrides, suite_spec

    namespace = load_experiment(args.experiment)
    preset = preset_overrides(namespace, args.preset)
    preset_seeds = preset.pop("seeds", None)  # a preset may name a study's seeds (e.g. evidence)
    namespace = apply_study_preset(namespace, preset)  # ... and its suite and variants
    if preset_seeds is not None and not is_study(namespace):
        raise ConfigError(f"preset {args.preset or namespace.get('DEFAULT_PRESET')!r} names seeds, "
                          f"which only a study (an experiment with VARIANTS or SEEDS) has")
    overrides = {**preset, **parse_assignments(args.set or [])}
    suite = args.suite or suite_spec(namespace)
    for flag in ("executor",) if suite else ("executor", "workers"):  # a suite's workers: its job processes
        if getattr(args, flag) is not None:
            overrides[flag] = getattr(args, flag)
    imply_processes(overrides, base_config(namespace).executor)  # --workers 2 alone: processes
    path = Path(args.experiment).resolve()
    experiment = {"file": str(path), "overrides": overrides, "sources": describe_sources(path, namespace)}
    if suite:
        return _run_suite_study(namespace, suite, experiment, args,
                                seeds=args.seed if args.seed is not None else preset_seeds)
    if is_study(namespace):
        return _run_study(namespace, Path(args.out) if args.out else None, experiment, args,
                          seeds=args.seed if args.seed is not None else preset_seeds)
    if args.seed is not None:
        overrides["seed"] = args.seed
    config = base_config(namespace).with_overrides(overrides)
    plan = plan_run(config)  # refuse before any work is done: every name and parameter, then the directory
    _warn_before_training(plan.fitness)
    out = Path(args.out) if args.out else default_run_directory(config.name)
    if not args.out and not args.quiet:
        print(f"run directory: {out}", flush=True)
    progress = _progress(args, config)
    try:
        result = run(config, out, on_generation=progress.generation, on_evaluation=progress.evaluation,
                     experiment=experiment, plan=plan)
    finally:
        progress.close()
    return _finish(result, out, args)


def _run_study(namespace, out: Path | None, experiment: dict | None, args: argparse.Namespace,
               resume: bool = False, extend: dict | None = None, seeds: int | list[int] | None = None) -> int:
    from evodeap.engine.progress import ConsoleProgress
    from evodeap.runs.rundir import default_run_directory
    from evodeap.paper.report import refresh_after_resume
    from evodeap.runs.extension import mark_stale
    from evodeap.studies.study import resume_study, run_study

    progress: list[ConsoleProgress] = []

    def start(arm, config):
        if not progress:
            from evodeap.config.resolve import plan_run

            _warn_before_training(plan_run(config).fitness)
            mark_stale(out, extend or {})  # extending a sub-run: the study's own outputs predate it
        if not args.quiet:
            print(f"== {arm.variant} seed {arm.seed} -> {arm.path}", flush=True)
        progress.append(ConsoleProgress(config.generations, _per_generation(config),
                                        quiet=not args.verbose, verbose=args.verbose))
        return progress[-1].generation, progress[-1].evaluation

    def done(arm, result):
        progress[-1].close()
        if not args.quiet:
            from evodeap.engine.progress import best_model_lines

            best = result.hall_of_fame[0]
            print(f"   best {best.fitness.values[0]:.4f}: {best.describe()}", flush=True)
            for line in best_model_lines(result):
                print(f"   {line}", flush=True)

    try:
        if resume:
            arms = resume_study(out, experiment_file=args.experiment, force=args.force, announce=_announce,
                                on_arm_start=start, on_arm_done=done, extend=extend,
                                force_backend=args.force_backend)
            for line in refresh_after_resume(out, arms):  # what the extension made stale
                print(f"warning: {line}")
        else:
            from evodeap.config.experiment import base_config, study_plan

            study_plan(namespace, seeds)  # refuse a malformed plan before choosing a folder
            reserved = out is None
            if reserved:
                out = default_run_directory(base_config(namespace).name)
                if not args.quiet:
                    print(f"study directory: {out}", flush=True)
            try:
                arms = run_study(namespace, out, experiment, seed_override=seeds, on_arm_start=start,
                                 on_arm_done=done)
            except EvodeapError:
                if reserved and not any(out.iterdir()):  # refused before anything was written
                    out.rmdir()
                raise
    finally:
        for bar in progress:
            bar.close()
    print(f"study directory: {out} ({len(arms)} runs); compare them with: evodeap report {out}")
    return 0


def _run_suite_study(namespace, suite: list[str], experiment: dict, args: argparse.Namespace,
                     seeds: int | list[int] | None) -> int:
    from evodeap.benchmarks.suite_study import plan_suite_study, progress_printer, run_suite_study

    if not args.out:
        raise ConfigError("a suite study needs --out DIR (its job files go there)")
    plan = plan_suite_study(namespace, experiment["overrides"], seeds, suite)  # refused before anything is written
    total = len(plan.problems) * len(plan.variants) * len(plan.seeds)
    results = run_suite_study(namespace, args.out, experiment, plan=plan, workers=args.workers,
                              on_done=progress_printer(total, args.quiet))
    print(f"suite study directory: {args.out} ({len(results)} jobs: {len(plan.variants)} variants × "
          f"{len(plan.problems)} problems × {len(plan.seeds)} seeds); compare them with: evodeap report {args.out}")
    return 0


def _announce(path: Path) -> None:
    print(f"resume executes the experiment file {path}", flush=True)


def _cmd_resume(args: argparse.Namespace) -> int:
    from evodeap.runs.lifecycle import continue_run
    from evodeap.runs.rundir import RunDirectory
    from evodeap.studies.study import is_study_directory

    from evodeap.config.overrides import parse_assignments
    from evodeap.runs.extension import check_extendable
    from evodeap.benchmarks.suite_study import (is_suite_study_directory, progress_printer, read_suite_study,
                                                resume_suite_study)

    out = Path(args.directory)
    extend = parse_assignments(args.set or [])
    check_extendable(extend)
    if is_suite_study_directory(out):
        if extend or args.retrain_lost_weights:
            raise ConfigError("a suite study's jobs run to their budget: resume it without --set or "
                              "--retrain-lost-weights")
        info = read_suite_study(out)
        total = len(info["problems"]) * len(info["variants"]) * len(info["seeds"])
        results = resume_suite_study(out, experiment_file=args.experiment, force=args.force, announce=_announce,
                                     on_done=progress_printer(total, args.quiet))
        print(f"suite study directory: {out} ({len(results)} jobs); compare them with: evodeap report {out}")
        return 0
    if is_study_directory(out):
        if args.retrain_lost_weights:
            raise ConfigError("--retrain-lost-weights applies to one run directory; resume the sub-run with it")
        return _run_study(None, out, None, args, resume=True, extend=extend)
    directory = RunDirectory(out)
    directory.require()
    progress = []

    def start(config):
        progress.append(_progress(args, config))
        return progress[0].generation, progress[0].evaluation

    with directory.lock("resume"):
        try:
            outcome = continue_run(directory, experiment_file=args.experiment, force=args.force,
                                   retrain_lost_weights=args.retrain_lost_weights,
                                   force_backend=args.force_backend, want_result=False,
                                   on_start=start, announce=_announce, extend=extend)
        finally:
            for bar in progress:
                bar.close()
    from evodeap.reports.stale import refresh_after_resume

    for line in refresh_after_resume(out):  # what an extension made stale, now that it has finished
        print(f"warning: {line}")
    if outcome.already_complete:
        state = directory.load_checkpoint()
        done = f"{out} is already complete ({state['generation']} generations)"
        if outcome.written:
            done += f"; wrote what its end had not: {', '.join(outcome.written)}"
        print(done)
        return 0
    return _finish(outcome.result, out, args)


def _cmd_export(args: argparse.Namespace) -> int:
    from evodeap.reports.export import export_best
    from evodeap.studies.study import is_study_directory

    if is_study_directory(args.directory):
        from evodeap.studies.best import export_study

        for arm, done in export_study(Path(args.directory), epochs=args.epochs, train_on=args.train_on, out=args.out,
                                      overwrite=args.force):
            val = done.info["metrics"].get("val", {})
            print(f"{arm.variant}/seed-{arm.seed}: best genome {done.info['key']}  "
                  + "  ".join(f"val {k} {v:.4f}" for k, v in val.items() if k in ("auc", "f1", "accuracy"))
                  + f"  {done.model_path}")
        return 0
    done = export_best(Path(args.directory), epochs=args.epochs, train_on=args.train_on, out=args.out,
                       overwrite=args.force)
    print(f"best genome {done.info['key']} ({done.info['weights']} weights, {done.info['epochs']} epochs)")
    for split, values in done.info["metrics"].items():
        print(f"  {split:5s} " + "  ".join(f"{k} {v:.4f}" for k, v in values.items()))
    print(done.model_path)
    print(done.info_path)
    return 0


def _cmd_report(args: argparse.Namespace) -> int:
    from evodeap.reports.run_report import output_folder, write_report
    from evodeap.reports.stale import stale_notes
    from evodeap.studies.study import is_study_directory

    directory = Path(args.directory)
    if not directory.is_dir():
        from evodeap.errors import RunDirectoryError

        raise RunDirectoryError(f"no run directory at {directory}")
    from evodeap.benchmarks.suite_study import is_suite_study_directory

    if is_suite_study_directory(directory):
        from evodeap.benchmarks.study_report import write_suite_study_report

        with output_folder(directory, args.out) as target:
            paths = write_suite_study_report(directory, target)
    elif not is_study_directory(directory):
        paths = write_report(directory, args.out)
    else:
        from evodeap.paper.report import write_study_reports

        paths = write_study_reports(directory, args.out)
    for path in paths:
        print(path)
    for path in paths:
        if path.name in ("study_warnings.md", "factorial_warnings.md", "run_warnings.md"):
            for line in path.read_text().splitlines():
                print(f"warning: {line.lstrip('- ')}")
    for line in stale_notes(directory, wrote_report=args.out is None or Path(args.out).resolve() == directory.resolve()):
        print(f"warning: {line}")
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
    run_p.add_argument("--out", help="run directory to create (must not exist or be empty); "
                                     "default: runs/<name>-<timestamp>")
    run_p.add_argument("--seed", type=int)
    run_p.add_argument("--preset", help="a named group of settings from the experiment's PRESETS (e.g. quick, paper)")
    run_p.add_argument("--executor", choices=("serial", "process", "ray"),
                       help="how evaluations run (default: the experiment's; serial with --workers > 1 is process)")
    run_p.add_argument("--workers", type=int, help="evaluations at once; > 1 without --executor implies --executor "
                                                   "process (a suite study: jobs at a time; default every core)")
    run_p.add_argument("--suite", nargs="+", metavar="NAME",
                       help="run the study on a benchmark suite: 'design', 'standard' or problem names "
                            "(instead of the experiment's SUITE)")
    _add_output_flags(run_p)
    run_p.set_defaults(handler=_cmd_run)

    resume_p = sub.add_parser(
        "resume", help="continue a stopped run (executes its experiment file)",
        description="Continue a stopped run or study. This EXECUTES the run's experiment file (Python code): the "
                    "file recorded in experiment.json, or the one named with --experiment; it prints which file "
                    "before running it. A file inside the run directory is never executed unless you name it, and "
                    "a file whose hash changed since the run started is refused unless --force (a run that "
                    "stopped because its code broke the contract accepts the fix; the change is recorded).")
    resume_p.add_argument("directory")
    resume_p.add_argument("--experiment", metavar="FILE",
                          help="execute this experiment file instead of the recorded one (it must describe the "
                               "same configuration)")
    resume_p.add_argument("--force", action="store_true",
                          help="go on although the experiment file or its modules changed (recorded in the run)")
    resume_p.add_argument("--retrain-lost-weights", action="store_true",
                          help="train models whose weight files are damaged or missing from scratch (recorded: "
                               "the run is then no longer an exact continuation)")
    resume_p.add_argument("--set", action="append", metavar="generations=N",
                          help="extend the run (or every run of a study) to N generations, finished or not; "
                               "recorded in experiment.json; nothing else may change")
    resume_p.add_argument("--force-backend", action="store_true",
                          help="continue on this process's Keras backend although the run recorded another "
                               "(the change is recorded in runtime.json)")
    _add_output_flags(resume_p)
    resume_p.set_defaults(handler=_cmd_resume)

    export_p = sub.add_parser("export", help="write the best model of a run (best_model.keras + best_model.json); "
                                             "on a study, that of every sub-run")
    export_p.add_argument("directory")
    export_p.add_argument("--epochs", type=int, help="retrain the best genome for N epochs")
    export_p.add_argument("--train-on", choices=("train", "train+val"), default="train",
                          help="retrain on train+val and score on test")
    export_p.add_argument("--out", help="folder to write into (default: the run directory)")
    export_p.add_argument("--force", action="store_true", help="replace an earlier export")
    export_p.set_defaults(handler=_cmd_export)

    report_p = sub.add_parser(
        "report", help="regenerate tables and figures from a run's database",
        description="Write tables and figures from a run's (or study's) databases. Executes no code from the "
                    "directory and writes only into the output folder.")
    report_p.add_argument("directory")
    report_p.add_argument("--out", metavar="OUT", help="write tables/ and figures/ here instead of into the run "
                                                       "directory (e.g. for a read-only or received directory)")
    report_p.set_defaults(handler=_cmd_report)

    from evodeap.config.commands import add_operators_command

    add_operators_command(sub)
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
