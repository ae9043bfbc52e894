"""``--set key=value`` overrides: parsing the command line's values and applying them to a config.

``a.b`` reaches into dict settings and the search space (``space.learning_rate.low=1e-3``,
``space.with_kinds=["frame_pool"]``). Each value is checked against the type of the setting
it replaces; the config itself is checked afterwards by ``validate()``.
"""
from __future__ import annotations

import dataclasses
import json
from typing import Any, Mapping

from evodeap.config.rates import DefaultSetting
from evodeap.errors import ConfigError
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
    """Check a ``--set`` value against the type of the setting it replaces."""
    if isinstance(current, bool):
        if not isinstance(value, bool):
            raise ConfigError(f"{name} expects true or false, got {value!r}")
    elif isinstance(current, int):
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"{name} expects an integer, got {value!r}")
    elif isinstance(current, float):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ConfigError(f"{name} expects a number, got {value!r}")
        value = float(value)
    elif isinstance(current, str) and not isinstance(value, (str, dict)) and value is not None:
        raise ConfigError(f"{name} expects a name, got {value!r}")
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
