"""Writing into a run directory or a report folder: atomic, inside it, never through a link.

Every file evodeap writes into a run directory or a report folder goes through
:func:`write_bytes` (or :func:`write_text` / :func:`write_json`), one writer for all:

1. the folder is reached from ``root`` one component at a time through directory
   descriptors opened with ``O_NOFOLLOW``: a symbolic link (or a file) in place of a
   folder below ``root`` is refused, so no write leaves ``root``. ``root`` itself is the
   folder the user named and is taken as given;
2. the bytes go to a new temporary file in the same folder, ``.<name>.<random>.tmp``,
   created with ``O_CREAT | O_EXCL | O_NOFOLLOW``: no planted file or link is ever opened;
3. the file is flushed and fsynced, renamed over the final name (``rename`` replaces a
   link or file of that name, it never writes through it), and the folder is fsynced.

A reader sees the old file or the whole new one; an interruption leaves at most a
temporary file that the next write ignores.

Every file evodeap reads back from a run directory goes through :func:`read_bytes` (every
JSON file through :func:`read_json`, every JSON text through :func:`parse_json`): a regular
file only, opened with ``O_NOFOLLOW | O_NONBLOCK`` then ``fstat``-ed (a link, FIFO or device
is refused at once, never waited on), of bounded size, JSON of bounded depth. A file written
in place by someone else's code (SQLite's database) whose link count is above 1 — a ``cp -al``
copy — first gets an inode of its own (:func:`own_copy`), so the other name's file is never
written. Operating-system errors become one line (:func:`os_error`): a full device
(:class:`~evodeap.errors.DiskFullError`), a read-only folder (:class:`~evodeap.errors.ReadOnlyError`),
a link (:class:`~evodeap.errors.UnsafePathError`). POSIX only (``dir_fd``, ``O_NOFOLLOW``).

The format version of every file evodeap writes (``CONFIG_FORMAT``, ``CHECKPOINT_FORMAT``,
``DB_FORMAT`` …) is defined here and nowhere else; the readers and the compatibility shims for
older files are in :mod:`evodeap.runs.formats` (run and study files) and beside each file's
own reader (the weight index, the database schema, a data set's manifest).
"""
from __future__ import annotations

import errno
import json
import os
import re
import secrets
import stat
from contextlib import contextmanager
from pathlib import Path, PurePosixPath
from typing import Any, Iterator

from evodeap.errors import DamagedFileError, DiskFullError, ReadOnlyError, RunDirectoryError, UnsafePathError

# -- the format of every file evodeap writes: the one home of every version number -------------
#: ``config.json`` (2: ``format`` added; settings added later are filled with their defaults)
CONFIG_FORMAT = 2
#: ``experiment.json`` (2: ``format``, ``sources`` hashes and ``changes`` added)
EXPERIMENT_FORMAT = 2
#: ``checkpoint.json`` (2: the logbook left it; the database's generations table is its one copy;
#: 3: ``run`` added, the run id, seed and configuration digest it belongs to)
CHECKPOINT_FORMAT = 3
#: ``.evodeap-commit.json``: a change of several run files, committed and not yet applied
COMMIT_FORMAT = 1
#: ``study.json`` (2: ``format`` added)
STUDY_FORMAT = 2
#: ``results.sqlite``, as SQLite's ``user_version``
DB_FORMAT = 2
#: ``weights/index.json``
INDEX_FORMAT = 1
#: ``runtime.json`` (the Keras backend and device of a run)
RUNTIME_FORMAT = 1
#: ``best_model.json`` (``evodeap export``; 2: ``data`` added — data spec, task, preprocessing)
BEST_MODEL_FORMAT = 2
#: the manifest of a stored data set (``evodeap data generate``)
DATA_SET_FORMAT = 1
#: a benchmark suite's job result file
JOB_FORMAT = 1
#: ``suite_study.json`` (a study's variants run on a benchmark suite)
SUITE_STUDY_FORMAT = 1


TEMPORARY = re.compile(r"\.(?P<name>.+)\.[0-9a-f]{12}\.tmp(?:-journal)?")  # a write's temporary file
_DIRECTORY_FLAGS = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_CLOEXEC", 0)
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)


def temporary_name(name: str) -> str:
    """A fresh temporary name for a file about to become ``name``: ``.<name>.<12 hex>.tmp``."""
    return f".{name}.{secrets.token_hex(6)}.tmp"


def os_error(exc: OSError, path: str | os.PathLike[str], action: str = "write") -> RunDirectoryError:
    """The one-line error for an ``OSError`` met while ``action``-ing ``path``."""
    code = exc.errno
    if code in (errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)):
        return DiskFullError(f"no space left on the device while writing {path}")
    if code in (errno.EROFS, errno.EACCES, errno.EPERM):
        reason = "the file system is read-only" if code == errno.EROFS else "permission denied"
        return ReadOnlyError(f"cannot {action} {path}: {reason}")
    if code == errno.ELOOP:
        return UnsafePathError(f"{path} is a symbolic link; evodeap never follows links in a run directory")
    return RunDirectoryError(f"cannot {action} {path}: {exc.strerror or exc}")


def _parts(relative: str | os.PathLike[str]) -> tuple[str, ...]:
    parts = PurePosixPath(os.fspath(relative)).parts
    if not parts or parts[0] == "/" or any(p in ("..", ".") for p in parts):
        raise UnsafePathError(f"{relative!r} is not a plain path inside the folder")
    return parts


def _open_root(root: Path) -> int:
    try:
        return os.open(root, _DIRECTORY_FLAGS)
    except FileNotFoundError:
        raise FileNotFoundError(str(root)) from None
    except OSError as exc:
        raise os_error(exc, root, "open") from None


def _descend(fd: int, name: str, shown: Path, create: bool) -> int:
    """The descriptor of folder ``name`` inside ``fd`` (created when missing and ``create``).

    Raises:
        FileNotFoundError: it is missing and ``create`` is false.
    """
    for attempt in range(2):
        try:
            return os.open(name, _DIRECTORY_FLAGS | _NOFOLLOW, dir_fd=fd)
        except FileNotFoundError:
            if not create or attempt:
                raise FileNotFoundError(str(shown)) from None
            try:
                os.mkdir(name, 0o777, dir_fd=fd)
            except FileExistsError:
                pass
            except OSError as exc:
                raise os_error(exc, shown, "create") from None
        except OSError as exc:
            if exc.errno in (errno.ELOOP, errno.ENOTDIR):
                kind = "a symbolic link" if _is_link(fd, name) else "not a folder"
                raise UnsafePathError(f"{shown} is {kind}; evodeap writes only into real folders "
                                      f"inside the one it was given") from None
            raise os_error(exc, shown, "open") from None
    raise AssertionError("unreachable")


def _is_link(fd: int, name: str) -> bool:
    try:
        return stat.S_ISLNK(os.stat(name, dir_fd=fd, follow_symlinks=False).st_mode)
    except OSError:
        return False


def _open_folder(root: Path, relative: str | os.PathLike[str], create: bool) -> int:
    fd = _open_root(root)
    shown = root
    try:
        if os.fspath(relative) not in (".", ""):
            for name in _parts(relative):
                shown = shown / name
                inner = _descend(fd, name, shown, create)
                os.close(fd)
                fd = inner
    except BaseException:
        os.close(fd)
        raise
    return fd


@contextmanager
def folder(root: str | os.PathLike[str], relative: str | os.PathLike[str] = ".", create: bool = True) -> Iterator[int]:
    """A descriptor of ``root/relative``, reached without following a link below ``root``.

    Raises:
        FileNotFoundError: a folder on the way is missing and ``create`` is false.
        UnsafePathError: a folder on the way is a link or a file.
    """
    fd = _open_folder(Path(root), relative, create)
    try:
        yield fd
    finally:
        os.close(fd)


def check_directory(root: str | os.PathLike[str], relative: str | os.PathLike[str]) -> None:
    """Refuse ``root/relative`` if it is a link or a file; a missing one is fine."""
    try:
        with folder(root, relative, create=False):
            pass
    except FileNotFoundError:
        return


def write_bytes(root: str | os.PathLike[str], relative: str | os.PathLike[str], data: bytes) -> Path:
    """Write ``data`` to ``root/relative`` atomically (see the module docstring); return the path.

    Folders between ``root`` and the file are created as needed.
    """
    *folders, name = _parts(relative)
    final = Path(root).joinpath(*folders, name)
    with folder(root, PurePosixPath(*folders) if folders else ".") as fd:
        temp = temporary_name(name)
        try:
            handle = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW | getattr(os, "O_CLOEXEC", 0),
                             0o666, dir_fd=fd)
        except OSError as exc:
            raise os_error(exc, final) from None
        try:
            try:
                _write_all(handle, data)
                os.fsync(handle)
            finally:
                os.close(handle)
            os.replace(temp, name, src_dir_fd=fd, dst_dir_fd=fd)
        except BaseException as exc:
            try:
                os.unlink(temp, dir_fd=fd)
            except OSError:
                pass
            if isinstance(exc, IsADirectoryError):
                raise UnsafePathError(f"{final} is a folder, not a file") from None
            if isinstance(exc, OSError):
                raise os_error(exc, final) from None
            raise
        try:
            os.fsync(fd)
        except OSError:
            pass
    return final


def _write_all(handle: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(handle, view):]


def write_text(root: str | os.PathLike[str], relative: str | os.PathLike[str], text: str) -> Path:
    """:func:`write_bytes` of UTF-8 ``text``."""
    return write_bytes(root, relative, text.encode("utf-8"))


def write_json(root: str | os.PathLike[str], relative: str | os.PathLike[str], data: Any) -> Path:
    """:func:`write_bytes` of ``data`` as indented JSON.

    Key order is kept (never ``sort_keys``): the order of a search space's genes is the
    order operators draw random numbers in.
    """
    return write_text(root, relative, json.dumps(data, indent=1))


#: the most bytes evodeap reads from one file of a run directory (a larger one is refused)
READ_LIMIT = 8 << 30
#: the most bytes of one JSON file evodeap reads (config, checkpoint, records, indexes, studies)
JSON_LIMIT = 256 << 20
#: the deepest nesting of arrays and objects a JSON file evodeap reads may have
JSON_DEPTH = 64


def _open_regular(fd: int, name: str, shown: Path) -> tuple[int, os.stat_result]:
    """A read-only descriptor of the regular file ``name`` in folder ``fd``, and its status.

    Opened with ``O_NOFOLLOW`` (a link is refused) and ``O_NONBLOCK`` (a FIFO or device
    cannot make the open wait), then ``fstat``-ed: anything but a regular file is refused.
    """
    flags = os.O_RDONLY | _NOFOLLOW | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        handle = os.open(name, flags, dir_fd=fd)
    except FileNotFoundError:
        raise FileNotFoundError(str(shown)) from None
    except OSError as exc:
        raise os_error(exc, shown, "read") from None
    info = os.fstat(handle)
    if not stat.S_ISREG(info.st_mode):
        os.close(handle)
        raise UnsafePathError(f"{shown} is not a regular file (a FIFO, device, socket or folder); "
                              f"evodeap reads only regular files in a run directory")
    return handle, info


def file_status(root: str | os.PathLike[str], relative: str | os.PathLike[str]) -> os.stat_result:
    """The status of the regular file ``root/relative`` (checked as :func:`read_bytes` checks it).

    Raises:
        FileNotFoundError: it does not exist.
        UnsafePathError: it, or a folder on the way, is a link or not a regular file.
    """
    *folders, name = _parts(relative)
    shown = Path(root).joinpath(*folders, name)
    with folder(root, PurePosixPath(*folders) if folders else ".", create=False) as fd:
        handle, info = _open_regular(fd, name, shown)
        os.close(handle)
        return info


def read_bytes(root: str | os.PathLike[str], relative: str | os.PathLike[str], limit: int = READ_LIMIT) -> bytes:
    """The bytes of the regular file ``root/relative``; links are refused, nothing is created.

    The file is opened without following a link and without blocking, and must be a
    regular file of at most ``limit`` bytes (a FIFO, a device or a huge sparse file is
    refused in one line, never waited for or read into memory).

    Raises:
        FileNotFoundError: the file (or a folder on the way) does not exist.
        UnsafePathError: it, or a folder on the way, is a link or not a regular file.
        DamagedFileError: it is larger than ``limit``.
    """
    *folders, name = _parts(relative)
    shown = Path(root).joinpath(*folders, name)
    with folder(root, PurePosixPath(*folders) if folders else ".", create=False) as fd:
        handle, info = _open_regular(fd, name, shown)
        try:
            if info.st_size > limit:
                raise DamagedFileError(f"{shown} is corrupt: {info.st_size} bytes, more than the {limit} "
                                       f"evodeap reads from such a file")
            chunks, size = [], 0
            while chunk := os.read(handle, 1 << 20):
                size += len(chunk)
                if size > limit:  # it grew while being read
                    raise DamagedFileError(f"{shown} is corrupt: more than the {limit} bytes evodeap reads "
                                           f"from such a file")
                chunks.append(chunk)
            return b"".join(chunks)
        except OSError as exc:
            raise os_error(exc, shown, "read") from None
        finally:
            os.close(handle)


def parse_json(text: bytes | str, shown: str | os.PathLike[str], depth: int = JSON_DEPTH) -> Any:
    """``text`` decoded as JSON, nested at most ``depth`` arrays and objects deep.

    The one JSON decoder of everything evodeap reads back (files and the database's JSON
    columns): a text that does not decode, or nests deeper than ``depth`` (``[[[…]]]``
    100,000 levels deep included), is refused in one line naming ``shown``.

    Raises:
        DamagedFileError: it does not decode or nests too deeply.
    """
    try:
        data = json.loads(text)
    except RecursionError:
        raise DamagedFileError(f"{shown} is corrupt: JSON nested more than {depth} levels deep") from None
    except (ValueError, UnicodeDecodeError, TypeError) as exc:
        raise DamagedFileError(f"{shown} is corrupt: {' '.join(str(exc).split())}") from None
    level, stack = 0, [(data, 1)]
    while stack:  # iterative: a deep value cannot exhaust the stack here
        value, level = stack.pop()
        if isinstance(value, (dict, list)):
            if level > depth:
                raise DamagedFileError(f"{shown} is corrupt: JSON nested more than {depth} levels deep")
            stack.extend((v, level + 1) for v in (value.values() if isinstance(value, dict) else value))
    return data


def read_json(root: str | os.PathLike[str], relative: str | os.PathLike[str], limit: int = JSON_LIMIT) -> Any:
    """The JSON value of the regular file ``root/relative``: :func:`read_bytes` with ``limit``,
    then :func:`parse_json` — the one reader of every JSON file of a run or study directory.

    Raises:
        FileNotFoundError: the file does not exist.
        RunDirectoryError: it is a link, not a regular file, too large, or not JSON nested at most
            :data:`JSON_DEPTH` deep (one line naming it).
    """
    return parse_json(read_bytes(root, relative, limit), Path(root) / relative)


def own_copy(root: str | os.PathLike[str], relative: str | os.PathLike[str]) -> bool:
    """Give ``root/relative`` its own inode if it shares one (a hard link, ``cp -al``): copy it
    aside and rename the copy over the name, so writing it in place never writes the other
    name's file. Returns True when it copied; a missing file is left alone.

    Raises:
        UnsafePathError: it is a link or not a regular file.
    """
    *folders, name = _parts(relative)
    shown = Path(root).joinpath(*folders, name)
    with folder(root, PurePosixPath(*folders) if folders else ".", create=False) as fd:
        try:
            handle, info = _open_regular(fd, name, shown)
        except FileNotFoundError:
            return False
        try:
            if info.st_nlink <= 1:
                return False
            temp = temporary_name(name)
            try:
                out = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW | getattr(os, "O_CLOEXEC", 0),
                              stat.S_IMODE(info.st_mode), dir_fd=fd)
                try:
                    while chunk := os.read(handle, 1 << 20):
                        _write_all(out, chunk)
                    os.fsync(out)
                finally:
                    os.close(out)
                os.replace(temp, name, src_dir_fd=fd, dst_dir_fd=fd)
            except OSError as exc:
                try:
                    os.unlink(temp, dir_fd=fd)
                except OSError:
                    pass
                raise os_error(exc, shown) from None
            os.fsync(fd)
            return True
        finally:
            os.close(handle)
