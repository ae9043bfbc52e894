"""``--set key=value`` overrides: parsing the command line's values and applying them to a config.

``a.b`` reaches into dict settings and the search space (``space.learning_rate.low=1e-3``,
``space.with_kinds=["frame_pool"]``). Each value is checked against the type of the setting
it replaces; the config itself is checked afterwards by ``validate()``.
"""
from __future__ import annotations

import dataclasses
import json
from typing import Any, Mapping

from evodeap.config.fields import FIELDS
from evodeap.config.rates import DefaultSetting, given_keys, is_given, takes
from evodeap.errors import ConfigError, EvodeapError
from evodeap.operators.registry import CROSSOVERS, MUTATIONS, SELECTIONS
from evodeap.registry import display_name, parameter_mismatch
from evodeap.genome.space import SearchSpace


def parse_value(text: str) -> Any:
    """``--set`` value: JSON if it parses (numbers, true/false/null, lists, objects), else a string."""
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def parse_assignments(items: list[str]) -> dict[str, Any]:
    """``["a=1", "b.c=x"]`` -> ``{"a": 1, "b.c": "x"}``; a clear error for malformed items."""
    result = {}
    for item in items:
        if "=" not in item or not item.split("=", 1)[0].strip():
            raise ConfigError(f"--set expects key=value, got {item!r}")
        key, text = item.split("=", 1)
        result[key.strip()] = parse_value(text.strip())
    return result


def apply_override(config: Any, key: str, value: Any) -> Any:
    """``config`` (a dataclass of settings) with ``key = value`` applied; one clear error otherwise."""
    names = {f.name for f in dataclasses.fields(config)}
    head, _, rest = key.partition(".")
    if head not in names:
        raise ConfigError(f"unknown setting {head!r}; settings: {', '.join(sorted(names))}")
    current = getattr(config, head)
    if not rest:
        return dataclasses.replace(config, **{head: _coerce(head, current, value)})
    if head == "space":
        return dataclasses.replace(config, space=_override_space(current, rest, value))
    if isinstance(current, Mapping):
        updated = _set_nested(dict(current), rest, value)
        if isinstance(current, DefaultSetting):
            updated = current.updated(updated, rest.partition(".")[0])
        return dataclasses.replace(config, **{head: updated})
    raise ConfigError(f"cannot set {key!r}: {head!r} is not a mapping")


def _coerce(name: str, current: Any, value: Any) -> Any:
    """Check a ``--set`` value against the setting's field (:data:`evodeap.config.fields.FIELDS`:
    type, range, bound); a whole number given for a real setting becomes a float."""
    spec = FIELDS.get(name)
    if spec is not None and spec.kind not in ("any", "mapping"):
        spec.check(name, value)
    if spec is not None and spec.kind == "real" and isinstance(value, int):
        value = float(value)
    return value


def _set_nested(mapping: dict, path: str, value: Any) -> dict:
    head, _, rest = path.partition(".")
    if rest:
        inner = mapping.get(head, {})
        if not isinstance(inner, Mapping):
            raise ConfigError(f"cannot set {path!r}: {head!r} is not a mapping")
        mapping[head] = _set_nested(dict(inner), rest, value)
    else:
        mapping[head] = value
    return mapping


def _override_space(space: SearchSpace, path: str, value: Any) -> SearchSpace:
    """``space.family``, ``space.min_layers``, ``space.learning_rate.low``, ``space.conv.filters.high`` ...;
    ``space.with_kinds=["frame_pool", "time_pool"]`` (or one name) searches optional kinds of
    the family too, with their default domains (:meth:`SearchSpace.with_kinds`)."""
    if path == "family":
        return space.with_family(value)
    if path == "with_kinds":
        names = [value] if isinstance(value, str) else value
        if not isinstance(names, (list, tuple)) or not all(isinstance(n, str) for n in names):
            raise ConfigError(f"space.with_kinds expects a layer kind name or a list of names, got {value!r}")
        return space.with_kinds(*names)
    if path in ("min_layers", "max_layers"):
        return dataclasses.replace(space, **{path: value})
    *gene, attr = path.split(".")
    gene_path = ".".join(gene)
    try:
        domain = space.domain(gene_path)
    except KeyError:
        kind = gene_path.partition(".")[0]
        if kind in space.family_rules.optional and kind not in space.kinds:
            raise ConfigError(f"the space does not search the optional kind {kind!r} yet: add it first with "
                              f"--set space.with_kinds={kind} (then space.{path} applies)") from None
        raise ConfigError(f"unknown search-space gene {gene_path!r}; genes: {', '.join(space.gene_paths())}") from None
    if attr not in {f.name for f in dataclasses.fields(domain)}:
        raise ConfigError(f"{gene_path} has no attribute {attr!r}")
    if attr == "options":
        value = tuple(value)
    return space.with_domain(gene_path, dataclasses.replace(domain, **{attr: value}))


#: operator settings and the registries their names are looked up in
OPERATOR_ROLES = {"crossover": CROSSOVERS, "mutation": MUTATIONS, "selection": SELECTIONS, "survival": SELECTIONS}


def drop_old_parameters(before: Any, after: Any, assignments: Mapping[str, Any]) -> Any:
    """``after`` (``before`` with ``assignments`` applied) without the parameters of operators
    the assignments replaced: when ``selection`` (``crossover``, ``mutation``, ``survival``)
    changes, each ``selection_params`` key the new operator does not take is dropped unless
    the assignments set it themselves — and so are ``selection_pressure`` (β(t)) for a
    selection without ``beta`` and ``mutation_rate`` (μ(t)) for a mutation without ``indpb``.
    A default that was never given stays (the rates leave it out: :mod:`evodeap.config.rates`),
    so that a config's record does not change. What the assignments set themselves is
    kept, and :meth:`~evodeap.config.settings.ExperimentConfig.validate` refuses it with the fix."""
    changes: dict[str, Any] = {}
    for role, registry in OPERATOR_ROLES.items():
        spec = getattr(after, role)
        if spec is getattr(before, role) or spec == getattr(before, role):
            continue
        try:
            new = registry.resolve(spec, None, role) if spec is not None else None
        except EvodeapError:
            continue  # an unknown name: validate() says so
        prefix = f"{role}_params"
        given = set(getattr(after, prefix)) if prefix in assignments else {
            key[len(prefix) + 1:].partition(".")[0] for key in assignments if key.startswith(prefix + ".")}
        changes[prefix] = _without_old(getattr(after, prefix), new, given)
        if role == "selection" and "selection_pressure" not in assignments and not takes(new, "beta"):
            changes["selection_pressure"] = None
        if role == "mutation" and "mutation_rate" not in assignments and not takes(new, "indpb") \
                and is_given(after.mutation_rate):
            changes["mutation_rate"] = None
    return dataclasses.replace(after, **changes) if changes else after


def _without_old(params: Mapping[str, Any], operator: Any, given: set[str]) -> Mapping[str, Any]:
    """``params`` without the keys ``operator`` does not take that were given before (not now)."""
    old = given_keys(params) - given
    drop = {k for k in old if operator is None or parameter_mismatch(operator, {k: None}, keyword_only=True)[0]}
    if not drop:
        return params
    kept = {k: v for k, v in params.items() if k not in drop}
    if isinstance(params, DefaultSetting):
        defaults = {k: v for k, v in params.defaults.items() if k not in drop}
        return DefaultSetting(kept, params.given - drop, defaults)
    return kept


def resolve_operator(role: str, registry: Any, spec: Any, params: Mapping[str, Any], given: Mapping[str, Any]) -> Any:
    """The operator ``spec`` of ``role``, refused — with the exact ``--set`` that fixes it —
    when ``params`` hold names it does not take (``given``: the whole ``*_params`` setting)."""
    operator = registry.resolve(spec, None, role)
    unknown, known = parameter_mismatch(operator, params, hidden=("space", "rng"), keyword_only=True)
    if unknown:
        kept = {k: v for k, v in given.items() if k not in unknown}
        raise ConfigError(f"{role} {display_name(spec)} has no parameter(s) {unknown}; it takes {known or 'none'}; "
                          f"fix: --set '{role}_params={json.dumps(kept)}'")
    return operator


def imply_processes(overrides: dict[str, Any], executor: str) -> None:
    """``--workers N`` (N > 1) without ``--executor`` on a serial experiment runs on processes:
    ``executor=process`` is added to the run's overrides, so ``config.json`` says what ran."""
    workers = overrides.get("workers", 1)
    if "executor" not in overrides and executor == "serial" and isinstance(workers, int) and workers > 1:
        overrides["executor"] = "process"
