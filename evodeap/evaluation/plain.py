"""Plain Python values from what user code returns: NumPy scalars and arrays become
numbers and lists, so results can be stored as JSON.

``json.dumps`` refuses ``numpy.float32`` (and ``numpy.int64``, ``numpy.bool_``, arrays): a
metric computed with NumPy would make its evaluation impossible to store. These helpers
convert such values and raise ``TypeError`` naming *where* a value that cannot be a number
was found.
"""
from __future__ import annotations

import numbers
from typing import Any, Mapping

import numpy as np


def plain_number(value: Any, where: str) -> int | float:
    """``value`` as a Python ``int`` or ``float`` (``TypeError`` unless it is a real number)."""
    if isinstance(value, np.ndarray) and value.size == 1:
        value = value.reshape(()).item()
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{where} = {value!r} ({type(value).__name__}) is not a number")
    return int(value) if isinstance(value, numbers.Integral) else float(value)


def plain_numbers(values: Any, where: str) -> dict[str, int | float]:
    """A mapping of names to numbers, with string keys and plain number values."""
    if not isinstance(values, Mapping):
        raise TypeError(f"{where} is a {type(values).__name__}, not a mapping of names to numbers")
    return {str(key): plain_number(value, f"{where}[{str(key)!r}]") for key, value in values.items()}


def plain_json(value: Any) -> Any:
    """``value`` with NumPy scalars and arrays made plain, tuples made lists and mapping keys
    made strings, recursively; any other object is left as it is."""
    if isinstance(value, Mapping):
        return {str(k): plain_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain_json(v) for v in value]
    if isinstance(value, np.ndarray):
        return plain_json(value.tolist())
    if isinstance(value, np.generic):
        return value.item()
    return value
