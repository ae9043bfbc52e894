"""``logbook.csv``: one line per generation, appended at a constant cost (:class:`LogbookFile`).

The ``generations`` table of ``results.sqlite`` is the logbook's one copy; ``logbook.csv`` is
derived from it (:func:`logbook_text`), kept in step by appending the new generation's line
and written whole only when it cannot be trusted (first in each process, after a gap, a file
changed or hard-linked).
"""
from __future__ import annotations

import json
import os
import stat
from typing import Any

from evodeap.files import folder, os_error, write_text

LOGBOOK = "logbook.csv"


class LogbookFile:
    """``logbook.csv`` of a run kept in step with the ``generations`` table at a constant cost
    per generation: :meth:`update` appends the new generation's line when the file is the one
    this object wrote (its size as written, through the generation before), and otherwise —
    first in each process, after a gap, or when the file was changed or linked — writes it
    whole from the table. Either way the file's bytes are :func:`logbook_text` of the rows."""

    def __init__(self, directory: Any) -> None:  # a evodeap.runs.rundir.RunDirectory
        self.directory = directory
        self.through: int | None = None  # the last generation whose line this object wrote
        self.size = 0  # the file's size then
        self.latest: tuple[int, dict[str, Any]] | None = None  # the latest row stored, as stored

    def recorded(self, generation: int, row: dict[str, Any]) -> None:
        """``row`` was stored in the ``generations`` table as generation ``generation`` (as JSON)."""
        self.latest = (generation, json.loads(json.dumps(row)))

    def update(self, generation: int, rows: Any) -> None:
        """Bring the file to generation ``generation``; ``rows(generation)`` gives the table's
        rows through it (read only when the file is written whole)."""
        row = self.latest[1] if self.latest is not None and self.latest[0] == generation else None
        if row is not None and self.through is not None and generation == self.through + 1:
            line = logbook_text([row]).split("\n", 1)[1].encode("utf-8")
            if self.append(line):
                self.through, self.size = generation, self.size + len(line)
                return
        text = logbook_text(rows(generation))
        write_text(self.directory.path, LOGBOOK, text)
        self.through, self.size = generation, len(text.encode("utf-8"))

    def append(self, data: bytes) -> bool:
        """Append ``data`` to ``logbook.csv`` if it is still a regular file without another name
        (a hard link) of the size this object left; whether it did. Opened without following a
        link or blocking (a FIFO is not regular); an interruption may cut the line."""
        flags = os.O_WRONLY | os.O_APPEND | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
        with folder(self.directory.path, create=False) as fd:
            try:
                handle = os.open(LOGBOOK, flags, dir_fd=fd)
            except OSError:  # missing, a link, a FIFO without a reader …: written whole instead
                return False
            try:
                info = os.fstat(handle)
                if not stat.S_ISREG(info.st_mode) or info.st_nlink != 1 or info.st_size != self.size:
                    return False
                while data:
                    data = data[os.write(handle, data):]
                return True
            except OSError as exc:
                raise os_error(exc, self.directory.file(LOGBOOK)) from None
            finally:
                os.close(handle)


def logbook_text(rows: list[dict]) -> str:
    """``logbook.csv``: a header of the logbook fields, one line per generation (rows of an old
    checkpoint read under today's column names, :mod:`evodeap.results.columns`)."""
    from evodeap.results.columns import current_names
    from evodeap.engine.records import LOGBOOK_FIELDS

    lines = [",".join(LOGBOOK_FIELDS)]
    for row in map(current_names, rows):
        lines.append(",".join("" if row.get(f) is None else str(row.get(f)) for f in LOGBOOK_FIELDS))
    return "\n".join(lines) + "\n"


__all__ = ["LOGBOOK", "LogbookFile", "logbook_text"]
