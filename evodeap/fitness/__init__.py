"""Fitness functions that train real models, their metrics, and a name registry.

* :class:`KerasFitness` — build the genome's Keras model, train it, and score it with
  ``F = α·A − β·T + γ·R`` (or the vector ``(A, −T, R)``); see docs/fitness.md;
* :mod:`evodeap.fitness.metrics` — accuracy, precision, recall, F1 and ROC AUC in NumPy;
* :func:`make_fitness` — build a registered fitness by name (``"keras"``), so an
  experiment can say ``fitness="keras"`` with ``fitness_params``.

Importing this package does not import Keras or TensorFlow; the Keras fitness is loaded
on first use.
"""
from __future__ import annotations

import importlib
from typing import Any, Callable

from evodeap.errors import ConfigError, UnknownNameError

# name -> "module:attribute" (imported lazily) or a factory callable
_REGISTRY: dict[str, str | Callable[..., Any]] = {
    "keras": "evodeap.fitness.keras_fitness:KerasFitness",
}


def register_fitness(name: str, factory: str | Callable[..., Any]) -> None:
    """Register a fitness factory (a callable or a ``"module:attribute"`` string) under ``name``."""
    _REGISTRY[name] = factory


def fitness_names() -> tuple[str, ...]:
    """Names :func:`make_fitness` knows."""
    return tuple(sorted(_REGISTRY))


def _resolve(name: str) -> Callable[..., Any]:
    try:
        factory = _REGISTRY[name]
    except KeyError:
        raise UnknownNameError(
            f"unknown fitness {name!r}; known fitnesses: {', '.join(fitness_names())}"
        ) from None
    if isinstance(factory, str):
        module, attribute = factory.split(":")
        factory = getattr(importlib.import_module(module), attribute)
    return factory


def make_fitness(name: str, **params: Any) -> Any:
    """Build the fitness registered as ``name`` with ``params``.

    ``make_fitness("keras", data=DataSpec(...), cost_weight=0.05)`` is
    ``KerasFitness(DataSpec(...), cost_weight=0.05)``.

    Raises:
        UnknownNameError: ``name`` is not registered.
        ConfigError: the parameters do not fit the fitness (unknown or missing ones).
    """
    factory = _resolve(name)
    try:
        return factory(**params)
    except TypeError as exc:
        raise ConfigError(f"bad parameters for fitness {name!r}: {exc}") from None


def __getattr__(name: str) -> Any:  # lazy: keep `import evodeap.fitness` free of TensorFlow
    if name in ("KerasFitness", "DEFAULT_PERTURBATION", "DEFAULT_COST_REFERENCES", "COST_MEASURES"):
        return getattr(importlib.import_module("evodeap.fitness.keras_fitness"), name)
    raise AttributeError(f"module 'evodeap.fitness' has no attribute {name!r}")


__all__ = [
    "COST_MEASURES",
    "DEFAULT_COST_REFERENCES",
    "DEFAULT_PERTURBATION",
    "KerasFitness",
    "fitness_names",
    "make_fitness",
    "register_fitness",
]
