"""The experiment-file protocol: the one module that reads an experiment file's names.

An experiment file is plain Python that defines ``CONFIG = ExperimentConfig(...)`` and,
optionally, ``PRESETS`` / ``DEFAULT_PRESET`` (named sets of overrides), ``VARIANTS`` and
``SEEDS`` (a study), ``REFERENCE`` (the variant a study compares with), ``FACTORS`` (a
factorial study's levels), ``REPORTS`` (extra reports, e.g. ``["paper"]``) and ``SUITE``
(a benchmark suite the study runs on instead of ``CONFIG``'s own fitness: ``"design"``,
``"standard"`` or a list of problem names; :func:`suite_spec`). This module
loads the file, checks those names, and builds the config one of its runs uses (recorded
overrides, a study's variant and seed); the CLI, studies and the run lifecycle ask it.

The file is executed as a real module named ``evodeap_experiment`` (the name it always
ran under) and stays in ``sys.modules``, so the layer kinds, families, fitnesses and
operators it defines can be pickled to workers, and the file is recorded as a plug-in
source that spawned and Ray workers load before their first task (see
:mod:`evodeap.plugins`).
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Mapping

from evodeap.config.settings import ExperimentConfig
from evodeap.errors import ConfigError, EvodeapError, RunDirectoryError
from evodeap.plugins import load_file
from evodeap.results.layout import NAME

#: the one variant of an experiment file without ``VARIANTS``
BASELINE = "base"
#: variant names (and so sub-run folder names) match ``NAME`` (:mod:`evodeap.results.layout`)


def load_experiment(path: str | Path) -> dict[str, Any]:
    """Execute an experiment file and return (a copy of) its namespace (``CONFIG`` checked)."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"experiment file not found: {path}")
    try:
        namespace = dict(vars(load_file(path)))
    except SyntaxError as exc:
        raise ConfigError(f"{exc.filename}:{exc.lineno}: syntax error: {exc.msg}") from None
    except EvodeapError as exc:
        raise ConfigError(f"{path}: {exc}") from None
    except Exception as exc:  # the user's file is broken: one clear line
        raise ConfigError(f"{path} failed to load: {type(exc).__name__}: {exc}") from None
    config = namespace.get("CONFIG")
    if not isinstance(config, ExperimentConfig):
        raise ConfigError(f"{path} must define CONFIG = ExperimentConfig(...)")
    return namespace


def base_config(namespace: Mapping[str, Any]) -> ExperimentConfig:
    """The file's ``CONFIG`` (checked by :func:`load_experiment`)."""
    return namespace["CONFIG"]


def apply_variant(config: ExperimentConfig, namespace: Mapping[str, Any], name: str) -> ExperimentConfig:
    """``config`` changed by variant ``name`` of the experiment's ``VARIANTS`` (overrides dict or function)."""
    variants = namespace.get("VARIANTS", {BASELINE: {}})
    if name not in variants:
        raise RunDirectoryError(f"variant {name!r} is no longer defined in the experiment file")
    change: Mapping[str, Any] | Callable = variants[name]
    if isinstance(change, Mapping):
        return config.with_overrides(dict(change))
    new = change(config)
    if not isinstance(new, ExperimentConfig):
        raise ConfigError(f"variant {name!r} must return an ExperimentConfig, got {type(new).__name__}")
    return new


def build_config(namespace: Mapping[str, Any], source: Mapping[str, Any]) -> ExperimentConfig:
    """The config an ``experiment.json`` record describes: the file's ``CONFIG`` with the
    recorded overrides, then (for a study's sub-run) its variant and seed. A variant is
    applied to the config that already carries the sub-run's seed, and the seed is set
    again after it (a variant cannot change a sub-run's seed)."""
    config = base_config(namespace).with_overrides(source.get("overrides", {}))
    seed = {"seed": source["seed"]} if source.get("seed") is not None else {}
    if source.get("variant") is not None:  # a variant function sees the sub-run's seed (e.g. to pick its data)
        config = apply_variant(config.with_overrides(seed), namespace, source["variant"])
    return config.with_overrides(seed)


def preset_overrides(namespace: dict, name: str | None) -> dict:
    """The overrides of preset ``name`` (or of ``DEFAULT_PRESET``) from the experiment's ``PRESETS``.

    A preset of a study may also hold ``"seeds": [...]``, the study's seeds (instead of its
    ``SEEDS``), ``"suite"`` and ``"variants"`` (:func:`apply_study_preset`); ``evodeap run``
    takes those keys out before the overrides reach the config."""
    presets = namespace.get("PRESETS", {})
    if name is None:
        name = namespace.get("DEFAULT_PRESET")
        if name is None:
            return {}
    if name not in presets:
        known = ", ".join(presets) or "none (the experiment defines no PRESETS)"
        raise ConfigError(f"unknown preset {name!r}; presets: {known}")
    return dict(presets[name])


def is_study(namespace: Mapping[str, Any]) -> bool:
    return "VARIANTS" in namespace or "SEEDS" in namespace


def suite_spec(namespace: Mapping[str, Any]) -> list[str] | None:
    """The file's ``SUITE`` as a list of names (``None``: absent or ``None``, no suite).

    ``SUITE`` is a suite name (``"design"``, ``"standard"``) or a non-empty list of suite and
    problem names; which names exist is checked where the suites live
    (:mod:`evodeap.benchmarks.suite_study`)."""
    spec = namespace.get("SUITE")
    if spec is None:
        return None
    items = [spec] if isinstance(spec, str) else spec
    if not isinstance(items, (list, tuple)) or not items or not all(isinstance(i, str) and i for i in items):
        raise ConfigError(f"SUITE must be a suite or problem name or a non-empty list of them, got {spec!r}")
    if len(set(items)) != len(items):
        raise ConfigError(f"SUITE names a problem twice: {list(items)}")
    return list(items)


def apply_study_preset(namespace: Mapping[str, Any], preset: dict) -> dict[str, Any]:
    """Take a study preset's ``"suite"`` and ``"variants"`` keys out of ``preset`` (in place)
    and return the namespace they describe: ``"suite"`` replaces ``SUITE`` (``None``: the study
    runs on ``CONFIG``'s own fitness), ``"variants"`` (a list of names of ``VARIANTS``) keeps
    only those variants, in that order (and their ``FACTORS``)."""
    namespace = dict(namespace)
    if "suite" in preset:
        namespace["SUITE"] = preset.pop("suite")
    if "variants" in preset:
        chosen = preset.pop("variants")
        variants = namespace.get("VARIANTS", {})
        if not isinstance(chosen, (list, tuple)) or not chosen or any(v not in variants for v in chosen):
            raise ConfigError(f"a preset's 'variants' must be a non-empty list of names of VARIANTS, got {chosen!r}")
        namespace["VARIANTS"] = {v: variants[v] for v in chosen}
        if namespace.get("FACTORS") is not None:
            namespace["FACTORS"] = {v: namespace["FACTORS"][v] for v in chosen if v in namespace["FACTORS"]}
    return namespace


def study_plan(namespace: Mapping[str, Any], seed_override: int | list[int] | None = None) -> tuple[list[str], list[int]]:
    """Variant names and seeds of an experiment namespace (validated); ``seed_override`` (one
    seed, ``--seed``, or a list, a preset's ``"seeds"``) replaces ``SEEDS``."""
    variants = namespace.get("VARIANTS", {BASELINE: {}})
    if not isinstance(variants, Mapping) or not variants:
        raise ConfigError("VARIANTS must be a non-empty dict of name -> overrides or function")
    for name, change in variants.items():
        if not isinstance(name, str) or not NAME.match(name):
            raise ConfigError(f"variant name {name!r} must be letters, digits, '_', '.', '+', '-'")
        if not (isinstance(change, Mapping) or callable(change)):
            raise ConfigError(f"variant {name!r} must be a dict of overrides or a function, got {change!r}")
    if seed_override is None:
        seeds = list(namespace.get("SEEDS", [base_config(namespace).seed]))
    elif isinstance(seed_override, (list, tuple)):
        seeds = list(seed_override)
    else:
        seeds = [seed_override]
    if not seeds or not all(isinstance(s, int) and not isinstance(s, bool) and s >= 0 for s in seeds):
        raise ConfigError(f"SEEDS must be a non-empty list of integers >= 0, got {seeds!r}")
    if len(set(seeds)) != len(seeds):
        raise ConfigError(f"SEEDS has duplicates: {seeds}")
    reference = namespace.get("REFERENCE")
    if reference is not None and reference not in variants:
        raise ConfigError(f"REFERENCE {reference!r} is not a variant; variants: {', '.join(variants)}")
    if namespace.get("FACTORS") is not None:
        check_factors(namespace["FACTORS"], list(variants))
    return list(variants), seeds


def check_factors(factors: Any, variants: list[str]) -> dict[str, dict[str, str]]:
    """Validate a ``FACTORS`` declaration (variant -> {factor: level}) against the study's
    variants: every variant named once, the same factors each, no two variants alike."""
    if not isinstance(factors, Mapping):
        raise ConfigError("FACTORS must be a dict of variant -> {factor: level}")
    missing = [v for v in variants if v not in factors]
    extra = [v for v in factors if v not in variants]
    if missing or extra:
        raise ConfigError(f"FACTORS must name every variant exactly: missing {missing}, unknown {extra}")
    names = None
    checked = {}
    for variant, levels in factors.items():
        if not isinstance(levels, Mapping) or not levels or not all(
                isinstance(k, str) and isinstance(v, str) for k, v in levels.items()):
            raise ConfigError(f"FACTORS[{variant!r}] must be a non-empty dict of factor name -> level name")
        if names is None:
            names = list(levels)
        elif set(levels) != set(names):
            raise ConfigError(f"FACTORS[{variant!r}] has factors {sorted(levels)}, others have {sorted(names)}")
        checked[variant] = {k: levels[k] for k in names}
    cells = [tuple(levels.values()) for levels in checked.values()]
    if len(set(cells)) != len(cells):
        raise ConfigError("FACTORS gives two variants the same levels")
    return checked


def study_record(namespace: Mapping[str, Any], variants: list[str]) -> dict[str, Any]:
    """What ``study.json`` records of the file's study names: ``reference`` (``REFERENCE`` or
    the first variant), ``reports`` (``REPORTS``) and, when declared, ``factors`` (``FACTORS``)."""
    record: dict[str, Any] = {"reference": namespace.get("REFERENCE", variants[0]),
                              "reports": list(namespace.get("REPORTS", []))}
    if namespace.get("FACTORS") is not None:
        record["factors"] = dict(namespace["FACTORS"])
    return record
