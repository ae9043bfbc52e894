"""Plain, bounded Python values from what user code returns, so results can be stored as JSON.

``json.dumps`` refuses ``numpy.float32`` (and ``numpy.int64``, ``numpy.bool_``, arrays): a
metric computed with NumPy would make its evaluation impossible to store. These helpers
convert such values and raise ``TypeError`` naming *where* a value that cannot be a number
was found.

What a fitness puts in ``extra`` is made plain JSON data by :func:`plain_json`, with bounds,
so no value a fitness returns can break the run that stores it:

* NumPy scalars and arrays become numbers and lists, tuples and sets lists (a set sorted, so
  its order does not depend on the process), mapping keys strings;
* an integer outside the signed 64-bit range ``[−2⁶³, 2⁶³)`` becomes the nearest float, or
  the string ``"<integer of N bits>"`` beyond the float range; non-finite floats stay
  floats (JSON's ``NaN``/``Infinity``, which Python reads back);
* a container that holds itself (a circular reference) is cut there: the inner occurrence
  becomes the string ``"<circular reference>"``; a container nested deeper than
  :data:`MAX_DEPTH` levels becomes ``"<cut: nested deeper than 32 levels>"``;
* any other object becomes its ``str()``, at most :data:`MAX_OBJECT_TEXT` characters (as
  the database always stored such values);
* more than :data:`MAX_VALUES` values, or more than :data:`MAX_TEXT` characters of
  strings in all, is a ``ValueError`` (the evaluation is then recorded as failed, saying so).
"""
from __future__ import annotations

import math
import numbers
from typing import Any, Mapping

import numpy as np

#: the largest nesting of containers kept in ``extra`` (deeper ones are cut)
MAX_DEPTH = 32
#: the most values (containers, numbers, strings …) ``extra`` may hold
MAX_VALUES = 100_000
#: the most characters all strings of ``extra`` may hold together
MAX_TEXT = 4_000_000
#: the most characters kept of the ``str()`` of an object that is not JSON data
MAX_OBJECT_TEXT = 1_000
#: the signed 64-bit range integers are stored in (SQLite's INTEGER)
INT64 = 2**63

CIRCULAR = "<circular reference>"
TOO_DEEP = f"<cut: nested deeper than {MAX_DEPTH} levels>"


def bounded_text(text: str, limit: int) -> str:
    """``text``, or its first ``limit`` characters and a note of how many were cut."""
    return text if len(text) <= limit else f"{text[:limit]}… [{len(text) - limit} characters cut]"


def safe_str(value: Any, limit: int = MAX_OBJECT_TEXT, convert: Any = str) -> str:
    """``str(value)`` (or ``convert(value)``, e.g. ``repr``) bounded to ``limit`` characters;
    one that raises says so instead."""
    try:
        text = convert(value)
    except Exception as exc:  # user code's __str__ or __repr__
        text = f"<{type(value).__name__} whose {convert.__name__}() raised {type(exc).__name__}>"
    return bounded_text(text if type(text) is str else str.__str__(text), limit)


def plain_int(value: int) -> int | float | str:
    """``value`` if it fits in 64 bits, else the nearest float, else ``"<integer of N bits>"``."""
    if -INT64 <= value < INT64:
        return value
    try:
        return float(value)
    except OverflowError:
        return f"<integer of {value.bit_length()} bits>"


def plain_number(value: Any, where: str) -> int | float:
    """``value`` as a Python ``int`` (64-bit) or ``float``; ``TypeError`` unless it is a real
    number that a float can hold."""
    if isinstance(value, np.ndarray) and value.size == 1:
        value = value.reshape(()).item()
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{where} = {safe_str(value, 60, repr)} ({type(value).__name__}) is not a number")
    if isinstance(value, numbers.Integral):
        number = plain_int(int(value))
        if isinstance(number, str):
            raise TypeError(f"{where} is an integer of {int(value).bit_length()} bits, too large to be a number")
        return number
    return float(value)


def plain_count(value: Any, where: str) -> int:
    """A whole number in ``[0, 2⁶³)`` (a parameter count, a seed); ``TypeError`` otherwise."""
    number = plain_number(value, where)
    if not (isinstance(number, int) or (math.isfinite(number) and number == int(number))) or not 0 <= number < INT64:
        raise TypeError(f"{where} = {safe_str(value, 60, repr)} is not a whole number in [0, 2**63)")
    return int(number)


def plain_numbers(values: Any, where: str) -> dict[str, int | float]:
    """A mapping of names to numbers, with string keys and plain number values."""
    if not isinstance(values, Mapping):
        raise TypeError(f"{where} is a {type(values).__name__}, not a mapping of names to numbers")
    if len(values) > MAX_VALUES:
        raise ValueError(f"{where} holds {len(values)} values, more than {MAX_VALUES}")
    return {safe_str(key): plain_number(value, f"{where}[{safe_str(key, 60)!r}]") for key, value in values.items()}


class _Walk:
    """One bounded walk over a value (:func:`plain_json`): it counts values and characters
    and knows the containers it is inside (to cut circular references)."""

    def __init__(self, where: str) -> None:
        self.where = where
        self.values = 0
        self.text = 0
        self.inside: set[int] = set()

    def _string(self, text: str) -> str:
        self.text += len(text)
        if self.text > MAX_TEXT:
            raise ValueError(f"{self.where} holds more than {MAX_TEXT} characters of text")
        return text

    def plain(self, value: Any, depth: int) -> Any:
        self.values += 1
        if self.values > MAX_VALUES:
            raise ValueError(f"{self.where} holds more than {MAX_VALUES} values")
        if value is None or type(value) in (bool, float):
            return value
        if isinstance(value, str):
            return self._string(str.__str__(value))
        if isinstance(value, (bool, np.bool_)):
            return bool(value)
        if isinstance(value, numbers.Integral):
            return plain_int(int(value))
        if isinstance(value, numbers.Real):
            return float(value)
        if isinstance(value, np.generic) and not isinstance(value, (np.void, np.flexible)):
            return self.plain(value.item(), depth)
        if isinstance(value, (Mapping, list, tuple, set, frozenset, np.ndarray)):
            return self._container(value, depth)
        return self._string(safe_str(value))

    def _container(self, value: Any, depth: int) -> Any:
        if id(value) in self.inside:
            return CIRCULAR
        if depth >= MAX_DEPTH:
            return TOO_DEEP
        if isinstance(value, np.ndarray):
            if value.size > MAX_VALUES:
                raise ValueError(f"{self.where} holds an array of {value.size} values, more than {MAX_VALUES}")
            return self.plain(value.tolist(), depth)
        self.inside.add(id(value))
        try:
            if isinstance(value, Mapping):
                return {self._string(safe_str(k)): self.plain(v, depth + 1) for k, v in value.items()}
            items = [self.plain(v, depth + 1) for v in value]
            if isinstance(value, (set, frozenset)):
                items.sort(key=lambda v: (type(v).__name__, repr(v)))
            return items
        finally:
            self.inside.discard(id(value))


def plain_json(value: Any, where: str = "extra") -> Any:
    """``value`` as plain, bounded JSON data (see the module docstring for every rule).

    Raises:
        ValueError: more than :data:`MAX_VALUES` values or :data:`MAX_TEXT` characters.
    """
    return _Walk(where).plain(value, 0)
