"""Name -> operator registries, so experiments can name operators as strings."""
from __future__ import annotations

from typing import Callable

from evodeap.registry import Registry

CROSSOVERS: Registry[Callable] = Registry("crossover")
MUTATIONS: Registry[Callable] = Registry("mutation")
SELECTIONS: Registry[Callable] = Registry("selection")
SCHEDULES: Registry[type] = Registry("schedule")

__all__ = ["CROSSOVERS", "MUTATIONS", "SELECTIONS", "SCHEDULES", "Registry"]
