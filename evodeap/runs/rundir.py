"""The files of one run directory: where each lives, how it is written, checked and read.

Everything a run produces lives in one folder, written only by the master process while it
holds the directory's lock (:mod:`evodeap.runs.lock`), every file through
:mod:`evodeap.files` (atomic, never through a link)::

    experiment.json    where the experiment came from: file, overrides, hashes (written 1st)
    config.json        the experiment, as JSON (written 2nd: a run is "started")
    runtime.json       the Keras backend and versions the run trains on (right after
                       config.json; one missing is recorded on resume, evodeap.execution.backend)
    results.sqlite     every evaluation as it completes; one row per generation (created
                       whole, 4th)
    checkpoint.json    engine state after the last completed generation
    logbook.csv        the per-generation table (derived from results.sqlite's generations table;
                       a line appended per generation, written whole once per process,
                       :class:`LogbookFile`)
    hall_of_fame.json  the best genomes with their fitness (derived, at the end)
    space.json         the final (possibly refined) search space (derived, at the end)
    weights/           trained weights with their index of checksums (evodeap.evaluation.weights)
    tensorboard/       per-generation scalars and training curves (when enabled)

The order is what makes every interruption resumable: a directory with ``experiment.json``
alone, with both JSON files but no database, with a database but no checkpoint, or with a
final checkpoint but not the final files — each is finished by ``evodeap resume``
(:func:`evodeap.runs.lifecycle.continue_run`). Every read checks what it reads
(:mod:`evodeap.runs.formats`, :func:`evodeap.results.schema.check_database`).
"""
from __future__ import annotations

import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from evodeap.runs import checkpoints, formats
from evodeap.execution.backend import check_runtime_record, reconcile_backend, runtime_record
from evodeap.errors import DamagedFileError, RunDirectoryError
from evodeap.files import (COMMIT_FORMAT, check_directory, folder, os_error, read_bytes, read_json, write_json,
                           write_text)
from evodeap.runs.lock import LOCK_NAME, RunLock
from evodeap.runs.logbook import LOGBOOK, LogbookFile, logbook_text  # noqa: F401  (LogbookFile: for lifecycle)

EXPERIMENT = "experiment.json"
CONFIG = "config.json"
DATABASE = "results.sqlite"
CHECKPOINT = "checkpoint.json"
HALL_OF_FAME = "hall_of_fame.json"
SPACE = "space.json"
RUNTIME = "runtime.json"
WEIGHTS = "weights"
TENSORBOARD = "tensorboard"
COMMIT = ".evodeap-commit.json"
#: the files a change of several files (:meth:`RunDirectory.commit`) may replace
COMMITTED = (EXPERIMENT, CONFIG, RUNTIME)


@dataclass
class RunDirectory:
    """Paths and file formats of one run directory."""

    path: Path

    def __post_init__(self) -> None:
        self.path = Path(self.path)
        self.binding: dict[str, Any] | None = None  # the ``run`` its checkpoints carry (set by the writer)
        self.held: RunLock | None = None  # the lock this object took (:meth:`lock`)

    def file(self, name: str) -> Path:
        return self.path / name

    @property
    def db_path(self) -> Path:
        return self.file(DATABASE)

    # -- the folder ------------------------------------------------------------------------
    def make(self) -> None:
        """Create the folder (and its parents) unless it exists; refuse a file in its place."""
        if self.path.exists() and not self.path.is_dir():
            raise RunDirectoryError(f"{self.path} exists and is not a folder; choose another --out")
        try:
            self.path.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            from evodeap.files import os_error

            raise os_error(exc, self.path, "create") from None

    def require(self) -> None:
        if not self.path.is_dir():
            raise RunDirectoryError(f"no run directory at {self.path}")

    def lock(self, command: str) -> RunLock:
        """The directory's lock, held by ``command`` (a context manager)."""
        self.held = RunLock(self.path, command)
        return self.held

    def check_in_place(self) -> None:
        """Refuse to write on once the directory was moved or renamed under its lock's holder
        (:meth:`RunLock.moved_to`): one line saying where it is now, where everything finished
        is saved and from where the run resumes."""
        moved = self.held.moved_to() if self.held is not None else None
        if moved is not None:
            now = "its new place" if str(moved) == "?" else str(moved)
            raise RunDirectoryError(f"{self.path} was moved or renamed while the run was writing it (it is now at "
                                    f"{now}); the run stopped, and everything finished is saved there: resume it "
                                    f"with: evodeap resume {'NEW_PLACE' if str(moved) == '?' else moved}")

    def holds_run(self) -> bool:
        """True once a run was started here (even if the start was interrupted)."""
        return any(self.file(n).exists() or self.file(n).is_symlink() for n in (EXPERIMENT, CONFIG, DATABASE))

    def check_folders(self) -> None:
        """Refuse ``weights/``, ``tensorboard/`` or a folder TensorBoard writes in when it is a
        link or a file (nothing is written through one)."""
        for name in (WEIGHTS, TENSORBOARD, f"{TENSORBOARD}/generations", f"{TENSORBOARD}/evaluations"):
            check_directory(self.path, name)

    def remove_leftovers(self) -> list[str]:
        """Remove the temporary files an interrupted write left (the caller holds the lock, so no
        write is in progress); returns their names."""
        from evodeap.files import TEMPORARY

        removed = []
        for entry in self.path.iterdir():
            if TEMPORARY.fullmatch(entry.name) and (entry.is_symlink() or entry.is_file()):
                entry.unlink()
                removed.append(entry.name)
        return removed

    def create(self, config: Any, experiment: dict[str, Any] | None) -> None:
        """Start a new run here (under the lock); refuse a directory that holds anything.

        ``experiment.json`` is written first, ``config.json`` second and ``runtime.json``
        (:func:`evodeap.execution.backend.runtime_record`) third, each atomically.
        """
        entries = [p for p in self.path.iterdir() if p.name != LOCK_NAME]
        if entries:
            if self.holds_run():
                raise RunDirectoryError(
                    f"{self.path} already holds a run; continue it with 'evodeap resume {self.path}' "
                    f"or choose another --out")
            raise RunDirectoryError(f"{self.path} exists and is not empty; choose another --out")
        experiment = {**(experiment or {"file": None, "overrides": {}}), "run_id": secrets.token_hex(8)}
        formats.read_experiment(formats.stamp_experiment(experiment), self.file(EXPERIMENT))  # checked before written
        self.write_experiment(experiment)
        self.write_config(config)
        self.write_runtime(runtime_record())

    # -- a change of several files: one commit point ------------------------------------------
    def pending(self) -> dict[str, Any] | None:
        """The files of a committed change not yet applied (name -> content); None when there is none.

        Raises:
            DamagedFileError: the commit record is not one evodeap wrote.
        """
        if not (self.file(COMMIT).exists() or self.file(COMMIT).is_symlink()):
            return None
        data = read_json(self.path, COMMIT)
        files = data.get("files") if isinstance(data, dict) else None
        if (not isinstance(data, dict) or data.get("format") != COMMIT_FORMAT or not isinstance(files, dict)
                or not files or not set(files) <= set(COMMITTED) or not all(isinstance(v, dict) for v in files.values())):
            raise DamagedFileError(f"{self.file(COMMIT)} is corrupt: expected {{\"format\": {COMMIT_FORMAT}, "
                                   f"\"files\": {{name: object}}}} naming only {', '.join(COMMITTED)}")
        return files

    def commit(self, files: dict[str, Any]) -> None:
        """Replace the JSON files ``files`` (name -> content) as one change (the caller holds the lock).

        One file is written atomically. Several are first recorded together in
        ``.evodeap-commit.json`` (one atomic write: the commit point), then each is written
        and the record removed (:meth:`apply_pending`). Until then every reader sees the
        recorded contents (:meth:`read_json`), and the next writer rolls the change forward:
        an interruption at any moment leaves the old files or the new ones, never a mix.
        """
        self.apply_pending()
        if len(files) > 1:
            write_json(self.path, COMMIT, {"format": COMMIT_FORMAT, "files": files})
            self.apply_pending()
        for name, content in files.items() if len(files) == 1 else ():
            write_json(self.path, name, content)

    def apply_pending(self) -> list[str]:
        """Roll a committed change forward: write its files, then remove the record; returns their names."""
        files = self.pending()
        if files is None:
            return []
        for name, content in files.items():
            write_json(self.path, name, content)
        with folder(self.path) as fd:
            os.unlink(COMMIT, dir_fd=fd)
            os.fsync(fd)
        return list(files)

    # -- JSON files ----------------------------------------------------------------------
    def read_json(self, name: str) -> Any:
        """A JSON file of the directory (never through a link); a clear line when missing or corrupt."""
        pending = self.pending()
        if pending is not None and name in pending:  # a committed change not yet applied: it is the file
            return pending[name]
        try:
            return read_json(self.path, name)
        except FileNotFoundError:
            raise RunDirectoryError(f"{self.file(name)} is missing: is {self.path} a run directory?") from None

    def _read_optional(self, name: str) -> Any | None:
        pending = self.pending()
        if not (self.file(name).exists() or self.file(name).is_symlink()) and (pending is None or name not in pending):
            return None
        return self.read_json(name)

    def read_experiment(self) -> dict[str, Any] | None:
        """The checked ``experiment.json`` record; None when the file does not exist."""
        data = self._read_optional(EXPERIMENT)
        return None if data is None else formats.read_experiment(data, self.file(EXPERIMENT))

    def record(self, source: dict[str, Any] | None = None, config: Any = None,
               runtime: dict[str, Any] | None = None) -> None:
        """Replace those given of ``experiment.json`` (``source``), ``config.json`` (``config``) and
        ``runtime.json`` (``runtime``) as one change (:meth:`commit`)."""
        files = {EXPERIMENT: None if source is None else formats.stamp_experiment(source),
                 CONFIG: None if config is None else formats.stamp_config(config.to_dict()), RUNTIME: runtime}
        self.commit({name: content for name, content in files.items() if content is not None})

    def write_experiment(self, source: dict[str, Any]) -> None:
        self.commit({EXPERIMENT: formats.stamp_experiment(source)})

    def read_config(self) -> dict[str, Any] | None:
        """The recorded settings (upgraded, :func:`evodeap.runs.formats.read_config`); None when missing."""
        data = self._read_optional(CONFIG)
        return None if data is None else formats.read_config(data, self.file(CONFIG))

    def write_config(self, config: Any) -> None:
        self.commit({CONFIG: formats.stamp_config(config.to_dict())})

    def read_runtime(self) -> dict[str, Any] | None:
        """The checked backend record (:func:`evodeap.execution.backend.check_runtime_record`); None when missing."""
        data = self._read_optional(RUNTIME)
        return None if data is None else check_runtime_record(data, self.file(RUNTIME))

    def write_runtime(self, record: dict[str, Any]) -> None:
        self.commit({RUNTIME: record})

    def check_backend(self, force: bool = False) -> dict[str, Any] | None:
        """Refuse to train this run further on another Keras backend than its recorded one
        unless ``force``; returns the record to write (or None), writing nothing
        (:func:`evodeap.execution.backend.reconcile_backend`)."""
        return reconcile_backend(self.read_runtime(), force=force, where=self.path)

    def load_checkpoint(self) -> dict[str, Any] | None:
        """The checked engine checkpoint; None when no generation has completed yet."""
        data = self._read_optional(CHECKPOINT)
        return None if data is None else checkpoints.read_checkpoint(data, self.file(CHECKPOINT))

    def write_checkpoint(self, state: dict[str, Any], logbook: list[dict] | None = None) -> None:
        """The checkpoint (the engine state, stamped with its format), then — when ``logbook``
        is given — ``logbook.csv`` derived from it, whole (the rows of the database's
        ``generations`` table; a run appends them instead, :class:`LogbookFile`)."""
        write_json(self.path, CHECKPOINT, checkpoints.stamp_checkpoint(state, self.binding))
        if logbook is not None:
            write_text(self.path, LOGBOOK, logbook_text(logbook))

    # -- the final files ---------------------------------------------------------------------
    @staticmethod
    def final_files(state: dict[str, Any], logbook: list[dict]) -> dict[str, bytes]:
        """The files derived from the final checkpoint and the database's logbook rows:
        ``logbook.csv``, ``hall_of_fame.json``, ``space.json``."""
        from evodeap.genome.genome import Genome

        hall_of_fame = []
        for member in state["hall_of_fame"]:
            genome = Genome.from_dict(member["genome"])
            hall_of_fame.append({"fitness": list(member["fitness"]), "key": genome.key(), "genome": genome.to_dict()})
        return {LOGBOOK: logbook_text(logbook).encode(),
                HALL_OF_FAME: json.dumps(hall_of_fame, indent=1).encode(),
                SPACE: json.dumps(state["space"], indent=1).encode()}

    def write_final(self, state: dict[str, Any], logbook: list[dict]) -> list[str]:
        """Write the derived files that are missing or differ from the checkpoint and the
        logbook rows; returns their names."""
        from evodeap.files import write_bytes

        written = []
        for name, data in self.final_files(state, logbook).items():
            try:
                current = read_bytes(self.path, name)
            except (FileNotFoundError, RunDirectoryError):
                current = None
            if current != data:
                write_bytes(self.path, name, data)
                written.append(name)
        return written

    def forget_weights(self, problems: dict[str, str]) -> list[str]:
        """Take the weight files ``problems`` names out of the store (every file, when the index
        itself is among them: without a whole index no file can be verified); returns their names."""
        from evodeap.evaluation.weights import INDEX

        store = self.weight_store()
        return store.forget_all() if INDEX in problems else store.forget(list(problems))

    def weight_store(self):
        """The run's :class:`~evodeap.evaluation.weights.WeightStore` (``weights/``, refused when a link)."""
        from evodeap.evaluation.weights import WeightStore

        check_directory(self.path, WEIGHTS)
        return WeightStore(self.file(WEIGHTS))


def default_run_directory(name: str, root: str | os.PathLike[str] = "runs") -> Path:
    """Reserve ``runs/<name>-<YYYYmmdd-HHMMSS>`` (``-2``, ``-3`` … when taken) and return it.

    ``name`` is reduced to letters, digits, ``_``, ``+`` and ``-`` (anything else becomes
    ``-``); the folder is created here, so two runs started in the same second never share one.
    """
    import re
    import time

    safe = re.sub(r"[^A-Za-z0-9_+-]+", "-", name).strip("-") or "run"
    stamp = time.strftime("%Y%m%d-%H%M%S")
    from evodeap.files import os_error

    root = Path(root)
    for attempt in range(1, 1000):
        path = root / (f"{safe}-{stamp}" if attempt == 1 else f"{safe}-{stamp}-{attempt}")
        try:
            root.mkdir(parents=True, exist_ok=True)
            path.mkdir()
        except FileExistsError:
            continue
        except OSError as exc:
            raise os_error(exc, path, "create") from None
        return path
    raise RunDirectoryError(f"no free run directory name under {root} for {safe}-{stamp}")


def undo_start(directory: RunDirectory, remove_folder: bool = False) -> bool:
    """Remove what :meth:`RunDirectory.create` and a database without evaluations left, when a start was
    refused before anything was evaluated (no checkpoint, no evaluation stored): refused
    input leaves no started run behind; ``remove_folder``: the folder too when it is then
    empty (the start created it). Returns whether it removed the start."""
    from evodeap.results.storage import ResultsDB

    if directory.file(CHECKPOINT).exists():
        return False
    if directory.db_path.is_file():
        with ResultsDB(directory.db_path, check=False, readonly=True) as db:
            if next(iter(db.iter_evaluations()), None) is not None:
                return False
    for name in (EXPERIMENT, CONFIG, RUNTIME, DATABASE, *(DATABASE + end for end in ("-wal", "-shm", "-journal"))):
        if directory.file(name).is_file() and not directory.file(name).is_symlink():
            directory.file(name).unlink()
    if remove_folder and not any(directory.path.iterdir()):
        directory.path.rmdir()
    return True
