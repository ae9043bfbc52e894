"""Fitness functions, their metrics, and the fitness registry.

* :data:`FITNESSES` — the name -> fitness factory table (an :class:`evodeap.registry.Registry`):
  ``"landscape"`` (:class:`evodeap.fitness.landscape.LandscapeFitness`, the cheap stand-in) and
  ``"keras"`` (:class:`KerasFitness`), and the standard offline benchmarks ``"nasbench201"``,
  ``"hpobench_nn"``, ``"fcnet"``, ``"lcbench"`` (:mod:`evodeap.fitness.benchmarks`, the
  sub-package; docs/benchmarks.md); register your own with
  ``FITNESSES.register("mine")(MyFitness)`` and name it in an experiment
  (``fitness="mine"``, ``fitness_params={...}``);
* :mod:`evodeap.fitness.keras_fitness` — :class:`KerasFitness`: build the genome's Keras
  model, train it, and score it with ``F = α·A − β·T + γ·R`` (or the vector ``(A, −T, R)``);
  see docs/fitness.md. It composes:

  * :mod:`evodeap.fitness.keras_settings` — its parameters and their validation;
  * :mod:`evodeap.fitness.training` — input pipeline, callbacks, epochs (budgets and
    continuation), ``fit``, training costs;
  * :mod:`evodeap.fitness.scoring` — metrics on the validation (clean, perturbed) and test
    splits, the terms ``A``, ``T``, ``R``;
  * :mod:`evodeap.fitness.inheritance` — starting weights inherited from a parent or a lower rung;
  * :mod:`evodeap.fitness.runtime` — precision policy, out-of-memory detection, freeing models;
  * :mod:`evodeap.fitness.phases` — the seconds of each phase of an evaluation;
* :mod:`evodeap.fitness.landscape` — the cheap deterministic stand-in fitness;
* :mod:`evodeap.fitness.metrics` — accuracy, precision, recall, F1 and ROC AUC in NumPy;
* :mod:`evodeap.fitness.chance` — a metric's chance level and noise on a split, and what they say;
* :func:`make_fitness` — build a registered fitness by name with its parameters.

A fitness object says what its values mean (see :class:`evodeap.evaluation.api.Objectives`):
``n_objectives``, DEAP ``weights`` and ``failure_fitness``, the value of a failed
evaluation, strictly worse than every value it gives a trained model. A fitness *declares*
that value; a failed evaluation reports only its status and message, and the evaluation
layer writes the value (:meth:`evodeap.evaluation.api.Objectives.with_failure_value`).

Importing this package does not import Keras or TensorFlow; the Keras fitness is loaded
on first use.
"""
from __future__ import annotations

import importlib
from typing import Any, Callable

from evodeap.errors import ConfigError, EvodeapError
from evodeap.registry import Registry

#: name -> factory ``(**fitness_params) -> fitness``
FITNESSES: Registry[Callable[..., Any]] = Registry("fitness")


@FITNESSES.register("landscape")
def landscape_fitness(**params: Any) -> Any:
    """:class:`evodeap.fitness.landscape.LandscapeFitness` (``noise``, ``delay``, ``n_objectives``)."""
    from evodeap.fitness.landscape import LandscapeFitness

    return LandscapeFitness(**params)


@FITNESSES.register("keras")
def keras_fitness(**params: Any) -> Any:
    """:class:`KerasFitness` (imports Keras when called, with the backend's start-up lines on
    stderr held back: :func:`evodeap.execution.quiet.quiet_stderr`)."""
    from evodeap.execution.quiet import quiet_stderr

    with quiet_stderr():
        from evodeap.fitness.keras_fitness import KerasFitness

    return KerasFitness(**params)


def _benchmark(module: str, name: str, **params: Any) -> Any:
    return getattr(importlib.import_module(f"evodeap.fitness.benchmarks.{module}"), name)(**params)


@FITNESSES.register("nasbench201")
def nasbench201_fitness(**params: Any) -> Any:
    """NAS-Bench-201 (``dataset``: ``cifar10``, ``cifar100``, ``imagenet``); see
    :mod:`evodeap.fitness.benchmarks.nasbench201`."""
    return _benchmark("nasbench201", "NASBench201Fitness", **params)


@FITNESSES.register("hpobench_nn")
def hpobench_nn_fitness(**params: Any) -> Any:
    """HPOBench-NN (``dataset``: one of its 8 OpenML sets); see :mod:`evodeap.fitness.benchmarks.hpobench`."""
    return _benchmark("hpobench", "HPOBenchFitness", **params)


@FITNESSES.register("fcnet")
def fcnet_fitness(**params: Any) -> Any:
    """HPOLib FC-Net (``dataset``: one of its 4 UCI sets); see :mod:`evodeap.fitness.benchmarks.fcnet`."""
    return _benchmark("fcnet", "FCNetFitness", **params)


@FITNESSES.register("lcbench")
def lcbench_fitness(**params: Any) -> Any:
    """LCBench via YAHPO Gym's surrogate (``task``: an OpenML task id, ``epochs``: 1–52); see
    :mod:`evodeap.fitness.benchmarks.lcbench`."""
    return _benchmark("lcbench", "LCBenchFitness", **params)


def make_fitness(name: str, **params: Any) -> Any:
    """Build the fitness registered as ``name`` with ``params``.

    ``make_fitness("keras", data=DataSpec(...), cost_weight=0.05)`` is
    ``KerasFitness(DataSpec(...), cost_weight=0.05)``.

    Raises:
        UnknownNameError: ``name`` is not registered.
        ConfigError: the parameters do not fit the fitness (unknown or missing ones, or of the
            wrong type).
    """
    factory = FITNESSES.get(name)
    try:
        return factory(**params)
    except EvodeapError:
        raise
    except (TypeError, ValueError) as exc:  # e.g. float("yes") for a weight
        raise ConfigError(f"bad parameters for fitness {name!r}: {exc}") from None


def __getattr__(name: str) -> Any:  # lazy: keep `import evodeap.fitness` free of TensorFlow
    if name == "KerasFitness":
        return getattr(importlib.import_module("evodeap.fitness.keras_fitness"), name)
    if name in ("DEFAULT_PERTURBATION", "DEFAULT_COST_REFERENCES", "COST_MEASURES"):
        return getattr(importlib.import_module("evodeap.fitness.keras_settings"), name)
    raise AttributeError(f"module 'evodeap.fitness' has no attribute {name!r}")


__all__ = [
    "COST_MEASURES",
    "DEFAULT_COST_REFERENCES",
    "DEFAULT_PERTURBATION",
    "FITNESSES",
    "KerasFitness",
    "make_fitness",
]
