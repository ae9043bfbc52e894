"""What a run was started from, and whether it is still the same: experiment-file hashes.

``evodeap run FILE`` records in ``experiment.json``::

    "sources": {"sha256": "<hash of FILE>",
                "modules": {"mylib.ops": {"path": "/abs/mylib/ops.py", "sha256": "..."}}}

``modules`` are the user's own modules the experiment names: modules, functions, classes
and objects in the file's namespace or in its ``CONFIG`` whose module is a file outside
evodeap, the Python installation and its site-packages. ``evodeap resume`` hashes the file
it is about to execute (and those modules) *before* executing anything, and refuses a
changed one unless forced (:func:`changed_sources`); a forced change is recorded in
``experiment.json``'s ``changes``.

``resume`` executes the experiment file by design. It never executes a file that lies
inside the run directory unless the user names it (:func:`experiment_file_to_run`): a run
directory received from someone else cannot make ``resume`` run code it carries.
"""
from __future__ import annotations

import dataclasses
import hashlib
import os
import sys
import sysconfig
import time
from pathlib import Path
from typing import Any, Iterable, Mapping

from evodeap.errors import ConfigError, RunDirectoryError


def sha256_file(path: str | os.PathLike[str]) -> str:
    """The SHA-256 of a file's bytes (hex)."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def now() -> str:
    """The local time as recorded in run-directory files."""
    return time.strftime("%Y-%m-%d %H:%M:%S %z")


def _system_folders() -> list[Path]:
    folders = {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix}
    folders |= {v for k, v in sysconfig.get_paths().items() if k in ("stdlib", "platstdlib", "purelib", "platlib")}
    return [Path(f).resolve() for f in folders if f]


def _inside(path: Path, folders: Iterable[Path]) -> bool:
    return any(path == f or f in path.parents for f in folders)


def _objects(namespace: Mapping[str, Any]) -> list[Any]:
    found = [v for k, v in namespace.items() if not k.startswith("__")]
    config = namespace.get("CONFIG")
    if dataclasses.is_dataclass(config):
        stack = [getattr(config, f.name) for f in dataclasses.fields(config)]
        while stack:
            value = stack.pop()
            if isinstance(value, Mapping):
                stack += list(value.values())
            elif isinstance(value, (list, tuple)):
                stack += list(value)
            elif not isinstance(value, (str, int, float, bool, type(None))):
                found.append(value)
    return found


def user_modules(namespace: Mapping[str, Any]) -> dict[str, Path]:
    """The user's own modules an experiment namespace names (name -> file)."""
    own = namespace.get("__name__")
    system = _system_folders()
    modules: dict[str, Path] = {}
    for value in _objects(namespace):
        if isinstance(value, type(sys)):
            name = value.__name__
        else:
            name = getattr(value, "__module__", None) or getattr(type(value), "__module__", None)
        if not isinstance(name, str) or name in modules or name == own or name.split(".")[0] in ("evodeap", "builtins"):
            continue
        module = sys.modules.get(name)
        file = getattr(module, "__file__", None)
        if not file or not file.endswith(".py"):
            continue
        path = Path(file).resolve()
        if path.is_file() and not _inside(path, system):
            modules[name] = path
    return dict(sorted(modules.items()))


def describe_sources(experiment_file: str | os.PathLike[str], namespace: Mapping[str, Any]) -> dict[str, Any]:
    """The ``sources`` record of an experiment file and the user modules it names."""
    return {
        "sha256": sha256_file(experiment_file),
        "modules": {name: {"path": str(path), "sha256": sha256_file(path)}
                    for name, path in user_modules(namespace).items()},
    }


def changed_sources(recorded: Mapping[str, Any] | None, experiment_file: Path) -> list[str]:
    """What differs between the recorded sources and the files on disk now (read, never run).

    Returns:
        One description per changed file (``"/abs/exp.py (sha256 1a2b3c4d… -> 5e6f7a8b…)"``);
        ``[]`` when nothing changed or nothing was recorded (a run started before hashes).
    """
    if not recorded:
        return []
    changes = []
    files = [(str(experiment_file), recorded["sha256"])]
    files += [(m["path"], m["sha256"]) for m in recorded.get("modules", {}).values()]
    for path, old in files:
        try:
            new = sha256_file(path)
        except OSError:
            changes.append(f"{path} (missing)")
            continue
        if new != old:
            changes.append(f"{path} (sha256 {old[:8]}… -> {new[:8]}…)")
    return changes


def experiment_file_to_run(run_dir: Path, source: Mapping[str, Any], named: str | os.PathLike[str] | None,
                           where: str = "experiment.json") -> Path:
    """The experiment file ``resume`` will execute: the one the user names, else the recorded one.

    Raises:
        RunDirectoryError: the recorded file lies inside the run directory (it came with
            the directory; evodeap does not execute it unless named).
        ConfigError: the file does not exist.
    """
    if named is not None:
        path = Path(named).resolve()
    else:
        if not source.get("file"):
            raise RunDirectoryError(f"{run_dir} was started from Python, not from an experiment file; "
                                    f"resume it with evodeap.resume(dir, config)")
        path = Path(source["file"]).resolve()
        if _inside(path, [Path(run_dir).resolve()]):
            raise RunDirectoryError(
                f"{run_dir}/{where} names {path}, which lies inside the run directory; evodeap does not execute "
                f"code that came with a run directory. If you trust it: evodeap resume {run_dir} --experiment {path}")
    if not path.is_file():
        raise ConfigError(f"experiment file not found: {path} (recorded in {run_dir}/{where}); "
                          f"name it with: evodeap resume {run_dir} --experiment FILE")
    return path


def record_change(source: dict[str, Any], change: str, *, forced: bool = False, exact: bool = True) -> dict[str, Any]:
    """``source`` with one more entry in ``changes`` (time, what, forced, exact continuation)."""
    entry = {"time": now(), "change": change, "forced": forced, "exact_continuation": exact}
    return {**source, "changes": [*source.get("changes", []), entry]}


def is_exact_continuation(source: Mapping[str, Any]) -> bool:
    """False once a recorded change made the run differ from an uninterrupted one."""
    return all(c.get("exact_continuation", True) for c in source.get("changes", []))
