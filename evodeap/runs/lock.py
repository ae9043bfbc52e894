"""One writer per run directory: an OS-level lock with the holder's name.

Every command that writes into a run directory (``run``, ``resume``, ``report`` into the
directory, ``export``) holds :class:`RunLock` while it writes. The lock is ``fcntl.flock``
on the directory itself (a descriptor of it held open: deleting a file cannot release it,
and :meth:`RunLock.moved_to` tells when the directory was renamed under its holder) and on
the file ``.evodeap-lock`` in it, which holds the holder's host, process id, command and
start time as JSON (a hard-linked one, from ``cp -al``, is replaced, never written):

* a second writer is refused at once with one line naming the holder
  (:class:`~evodeap.errors.RunLockedError`);
* the kernel drops the lock when its process ends, however it ends (``kill -9``
  included), so a lock file left by a killed process is *stale*: it is not locked, the
  next command takes it over and :attr:`RunLock.stale` tells whom it was left by;
* the holder removes the file when it releases the lock. A command that opened the old
  file in the meantime notices that the name now leads elsewhere and tries again, so two
  commands never both hold the lock.

The lock is re-entrant within a process (a study holds its own lock and each sub-run's).
The file is opened with ``O_NOFOLLOW``: a planted link is refused, never written through.
"""
from __future__ import annotations

import errno
import fcntl
import json
import os
import socket
import stat
import time
from pathlib import Path
from typing import Any

from evodeap.errors import RunLockedError, UnsafePathError
from evodeap.files import os_error

LOCK_NAME = ".evodeap-lock"
_FLAGS = os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
_held: dict[tuple[int, int], "RunLock"] = {}  # (device, inode) of the directory -> the lock held on it


def describe_holder(info: dict[str, Any] | None) -> str:
    """``evodeap resume (pid 123 on host, since 2024-05-01 10:00:00)`` from a lock file's JSON."""
    if not info:
        return "another process"
    command = f"evodeap {info['command']}" if info.get("command") else "a process"
    return f"{command} (pid {info.get('pid', '?')} on {info.get('host', '?')}, since {info.get('since', '?')})"


class RunLock:
    """The exclusive lock of one run directory, as a context manager.

    Args:
        directory: the run directory (it must exist).
        command: what the holder is doing, named in refusals (``run``, ``resume`` ...).

    Attributes:
        stale: the holder information a killed process left behind, when the lock was
            taken over from one; otherwise ``None``.
    """

    def __init__(self, directory: str | os.PathLike[str], command: str) -> None:
        self.directory = Path(directory)
        self.command = command
        self.stale: dict[str, Any] | None = None
        self._fd: int | None = None
        self._dir_fd: int | None = None
        self._key: tuple[int, int] | None = None
        self._nested = False

    def __enter__(self) -> "RunLock":
        self.acquire()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.release()

    @property
    def path(self) -> Path:
        return self.directory / LOCK_NAME

    def acquire(self) -> None:
        """Take the lock, or raise :class:`RunLockedError` naming the holder."""
        try:
            dir_fd = os.open(self.directory, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_CLOEXEC", 0))
        except OSError as exc:
            raise os_error(exc, self.directory, "open") from None
        info = os.fstat(dir_fd)
        key = (info.st_dev, info.st_ino)
        if key in _held:  # this process holds it already (an enclosing RunLock releases it)
            os.close(dir_fd)
            self._nested = True
            return
        _lock_directory(dir_fd, self.directory, self.path)
        for _ in range(20):
            fd = self._open(dir_fd)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError as exc:
                holder = _live_holder(fd)
                os.close(fd)
                os.close(dir_fd)
                if exc.errno not in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                    raise os_error(exc, self.path, "lock") from None
                raise RunLockedError(
                    f"{self.directory} is in use: {describe_holder(holder)} holds its lock ({self.path}); "
                    f"wait for it to finish or stop it, then try again") from None
            if _same_file(fd, dir_fd):
                break
            os.close(fd)  # the holder removed the file after we opened it: try the new one
        else:
            os.close(dir_fd)
            raise RunLockedError(f"{self.directory}: could not take {self.path} (it keeps changing)")
        self.stale = _read_info(fd)
        record = {"host": socket.gethostname(), "pid": os.getpid(), "command": self.command,
                  "since": time.strftime("%Y-%m-%d %H:%M:%S %z")}
        try:
            os.ftruncate(fd, 0)
            os.pwrite(fd, json.dumps(record).encode(), 0)
        except OSError as exc:
            _unlink(dir_fd)
            os.close(fd)
            os.close(dir_fd)
            raise os_error(exc, self.path) from None
        self._fd, self._dir_fd, self._key = fd, dir_fd, key
        _held[key] = self

    def release(self) -> None:
        """Remove the lock file and drop the lock (a nested holder leaves both to the outer one)."""
        if self._nested:
            self._nested = False
            return
        if self._fd is None:
            return
        _held.pop(self._key, None)
        _unlink(self._dir_fd)  # while still holding the lock: see the module docstring
        os.close(self._fd)
        os.close(self._dir_fd)
        self._fd = self._dir_fd = None

    def moved_to(self) -> Path | None:
        """Where the locked directory is now, when it was moved or renamed since the lock was
        taken (``Path("?")`` when its new place cannot be told); ``None`` while it is in place."""
        if self._dir_fd is None:
            return None
        try:
            info = os.stat(self.directory)
            if (info.st_dev, info.st_ino) == self._key:
                return None
        except OSError:
            pass
        try:  # Linux names the folder a descriptor leads to
            return Path(os.readlink(f"/proc/self/fd/{self._dir_fd}"))
        except OSError:
            return Path("?")

    def _open(self, dir_fd: int) -> int:
        for attempt in range(2):
            try:
                fd = os.open(LOCK_NAME, _FLAGS | getattr(os, "O_NONBLOCK", 0), 0o644, dir_fd=dir_fd)
            except OSError as exc:
                os.close(dir_fd)
                if exc.errno == errno.ELOOP:
                    raise UnsafePathError(f"{self.path} is a symbolic link; refusing to use it as the lock") from None
                raise os_error(exc, self.path, "create the lock") from None
            info = os.fstat(fd)
            if not stat.S_ISREG(info.st_mode):
                os.close(fd)
                os.close(dir_fd)
                raise UnsafePathError(f"{self.path} is not a regular file")
            if info.st_nlink <= 1 or attempt:
                return fd
            os.close(fd)  # a hard link (cp -al) to another run's lock file: never write that one
            _unlink(dir_fd)
        raise AssertionError("unreachable")


def _lock_directory(dir_fd: int, directory: Path, path: Path) -> None:
    """``flock`` the directory itself (through ``dir_fd``): deleting the lock file cannot
    unlock it. A file system without locks on folders leaves the lock file's alone.

    Raises:
        RunLockedError: another process holds it (naming the holder the lock file records).
    """
    try:
        fcntl.flock(dir_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as exc:
        if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
            info = None
            try:
                fd = os.open(LOCK_NAME, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0),
                             dir_fd=dir_fd)
            except OSError:
                fd = None  # deleted under the holder: the folder's lock still holds
            if fd is not None:
                info = _live_holder(fd) if stat.S_ISREG(os.fstat(fd).st_mode) else None
                os.close(fd)
            os.close(dir_fd)
            raise RunLockedError(
                f"{directory} is in use: {describe_holder(info)} holds its lock ({path}); "
                f"wait for it to finish or stop it, then try again") from None
        if exc.errno not in (errno.EBADF, errno.EINVAL, errno.ENOLCK, getattr(errno, "EOPNOTSUPP", errno.EINVAL)):
            os.close(dir_fd)
            raise os_error(exc, directory, "lock") from None


def holder(directory: str | os.PathLike[str]) -> dict[str, Any] | None:
    """Who holds the lock of ``directory`` now (``None`` when nobody does); a probe that
    creates nothing and leaves the lock as it found it."""
    try:
        dir_fd = os.open(directory, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_CLOEXEC", 0))
    except OSError:
        return None
    try:
        fcntl.flock(dir_fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except OSError as exc:
        if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
            os.close(dir_fd)
            flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
            try:
                fd = os.open(Path(directory) / LOCK_NAME, flags)
            except OSError:
                return {}
            try:
                return (_read_info(fd) or {}) if stat.S_ISREG(os.fstat(fd).st_mode) else {}
            finally:
                os.close(fd)
    os.close(dir_fd)  # closing drops the probe's shared lock
    try:
        fd = os.open(Path(directory) / LOCK_NAME, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
    except OSError:
        return None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except OSError:
            return _read_info(fd) or {}
        fcntl.flock(fd, fcntl.LOCK_UN)
        return None
    finally:
        os.close(fd)


def _live_holder(fd: int, patience: float = 2.0) -> dict[str, Any] | None:
    """The holder information of a lock someone else holds.

    A new holder takes the lock *before* it writes its name, so for a moment the file can
    still name the killed process it took the lock over from: wait (up to ``patience``
    seconds) for a name whose process is alive; ``None`` ("another process") if none comes.
    """
    deadline = time.monotonic() + patience
    while True:
        info = _read_info(fd)
        if info is not None and (info.get("host") != socket.gethostname() or _alive(info.get("pid"))):
            return info
        if time.monotonic() >= deadline:
            return None
        time.sleep(0.05)


def _alive(pid: Any) -> bool:
    if isinstance(pid, bool) or not isinstance(pid, int) or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _read_info(fd: int) -> dict[str, Any] | None:
    try:
        data = os.pread(fd, 4096, 0)
        info = json.loads(data) if data else None
    except (OSError, ValueError):
        return None
    return info if isinstance(info, dict) else None


def _same_file(fd: int, dir_fd: int) -> bool:
    try:
        now = os.stat(LOCK_NAME, dir_fd=dir_fd, follow_symlinks=False)
    except FileNotFoundError:
        return False
    mine = os.fstat(fd)
    return (now.st_dev, now.st_ino) == (mine.st_dev, mine.st_ino)


def _unlink(dir_fd: int) -> None:
    try:
        os.unlink(LOCK_NAME, dir_fd=dir_fd)
    except OSError:
        pass
