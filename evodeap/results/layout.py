"""Where a study keeps its runs, and the readers that accept a study directory.

A study directory holds ``study.json`` (its ``variants`` and ``seeds``) and one ordinary run
directory per arm, ``DIR/<variant>/seed-<seed>/`` (:mod:`evodeap.studies.study` writes it).
:func:`sub_runs` lists those sub-runs from ``study.json`` (``None`` for a run directory), and
:func:`study_aware` makes a run-level reader — ``reader(run_dir) -> DataFrame`` — accept a
study directory too: it reads every sub-run that has a database and concatenates the frames,
each with two leading columns, ``variant`` and ``seed`` (the sub-run's seed). A column the
run-level frame already calls ``seed`` (an evaluation's own seed) is renamed ``eval_seed``.
"""
from __future__ import annotations

import functools
import json
import re
from numbers import Integral
from pathlib import Path
from typing import Any, Callable, TypeVar

from evodeap.errors import DamagedFileError, RunDirectoryError
from evodeap.files import read_bytes

__all__ = ["NAME", "STUDY_FILE", "check_plan", "is_study", "study_aware", "sub_runs"]

STUDY_FILE = "study.json"
#: a variant (and experiment) name: safe as a folder name
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.+-]*$")

F = TypeVar("F", bound=Callable[..., Any])


def _short(value: Any) -> str:
    text = json.dumps(value, default=str)
    return text if len(text) <= 60 else text[:57] + "..."


def check_plan(variants: Any, seeds: Any, path: Path | str) -> None:
    """Refuse (one line naming ``path``) variants that are not a non-empty list of safe names,
    or seeds that are not a non-empty list of integers ``>= 0``."""
    if not isinstance(variants, list) or not variants or not all(isinstance(v, str) and NAME.match(v) for v in variants):
        raise DamagedFileError(f"{path} is corrupt: 'variants' must be a non-empty list of names (letters, digits, "
                               f"'_', '.', '+', '-'), found {_short(variants)}")
    if not isinstance(seeds, list) or not seeds or not all(
            isinstance(s, Integral) and not isinstance(s, bool) and s >= 0 for s in seeds):
        raise DamagedFileError(f"{path} is corrupt: 'seeds' must be a non-empty list of integers >= 0, "
                               f"found {_short(seeds)}")


def is_study(path: str | Path) -> bool:
    """Whether ``path`` is a study directory (it holds ``study.json``)."""
    target = Path(path) / STUDY_FILE
    return Path(path).is_dir() and (target.exists() or target.is_symlink())


def sub_runs(path: str | Path) -> list[tuple[str, int, Path]] | None:
    """``[(variant, seed, sub-run directory)]`` of a study directory in plan order (variants,
    then seeds), or ``None`` when ``path`` is not a study directory. ``study.json`` is read
    without following a link and its variants and seeds are checked (:func:`check_plan`)."""
    if not is_study(path):
        return None
    path = Path(path)
    try:
        info = json.loads(read_bytes(path, STUDY_FILE))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise DamagedFileError(f"{path / STUDY_FILE} is corrupt: {exc}") from None
    if not isinstance(info, dict):
        raise DamagedFileError(f"{path / STUDY_FILE} is corrupt: expected a JSON object")
    check_plan(info.get("variants"), info.get("seeds"), path / STUDY_FILE)
    return [(v, int(s), path / v / f"seed-{s}") for v in info["variants"] for s in info["seeds"]]


def study_aware(reader: F) -> F:
    """``reader(run_dir, ...)`` that also accepts a study directory (see the module docstring).

    Sub-runs without a results database yet (not started) are left out; a study with none
    is refused in one line.
    """
    @functools.wraps(reader)
    def read(path: str | Path, *args: Any, **kwargs: Any):
        runs = sub_runs(path)
        if runs is None:
            return reader(path, *args, **kwargs)
        import pandas as pd

        frames = []
        for variant, seed, sub in runs:
            if not ((sub / "results.sqlite").exists() or (sub / "results.sqlite").is_symlink()):
                continue
            frame = reader(sub, *args, **kwargs).rename(columns={"seed": "eval_seed"})
            frame.insert(0, "seed", seed)
            frame.insert(0, "variant", variant)
            frames.append(frame)
        if not frames:
            raise RunDirectoryError(f"no sub-run of the study {path} has a results database yet")
        return pd.concat(frames, ignore_index=True)

    return read  # type: ignore[return-value]
