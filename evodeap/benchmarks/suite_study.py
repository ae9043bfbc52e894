"""Suite studies: an experiment's ``VARIANTS`` × a benchmark suite's problems × ``SEEDS``, as suite jobs.

An experiment file that declares ``SUITE`` (``"design"``, ``"standard"`` or a list of suite and
problem names; read by :func:`evodeap.config.experiment.suite_spec`) runs its study on the suite
instead of on ``CONFIG``'s own fitness. Each variant is a search method built the way
:func:`evodeap.benchmarks.methods.published_config` builds the paper's method, on each problem:

    config(v, p, s) = variant_v( CONFIG ⊕ overrides ⊕ {space, fitness, fitness_params of p,
                                 compute_budget = B_p, generations = MAX_GENERATIONS} ) ⊕ {seed = s}

(``⊕`` applies settings; a variant may change the operators, never the problem: its fitness,
budget or seed). Every job runs :func:`evodeap.benchmarks.methods.run_config` until the
problem's budget is spent and writes its small result file (:mod:`evodeap.benchmarks.jobs`):

    DIR/suite_study.json                 name, experiment record, problems and budgets, variants,
                                         seeds, reference (format SUITE_STUDY_FORMAT)
    DIR/jobs/<problem>/<variant>-<seed>.json
    DIR/report/                          written by ``evodeap report DIR``
                                         (:mod:`evodeap.benchmarks.study_report`)

Every config is built and validated before anything is written (an unknown problem, variant
or setting is one :class:`~evodeap.errors.ConfigError`). Jobs run on every core (or
``workers`` processes) and a stopped study continues with ``evodeap resume DIR``: finished
job files are kept, the rest run.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

from evodeap.benchmarks.jobs import JobResult
from evodeap.benchmarks.methods import MAX_GENERATIONS, run_config
from evodeap.benchmarks.problem import DESIGN_SUITE, STANDARD_SUITE, SuiteProblem, suite_problem
from evodeap.benchmarks.suite import run_suite
from evodeap.config.experiment import apply_variant, base_config, study_plan, suite_spec
from evodeap.config.resolve import plan_run
from evodeap.config.settings import ExperimentConfig
from evodeap.errors import ConfigError, DamagedFileError, RunDirectoryError
from evodeap.files import SUITE_STUDY_FORMAT, read_json, write_json

RECORD = "suite_study.json"
#: the suites a ``SUITE`` may name
SUITES: dict[str, tuple[str, ...]] = {"design": DESIGN_SUITE, "standard": STANDARD_SUITE}


def problem_names(spec: Sequence[str]) -> list[str]:
    """Suite names expanded to their problems, problem names checked; in order, each once.

    Raises:
        ConfigError: an unknown name, or a problem named twice.
    """
    from evodeap.fitness.benchmarks import PROBLEMS

    known = set(PROBLEMS.names())
    names: list[str] = []
    for item in spec:
        if item in SUITES:
            names += SUITES[item]
        elif item in known:
            names.append(item)
        else:
            raise ConfigError(f"unknown suite or problem {item!r}; suites: {', '.join(SUITES)}; problems: "
                              f"{', '.join(sorted(known))}")
    if len(set(names)) != len(names):
        raise ConfigError(f"the suite names a problem twice: {names}")
    return names


def problem_config(config: ExperimentConfig, problem: SuiteProblem) -> ExperimentConfig:
    """``config`` on ``problem``: its space, fitness and budget, generations bounded by the budget."""
    return config.with_overrides({"space": problem.space, "fitness": problem.fitness,
                                  "fitness_params": dict(problem.fitness_params),
                                  "compute_budget": float(problem.budget), "generations": MAX_GENERATIONS})


def variant_config(namespace: Mapping[str, Any], overrides: Mapping[str, Any], variant: str,
                   problem: SuiteProblem, seed: int) -> ExperimentConfig:
    """The config of one job (module docstring), validated.

    Raises:
        ConfigError: a bad setting, or a variant that changes the problem.
    """
    config = problem_config(base_config(namespace).with_overrides(dict(overrides)), problem)
    changed = apply_variant(config, namespace, variant)
    moved = [key for key in ("fitness", "fitness_params", "compute_budget")
             if getattr(changed, key) != getattr(config, key)]
    if moved or changed.space is not config.space and changed.space != config.space:
        raise ConfigError(f"variant {variant!r} changes the problem ({', '.join(moved) or 'space'}); on a suite a "
                          f"variant may change the search, not the problem")
    return changed.with_overrides({"seed": int(seed)}).validate()


@dataclass(frozen=True)
class VariantSearch:
    """One variant as a suite method (``method(problem, seed) -> records``): its config per problem."""

    configs: Mapping[str, ExperimentConfig]

    def __call__(self, problem: SuiteProblem, seed: int) -> list:
        return run_config(self.configs[problem.name].with_overrides({"seed": int(seed)}))


@dataclass(frozen=True)
class SuitePlan:
    """A suite study, checked: its problems, variants (as searches), seeds and reference."""

    name: str
    problems: tuple[SuiteProblem, ...]
    variants: tuple[str, ...]
    seeds: tuple[int, ...]
    reference: str
    searches: Mapping[str, VariantSearch]

    def record(self, experiment: Mapping[str, Any] | None) -> dict[str, Any]:
        """What ``suite_study.json`` holds."""
        return {"format": SUITE_STUDY_FORMAT, "name": self.name, "experiment": dict(experiment or {}),
                "problems": [p.name for p in self.problems], "budgets": {p.name: p.budget for p in self.problems},
                "variants": list(self.variants), "seeds": list(self.seeds), "reference": self.reference}


def plan_suite_study(namespace: Mapping[str, Any], overrides: Mapping[str, Any] | None = None,
                     seeds: int | list[int] | None = None, suite: Sequence[str] | None = None,
                     budgets: Mapping[str, float] | None = None) -> SuitePlan:
    """Check a suite study and build every variant's config on every problem (nothing is written).

    Args:
        namespace: the experiment file's names (``CONFIG``, ``VARIANTS``, ``SEEDS``, ``REFERENCE``, ``SUITE``).
        overrides: ``--set``-style settings applied to ``CONFIG`` before each variant.
        seeds: one seed or a list, instead of ``SEEDS``.
        suite: suite or problem names, instead of ``SUITE``.
        budgets: per problem, the budget (default: :func:`~evodeap.benchmarks.problem.suite_problem`'s).
    """
    spec = list(suite) if suite is not None else suite_spec(namespace)
    if not spec:
        raise ConfigError("the experiment names no SUITE (a suite study needs one, or --suite)")
    names = problem_names(spec)
    variants, seed_list = study_plan(namespace, seeds)
    problems = tuple(suite_problem(n, None if budgets is None else budgets[n]) for n in names)
    searches = {}
    for variant in variants:
        configs = {p.name: variant_config(namespace, overrides or {}, variant, p, seed_list[0]) for p in problems}
        for config in configs.values():
            plan_run(config)  # every operator name and parameter, before anything is written
        searches[variant] = VariantSearch(configs)
    return SuitePlan(base_config(namespace).name, problems, tuple(variants), tuple(seed_list),
                     namespace.get("REFERENCE", variants[0]), searches)


def is_suite_study_directory(directory: str | Path) -> bool:
    return (Path(directory) / RECORD).is_file()


def read_suite_study(directory: str | Path) -> dict[str, Any]:
    """The checked ``suite_study.json`` of ``directory``.

    Raises:
        RunDirectoryError: there is none; DamagedFileError: it is not one.
    """
    path = Path(directory) / RECORD
    try:
        info = read_json(directory, RECORD)  # the one bounded reader: DamagedFileError when corrupt
    except FileNotFoundError:
        raise RunDirectoryError(f"{directory} is not a suite study (no {RECORD})") from None
    try:
        if info.get("format") != SUITE_STUDY_FORMAT:
            raise ValueError(f"format {info.get('format')!r}, expected {SUITE_STUDY_FORMAT}")
        problems, variants, seeds = list(info["problems"]), list(info["variants"]), [int(s) for s in info["seeds"]]
        budgets = {p: float(info["budgets"][p]) for p in problems}
        if not problems or not variants or not seeds or info["reference"] not in variants:
            raise ValueError("empty problems, variants or seeds, or a reference that is no variant")
    except (AttributeError, KeyError, TypeError, ValueError) as exc:
        raise DamagedFileError(f"{path} is not a suite study record: {exc}") from None
    return {**info, "problems": problems, "variants": variants, "seeds": seeds, "budgets": budgets}


def run_suite_study(namespace: Mapping[str, Any], out: str | Path, experiment: Mapping[str, Any] | None = None, *,
                    seeds: int | list[int] | None = None, suite: Sequence[str] | None = None,
                    workers: int | None = None, on_done: Callable[[str], None] | None = None,
                    plan: SuitePlan | None = None) -> list[JobResult]:
    """Run every variant × problem × seed of a suite study into ``out`` (a new or empty folder).

    Args:
        namespace: the experiment file's names.
        out: the study's folder.
        experiment: the record of the file and its overrides (``{"file", "overrides", "sources"}``,
            as ``evodeap run`` writes it); its ``overrides`` apply to ``CONFIG``.
        seeds, suite: instead of ``SEEDS`` and ``SUITE``.
        workers: processes at a time (default: every core; 1 runs here).
        on_done: called with each finished job file.
        plan: an already checked plan (else :func:`plan_suite_study`).

    Returns: every job's result.
    """
    experiment = dict(experiment or {})
    plan = plan or plan_suite_study(namespace, experiment.get("overrides"), seeds, suite)
    out = Path(out)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        hint = f"; continue it with 'evodeap resume {out}'" if is_suite_study_directory(out) else ""
        raise RunDirectoryError(f"{out} exists and is not empty{hint}")
    out.mkdir(parents=True, exist_ok=True)
    write_json(out, RECORD, plan.record(experiment))
    return _run_plan(out, plan, workers, on_done)


def _run_plan(out: Path, plan: SuitePlan, workers: int | None, on_done: Callable[[str], None] | None,
              ) -> list[JobResult]:
    from evodeap.runs.lock import RunLock

    with RunLock(out, "run"):
        return run_suite(out, plan.problems, plan.variants, plan.seeds, jobs=workers, on_done=on_done,
                         searches=plan.searches)


def resume_suite_study(out: str | Path, *, namespace: Mapping[str, Any] | None = None,
                       experiment_file: str | Path | None = None, force: bool = False,
                       announce: Callable[[Path], None] | None = None, workers: int | None = None,
                       on_done: Callable[[str], None] | None = None) -> list[JobResult]:
    """Run the jobs of a suite study not done yet (finished job files are kept).

    The experiment is ``namespace`` or the file ``suite_study.json`` records (hashed before it is
    executed, as a run's resume does: :func:`evodeap.runs.inspection.load_recorded_experiment`);
    the recorded overrides, problems, budgets, variants and seeds are used, not the file's.
    """
    from evodeap.runs.inspection import load_recorded_experiment
    from evodeap.runs.rundir import RunDirectory

    out = Path(out)
    info = read_suite_study(out)
    if namespace is None:
        if not info["experiment"].get("file"):
            raise RunDirectoryError(f"{out / RECORD} records no experiment file; resume it from Python")
        namespace, _, _ = load_recorded_experiment(RunDirectory(out), info["experiment"], experiment_file, force,
                                                   announce, where=RECORD)
    missing = [v for v in info["variants"] if v not in namespace.get("VARIANTS", {"base": {}})]
    if missing:
        raise RunDirectoryError(f"variants {missing} are no longer defined in the experiment file")
    namespace = {**namespace, "VARIANTS": {v: namespace.get("VARIANTS", {"base": {}})[v] for v in info["variants"]},
                 "REFERENCE": info["reference"], "FACTORS": None}
    plan = plan_suite_study(namespace, info["experiment"].get("overrides"), list(info["seeds"]), info["problems"],
                            info["budgets"])
    return _run_plan(out, plan, workers, on_done)


def progress_printer(total: int, quiet: bool = False) -> Callable[[str], None]:
    """An ``on_done(path)`` hook for the command line: one line per finished job (elapsed
    seconds, jobs done of ``total``, the job file), nothing when ``quiet``."""
    import time

    start, done = time.time(), []

    def finished(path: str) -> None:
        done.append(path)
        if not quiet:
            print(f"[{time.time() - start:6.0f} s] {len(done)}/{total} jobs: {path}", flush=True)

    return finished


__all__ = ["RECORD", "SUITES", "SuitePlan", "VariantSearch", "is_suite_study_directory", "plan_suite_study",
           "problem_names", "problem_config", "progress_printer", "read_suite_study", "resume_suite_study", "run_suite_study",
           "variant_config"]
