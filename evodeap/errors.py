"""Errors that mean "the user's input is wrong".

Every error a user can fix by changing their input derives from :class:`EvodeapError`.
The command line turns any of them into one line on stderr and exit status 2; the
Python API lets them propagate so notebooks show the message.
"""
from __future__ import annotations

import traceback


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


class DamagedFileError(RunDirectoryError):
    """A file of a run directory is truncated, garbled, of the wrong form or missing."""


class DiskFullError(RunDirectoryError):
    """The device holding a run directory or report folder is full."""


class ReadOnlyError(RunDirectoryError):
    """A run directory or report folder cannot be written (read-only or permission denied)."""


class UnsafePathError(RunDirectoryError):
    """A path would lead through a symbolic link or outside the folder being written."""


class RunLockedError(RunDirectoryError):
    """Another process holds the lock of a run directory."""


class UserCodeError(EvodeapError):
    """User code — an operator, a fitness — broke the run's contract.

    The run stops; everything finished is saved, and it can be resumed once the code is
    fixed. ``hint`` (set by whoever knows the run directory) ends the message.
    """

    hint: str = ""

    def __str__(self) -> str:
        message = super().__str__()
        return f"{message}; {self.hint}" if self.hint else message


class OperatorError(UserCodeError):
    """An operator raised, or broke the operator contract (see :mod:`evodeap.operators.contract`)."""


class FailedGenerationError(UserCodeError):
    """Too many evaluations of one generation failed (see :mod:`evodeap.evaluation.failures`)."""


def raised_at(exc: BaseException) -> str:
    """`` at FILE:LINE`` of the innermost frame that raised ``exc`` (empty when unknown)."""
    frames = traceback.extract_tb(exc.__traceback__)
    return f" at {frames[-1].filename}:{frames[-1].lineno}" if frames else ""
