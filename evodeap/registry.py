"""The one name -> object table type of evodeap.

Every table that turns a name in an experiment into an object — crossovers, mutations,
selections, schedules, fitnesses, executors, layer kinds, families, tasks — is a
:class:`Registry`, so every unknown name gets the same error (listing the known names).
"""
from __future__ import annotations

import functools
import inspect
from typing import Any, Callable, Generic, Iterator, Mapping, TypeVar

from evodeap.errors import ConfigError, UnknownNameError

T = TypeVar("T")


class Registry(Generic[T]):
    """A named collection of objects of one sort (``family`` names the sort in messages).

    >>> CROSSOVERS.get("one_point")  # doctest: +SKIP
    """

    def __init__(self, family: str) -> None:
        self.family = family
        self._items: dict[str, T] = {}

    def register(self, name: str, *, replace: bool = False) -> Callable[[T], T]:
        """Decorator: ``@CROSSOVERS.register("one_point")``. Names must be unique, unless
        ``replace`` (a plug-in module that is loaded again registers its objects again)."""

        def add(obj: T) -> T:
            if name in self._items and not replace:
                raise ValueError(f"{self.family} {name!r} is already registered")
            self._items[name] = obj
            return obj

        return add

    def get(self, name: str) -> T:
        """The operator called ``name``; an error listing every known name otherwise."""
        try:
            return self._items[name]
        except (KeyError, TypeError):
            raise UnknownNameError(
                f"unknown {self.family} {name!r}; known: {', '.join(sorted(self._items))}"
            ) from None

    def resolve(self, spec: str | T, params: Mapping[str, Any] | None = None, role: str | None = None) -> T:
        """The object ``spec`` stands for: a registered name, or a callable given directly
        (a researcher's own operator), checked to take every name in ``params``.

        Args:
            spec: a name of this registry, or a callable.
            params: the keyword arguments that will be bound to it (``*_params`` of a config).
            role: how messages call it (default: the registry's family, e.g. ``crossover``).

        Raises:
            UnknownNameError: ``spec`` is a string this registry does not hold.
            ConfigError: ``spec`` is neither a name nor a callable, or it takes no parameter
                called like one of ``params``.
        """
        role = role or self.family
        obj = self.get(spec) if isinstance(spec, str) else spec
        if not callable(obj):
            raise ConfigError(f"{role} must be a registered name or a callable, got {spec!r}")
        unknown, known = parameter_mismatch(obj, params or {}, hidden=("space", "rng"), keyword_only=True)
        if unknown:
            raise ConfigError(f"{role} {spec!r} has no parameter(s) {unknown}; it takes {known}")
        return obj

    def name_of(self, obj: T) -> str | None:
        """The registered name of ``obj`` (``None`` if it is not registered)."""
        return next((n for n, o in self._items.items() if o is obj), None)

    def names(self) -> list[str]:
        return sorted(self._items)

    def __contains__(self, name: object) -> bool:
        return name in self._items

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())

    def items(self) -> list[tuple[str, T]]:
        return sorted(self._items.items())



def parameter_mismatch(fn: Callable, params: Mapping[str, Any], hidden: tuple[str, ...] = (),
                       keyword_only: bool = False) -> tuple[list[str], list[str]]:
    """``(unknown, known)``: the names in ``params`` that ``fn`` does not take, and the names it
    takes (keyword-only ones with ``keyword_only``; ``hidden`` ones left out). A callable
    whose signature cannot be read, or that takes ``**kwargs``, takes every name."""
    try:
        signature = inspect.signature(fn)
    except (TypeError, ValueError):
        return [], []
    parameters = signature.parameters
    if any(p.kind is p.VAR_KEYWORD for p in parameters.values()):
        return [], []
    kinds = (inspect.Parameter.KEYWORD_ONLY,) if keyword_only else (
        inspect.Parameter.KEYWORD_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    known = [n for n, p in parameters.items() if p.kind in kinds and n not in hidden]
    return [k for k in params if k not in parameters], known


def display_name(spec: Any) -> str:
    """How a message names an operator, schedule or fitness given by name or as an object.

    A registered name is quoted (``'one_point'``); a callable is named by its qualified
    name ``module.qualname`` (a ``functools.partial`` by its function, an instance of a
    class by its class).
    """
    if isinstance(spec, str):
        return repr(spec)
    target = spec.func if isinstance(spec, functools.partial) else spec
    if getattr(target, "__qualname__", None) is None:
        target = type(target)
    return f"{getattr(target, '__module__', '?')}.{target.__qualname__}"


class RegistryView(Mapping):
    """A live, read-only ``name -> value`` mapping over a :class:`Registry` (sorted names).

    ``value`` turns each registered object into the mapped value (default: the object).
    Unknown names raise ``KeyError``, as for a dict. Reading a view is a table read, not a
    resolution of a user's name (:meth:`Registry.get`, :meth:`Registry.resolve`): code that
    dispatches on data it already checked (a genome's layer kinds) reads views.
    """

    def __init__(self, registry: Registry, value: Callable[[Any], Any] = lambda obj: obj) -> None:
        self._registry = registry
        self._value = value

    def __getitem__(self, name: str) -> Any:
        return self._value(self._registry._items[name])

    def __iter__(self) -> Iterator[str]:
        return iter(self._registry.names())

    def __len__(self) -> int:
        return len(self._registry.names())
