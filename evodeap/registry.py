"""The one name -> object table type of evodeap.

Every table that turns a name in an experiment into an object — crossovers, mutations,
selections, schedules, fitnesses, executors, layer kinds, families, tasks — is a
:class:`Registry`, so every unknown name gets the same error (listing the known names).
"""
from __future__ import annotations

from typing import Any, Callable, Generic, Iterator, Mapping, TypeVar

from evodeap.errors import UnknownNameError

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



class RegistryView(Mapping):
    """A live, read-only ``name -> value`` mapping over a :class:`Registry` (sorted names).

    ``value`` turns each registered object into the mapped value (default: the object).
    Unknown names raise ``KeyError``, as for a dict.
    """

    def __init__(self, registry: Registry, value: Callable[[Any], Any] = lambda obj: obj) -> None:
        self._registry = registry
        self._value = value

    def __getitem__(self, name: str) -> Any:
        if name not in self._registry:
            raise KeyError(name)
        return self._value(self._registry.get(name))

    def __iter__(self) -> Iterator[str]:
        return iter(self._registry.names())

    def __len__(self) -> int:
        return len(self._registry.names())
