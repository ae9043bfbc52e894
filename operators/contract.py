"""The operator contract, checked after every operator call the engine makes.

Operators follow DEAP's conventions (see ``docs/core.md``, "Writing your own operator"):
crossover ``(ind1, ind2) -> (ind1, ind2)`` and mutation ``(ind) -> (ind,)``, both changing
their arguments in place; selection and survival ``(individuals, k) -> list`` of ``k`` of
the individuals given. :class:`OperatorContract` wraps each toolbox operator and, after
every call:

1. an exception becomes an :class:`~evodeap.errors.OperatorError` naming the operator
   (role and registered or qualified name), the exception and where it was raised;
2. a crossover must return a tuple of two genomes, a mutation a tuple of one; anything
   else (the bare individual, a list, ``None``) is an ``OperatorError``;
3. a returned genome that is *not* the argument — a new individual — is **adopted**: its
   content is copied into the argument, which is what ``deap.algorithms.varAnd`` does
   (``ind, = toolbox.mutate(ind)``), so DEAP-style operators that build a new individual
   work unchanged;
4. every genome it returns must be a genome (layer genes, a hyperparameter dict) and lie
   inside the search space in force. Outside it, the ``invalid_offspring`` policy decides:
   ``"repair"`` (default) repairs it with :func:`evodeap.operators.repair.repair`, counts
   it (the logbook's ``repaired``) and warns once per operator; ``"error"`` raises an
   ``OperatorError`` listing what lies outside;
5. a selection must return a list of ``k`` individuals, each one of those it was given
   (references, as DEAP's selections return), or it is an ``OperatorError``.

A check draws no random numbers unless it repairs, so runs whose operators keep the
contract are unchanged by it.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

import numpy as np
from deap import base

from evodeap.errors import ConfigError, OperatorError, raised_at
from evodeap.genome.genes import is_layer_gene
from evodeap.genome.genome import Genome
from evodeap.operators.repair import repair
from evodeap.registry import display_name
from evodeap.genome.space import SearchSpace

INVALID_OFFSPRING = ("repair", "error")

#: toolbox alias -> (role in messages, number of individuals a variation takes; None: a selection)
ROLES = {"mate": ("crossover", 2), "mutate": ("mutation", 1), "select": ("selection", None),
         "survive": ("survival", None)}


def check_policy(policy: Any) -> str:
    """``policy`` if it is one of :data:`INVALID_OFFSPRING`, else a :class:`ConfigError`."""
    if policy not in INVALID_OFFSPRING:
        raise ConfigError(f"invalid_offspring must be one of {', '.join(map(repr, INVALID_OFFSPRING))}, got {policy!r}")
    return policy


def _describe(value: Any) -> str:
    if isinstance(value, Genome):
        return f"a genome ({type(value).__name__})"
    if isinstance(value, (tuple, list)):
        return f"a {type(value).__name__} of {len(value)}"
    return f"{type(value).__name__} {value!r}"[:80]


def structure_problems(genome: Any) -> list[str]:
    """Why ``genome`` is not a genome at all (not a space violation, which repair fixes)."""
    if not isinstance(genome, Genome):
        return [f"it is {_describe(genome)}, not a genome"]
    problems = [f"layer {i} is {_describe(g)}, not a layer gene" for i, g in enumerate(genome)
                if not is_layer_gene(g)]
    if not isinstance(genome.hyperparameters, dict):
        problems.append(f"its hyperparameters are {_describe(genome.hyperparameters)}, not a dict")
    return problems


def adopt(target: Genome, source: Genome) -> None:
    """Copy ``source``'s content (layers, hyperparameters, family) into ``target``."""
    layers, hyper, family = list(source), dict(source.hyperparameters), source.family
    target[:] = layers
    target.hyperparameters = hyper
    target.family = family


@dataclass
class OperatorContract:
    """Checks one toolbox's operators (see the module docstring).

    Attributes:
        space: the search space the outputs must lie in (the refined one, after refinement).
        rng: the variation stream, used only to repair.
        policy: ``"repair"`` or ``"error"`` for an output outside ``space``.
        repaired: genomes repaired since :meth:`take_repaired` was last called.
    """

    space: SearchSpace
    rng: np.random.Generator
    policy: str = "repair"
    repaired: int = 0
    _warned: set = field(default_factory=set)

    def take_repaired(self) -> int:
        """The number of genomes repaired since the last call (and reset it to 0)."""
        count, self.repaired = self.repaired, 0
        return count

    # -- variation --------------------------------------------------------------------
    def variation(self, role: str, name: str, operator: Callable, arity: int) -> Callable:
        """``operator`` (a crossover for ``arity`` 2, a mutation for 1) with its contract checked."""
        expected = ("a tuple (ind1, ind2) of the two individuals it changed in place" if arity == 2 else
                    "a 1-tuple (ind,) of the individual it changed in place (write `return ind,`)")

        def checked(*individuals: Genome) -> tuple:
            result = _call(role, name, operator, individuals)
            if not isinstance(result, tuple) or len(result) != arity:
                got = "the individual itself" if any(result is ind for ind in individuals) else _describe(result)
                raise OperatorError(f"{role} {name} must return {expected}; it returned {got}")
            for position, returned in enumerate(result):
                problems = structure_problems(returned)
                if problems:
                    raise OperatorError(f"{role} {name} returned something that is not a genome at position "
                                        f"{position}: {'; '.join(problems[:3])}")
            adopted = [(target, returned) for target, returned in zip(individuals, result) if returned is not target]
            contents = [(target, _snapshot(returned)) for target, returned in adopted]  # before any copy
            for target, snapshot in contents:
                adopt(target, snapshot)
            for individual in individuals:
                self.inside(individual, role, name)
            return individuals

        return checked

    def inside(self, genome: Genome, role: str, name: str) -> None:
        """Apply the policy to ``genome`` if it lies outside the space."""
        problems = self.space.violations(genome)
        if not problems:
            return
        if self.policy == "error":
            raise OperatorError(f"{role} {name} returned a genome outside the search space: "
                                f"{'; '.join(problems[:3])} (invalid_offspring='error'; 'repair' repairs such genomes)")
        self._repair(genome)
        if (role, name) not in self._warned:
            self._warned.add((role, name))
            warnings.warn(f"{role} {name} returned a genome outside the search space ({problems[0]}); it was "
                          f"repaired, and so is every such genome (counted in the logbook's 'repaired'; "
                          f"invalid_offspring='error' stops the run instead)", RuntimeWarning, stacklevel=2)

    def confine(self, genome: Genome) -> bool:
        """Repair ``genome`` into the space if it lies outside (whatever the policy); True if it did.

        For copies no operator touched — a parent from before a refinement — see
        :meth:`evodeap.engine.loop._Evolution.vary`.
        """
        if not self.space.violations(genome):
            return False
        self._repair(genome)
        return True

    def _repair(self, genome: Genome) -> None:
        repair(genome, self.space, self.rng)
        self.repaired += 1

    def wrap(self, toolbox: base.Toolbox, alias: str, spec: Any) -> None:
        """Register ``toolbox``'s operator ``alias`` (``mate``, ``mutate``, ``select`` or
        ``survive``) again, checked, and named after ``spec`` (its name or object)."""
        role, arity = ROLES[alias]
        operator, name = getattr(toolbox, alias), display_name(spec)
        checked = self.variation(role, name, operator, arity) if arity else self.selection(role, name, operator)
        toolbox.register(alias, checked)

    # -- selection --------------------------------------------------------------------
    def selection(self, role: str, name: str, operator: Callable) -> Callable:
        """``operator(individuals, k, ...)`` with its contract checked."""

        def checked(individuals: Sequence, k: int, *args: Any, **kwargs: Any) -> list:
            chosen = _call(role, name, operator, (individuals, k, *args), kwargs)
            if not isinstance(chosen, (list, tuple)) or isinstance(chosen, Genome) or len(chosen) != k:
                raise OperatorError(f"{role} {name} must return a list of k={k} of the individuals it was "
                                    f"given; it returned {_describe(chosen)}")
            given = {id(ind) for ind in individuals}
            for position, ind in enumerate(chosen):
                if id(ind) not in given:
                    raise OperatorError(f"{role} {name} returned, at position {position}, {_describe(ind)} that is "
                                        f"not one of the individuals it was given (a selection returns references, "
                                        f"not copies or new individuals)")
            return list(chosen)

        return checked


def _snapshot(genome: Genome) -> Genome:
    return Genome(list(genome), dict(genome.hyperparameters), family=genome.family)


def _call(role: str, name: str, operator: Callable, args: tuple, kwargs: dict | None = None) -> Any:
    try:
        return operator(*args, **(kwargs or {}))
    except Exception as exc:
        raise OperatorError(f"{role} {name} raised {type(exc).__name__}: {exc}{raised_at(exc)}") from exc
