"""Errors that mean "the user's input is wrong".

Every error a user can fix by changing their input derives from :class:`EvodeapError`.
The command line turns any of them into one line on stderr and exit status 2; the
Python API lets them propagate so notebooks show the message.
"""
from __future__ import annotations


class EvodeapError(Exception):
    """Base class of every user-facing error (bad experiment, bad data, bad run dir)."""


class SearchSpaceError(EvodeapError, ValueError):
    """A search space (or a genome checked against one) is malformed."""


class GenomeError(EvodeapError, ValueError):
    """A genome cannot be decoded or does not fit its family or space."""


class UnknownNameError(EvodeapError, KeyError):
    """A name (operator, schedule, family, fitness ...) is not in its registry."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class LayerKindError(EvodeapError, ValueError):
    """A layer kind or model family cannot be registered as written."""


class ConfigError(EvodeapError, ValueError):
    """An experiment file or ``--set`` override is malformed."""


class DataError(EvodeapError, ValueError):
    """A data file, cache or array has the wrong form."""


class RunDirectoryError(EvodeapError):
    """A run directory is missing, corrupt or would be overwritten."""
