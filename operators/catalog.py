"""The operator catalog: every registered operator and schedule with its parameters and their
defaults, read from the registries (so it cannot drift from the code).

``evodeap operators`` prints it; ``evodeap operators --markdown`` prints the table of the
built-in ones that docs/core.md holds between its ``operators:begin``/``operators:end``
markers (a test checks the page against this module). A parameter is what an experiment
sets in ``<role>_params`` (``selection_params={"tournsize": 5}``); ``indpb`` of a mutation and
``beta`` of a selection are bound every generation from μ(t) (``mutation_rate``) and β(t)
(``selection_pressure``) — see :mod:`evodeap.config.rates`.
"""
from __future__ import annotations

import inspect
from dataclasses import dataclass
from typing import Any, Callable

from evodeap.operators.registry import CROSSOVERS, MUTATIONS, SCHEDULES, SELECTIONS

#: (role as experiments name it, registry, where its parameters go)
FAMILIES = (("crossover", CROSSOVERS, "crossover_params"), ("mutation", MUTATIONS, "mutation_params"),
            ("selection", SELECTIONS, "selection_params / survival_params"),
            ("schedule", SCHEDULES, "mutation_rate / selection_pressure {\"name\": ..., ...}"))
#: parameters bound by the engine, not by the experiment's ``*_params``
HIDDEN = ("rng", "space")
#: parameters bound every generation from a rate (:mod:`evodeap.config.rates`), by family
RATES = {("mutation", "indpb"): "μ(t), from mutation_rate", ("selection", "beta"): "β(t), from selection_pressure"}


@dataclass(frozen=True)
class Entry:
    """One operator: its family, name, one-line summary and ``(parameter, default)`` pairs
    (the default ``None`` with ``required`` for a parameter without one)."""

    family: str
    name: str
    summary: str
    parameters: tuple[tuple[str, Any, bool], ...]
    builtin: bool


def _parameters(fn: Callable, family: str) -> tuple[tuple[str, Any, bool], ...]:
    try:
        signature = inspect.signature(fn)
    except (TypeError, ValueError):
        return ()
    kinds = (inspect.Parameter.KEYWORD_ONLY,) if family != "schedule" else (
        inspect.Parameter.KEYWORD_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    return tuple((p.name, None if p.default is p.empty else p.default, p.default is p.empty)
                 for p in signature.parameters.values() if p.kind in kinds and p.name not in HIDDEN)


def entries(builtin_only: bool = False) -> list[Entry]:
    """Every registered operator and schedule, family by family, names sorted."""
    found = []
    for family, registry, _ in FAMILIES:
        for name, fn in registry.items():
            builtin = getattr(fn, "__module__", "").startswith("evodeap.operators.")
            if builtin or not builtin_only:
                summary = (inspect.getdoc(fn) or "").split("\n\n")[0].replace("\n", " ")
                found.append(Entry(family, name, summary, _parameters(fn, family), builtin))
    return found


def describe_parameter(family: str, name: str, default: Any, required: bool) -> str:
    """``tournsize=3``, ``initial (required)``, ``indpb=0.05 [μ(t), from mutation_rate]``."""
    text = f"{name} (required)" if required else f"{name}={default!r}"
    rate = RATES.get((family, name))
    return f"{text} [{rate}]" if rate else text


def markdown() -> str:
    """The table of built-in operators docs/core.md holds (generated, not typed in)."""
    rows = ["| family | name | parameters (default) | what it does |", "|---|---|---|---|"]
    for entry in entries(builtin_only=True):
        params = ", ".join(f"`{describe_parameter(entry.family, *p)}`" for p in entry.parameters) or "—"
        summary = entry.summary.replace("|", "\\|")
        rows.append(f"| {entry.family} | `{entry.name}` | {params} | {summary} |")
    return "\n".join(rows) + "\n"


def text() -> str:
    """The listing ``evodeap operators`` prints: each family, where its parameters go, and
    each operator with its parameters and defaults."""
    lines = []
    listed = entries()
    for family, _, where in FAMILIES:
        lines.append(f"{family} ({where})")
        for entry in (e for e in listed if e.family == family):
            params = ", ".join(describe_parameter(entry.family, *p) for p in entry.parameters) or "no parameters"
            mark = "" if entry.builtin else "  [registered by your code]"
            lines.append(f"  {entry.name:22s} {params}{mark}")
        lines.append("")
    return "\n".join(lines)


__all__ = ["Entry", "FAMILIES", "describe_parameter", "entries", "markdown", "text"]
