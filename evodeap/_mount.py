"""Map ``evodeap.operators`` and ``evodeap.models`` onto the repository's top-level folders.

In a wheel the two packages live inside ``evodeap/`` and the normal import machinery finds
them; this finder then stays silent. In a clone or an editable install they sit beside the
``evodeap`` folder, and the finder (first on ``sys.meta_path``, so no editable-install hook
of another checkout can answer instead) loads them from there, from *this* checkout.
"""
from __future__ import annotations

import importlib.abc
import importlib.machinery
import importlib.util
import sys
from pathlib import Path

#: Top-level folders of the repository imported as ``evodeap.<name>``.
MOUNTED = ("operators", "models")

_PACKAGE_DIR = Path(__file__).resolve().parent


class _SiblingFinder(importlib.abc.MetaPathFinder):
    """Finds ``evodeap.<name>`` (``name`` in :data:`MOUNTED`) in ``<repo>/<name>/``."""

    def find_spec(self, fullname, path=None, target=None):
        head, _, name = fullname.partition(".")
        if head != "evodeap" or name not in MOUNTED or (_PACKAGE_DIR / name).is_dir():
            return None
        folder = _PACKAGE_DIR.parent / name
        init = folder / "__init__.py"
        if not init.is_file():
            return None
        return importlib.util.spec_from_file_location(fullname, init, submodule_search_locations=[str(folder)])


def install() -> None:
    """Put the finder first on ``sys.meta_path`` (once)."""
    if not any(isinstance(f, _SiblingFinder) for f in sys.meta_path):
        sys.meta_path.insert(0, _SiblingFinder())
