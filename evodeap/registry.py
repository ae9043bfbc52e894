"""The one name -> object table type of evodeap.

Every table that turns a name in an experiment into an object — crossovers, mutations,
selections, schedules, fitnesses, executors, layer kinds, families, tasks — is a
:class:`Registry`, so every unknown name gets the same error (listing the known names).
"""
from __future__ import annotations

import functools
from typing import Any, Callable, Generic, Iterator, TypeVar

from evodeap.errors import UnknownNameError

T = TypeVar("T")


class Registry(Generic[T]):
    """A named collection of objects of one sort (``family`` names the sort in messages).

    >>> CROSSOVERS.get("one_point")  # doctest: +SKIP
    """

    def __init__(self, family: str) -> None:
        self.family = family
        self._items: dict[str, T] = {}

    def register(self, name: str) -> Callable[[T], T]:
        """Decorator: ``@CROSSOVERS.register("one_point")``. Names must be unique."""

        def add(obj: T) -> T:
            if name in self._items:
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
