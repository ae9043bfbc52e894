"""Shared test configuration.

pytest's default ``prepend`` import mode puts this directory on ``sys.path`` while it
loads this conftest, so test modules anywhere under ``tests/`` can ``import strategies``
(the shared hypothesis strategies) without any ``sys.path`` manipulation.
"""
