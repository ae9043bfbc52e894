"""Model families: which layer kinds a genome may hold, and in which order.

A view over :mod:`evodeap.kinds.families`, where families are data (ordered stages of
allowed kinds, free kinds, required kinds, options) registered with
:func:`~evodeap.kinds.families.register_family`. ``FAMILIES`` reads that registry live,
so families registered by a researcher appear here too.
"""
from __future__ import annotations

from typing import Mapping

from evodeap.kinds.families import FAMILIES as FAMILY_REGISTRY
from evodeap.kinds.families import Family, get_family, register_family
from evodeap.registry import RegistryView

#: The position-free kind of the built-in families.
DROPOUT = "dropout"


#: ``name -> Family`` of every registered family (live: reads the registry).
FAMILIES: Mapping[str, Family] = RegistryView(FAMILY_REGISTRY)

__all__ = ["DROPOUT", "FAMILIES", "Family", "get_family", "register_family"]
