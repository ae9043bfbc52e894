"""Outputs an extension made stale: rebuilt when it finishes, and named until they are.

``evodeap resume DIR --set generations=N`` marks the run's ``tables/``, ``figures/`` and
``best_model.*`` stale while it runs (``STALE.json``, :func:`evodeap.runs.extension.mark_stale`);
when the extension finishes, :func:`refresh_stale` rebuilds them — the report from the
database, the export with the training splits the earlier export used (an ``--epochs`` of the
earlier export is not repeated: the best genome may have changed) — and removes the marker.
What cannot be rebuilt (an export whose retraining fails) stays marked, and
:func:`stale_notes` is what ``evodeap report`` and ``evodeap resume`` print about it.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Callable

from evodeap.errors import EvodeapError
from evodeap.runs.extension import STALE, read_stale, unmark_stale

REPORT_OUTPUTS = ("tables", "figures")
EXPORT_OUTPUTS = ("best_model.json", "best_model.keras")


def refresh_stale(run_dir: str | Path) -> list[str]:
    """Rebuild the stale outputs of a run directory whose extension finished; returns the
    lines to print about what could not be rebuilt (none when all was)."""
    from evodeap.reports.export import export_best
    from evodeap.reports.run_report import write_report

    run_dir = Path(run_dir)
    stale = read_stale(run_dir).get("stale", [])
    rebuilt, problems = [], []
    if any(name in stale for name in REPORT_OUTPUTS):
        try:
            write_report(run_dir)
            rebuilt += list(REPORT_OUTPUTS)
        except EvodeapError as exc:
            problems.append(f"{run_dir}: tables/ and figures/ not rebuilt ({exc})")
    if any(name in stale for name in EXPORT_OUTPUTS):
        try:
            export_best(run_dir, train_on=_earlier_splits(run_dir), overwrite=True)
            rebuilt += list(EXPORT_OUTPUTS)
        except EvodeapError as exc:
            problems.append(f"{run_dir}: best_model.* not rebuilt ({exc})")
    unmark_stale(run_dir, rebuilt)
    return problems + stale_notes(run_dir, wrote_report=False)


def _earlier_splits(run_dir: Path) -> str:
    """``train`` or ``train+val``: the splits the earlier export trained on."""
    try:
        splits = json.loads((run_dir / EXPORT_OUTPUTS[0]).read_text()).get("train_on", ["train"])
    except (OSError, ValueError, AttributeError):
        return "train"
    return "train+val" if list(splits) == ["train", "val"] else "train"


def stale_notes(directory: str | Path, wrote_report: bool) -> list[str]:
    """Lines about the stale outputs of ``directory``: after ``evodeap report`` wrote its
    tables and figures there (``wrote_report``) those are no longer stale."""
    directory = Path(directory)
    if wrote_report:
        unmark_stale(directory, list(REPORT_OUTPUTS))
    marker = read_stale(directory)
    if not marker:
        return []
    stale, extension = marker["stale"], marker.get("extension", "an extension")
    notes = [f"{directory}: {', '.join(stale)} predate the extension ({extension}; see {STALE})"]
    if any(name in stale for name in REPORT_OUTPUTS):
        notes.append(f"rebuild tables/ and figures/ with: evodeap report {directory}")
    if any(name in stale for name in EXPORT_OUTPUTS):
        notes.append(f"rebuild best_model.* with: evodeap export {directory} --force")
    return notes


def refresh_after_resume(directory: str | Path, arms: list | None = None,
                         study_reports: Callable[[Path], list[Path]] | None = None) -> list[str]:
    """After a resume of a run (``arms=None``) or of a study (its ``arms``): rebuild what an
    extension made stale — the run's outputs, or every sub-run's and, with ``study_reports``
    (``directory -> paths``), the study's own tables and figures; returns the lines to print."""
    directory = Path(directory)
    notes: list[str] = []
    for arm in arms or []:
        if read_stale(arm.path):
            notes += refresh_stale(arm.path)
    if arms is None:
        return notes + (refresh_stale(directory) if read_stale(directory) else [])
    if study_reports is not None and any(n in read_stale(directory).get("stale", []) for n in REPORT_OUTPUTS):
        study_reports(directory)
        notes += stale_notes(directory, wrote_report=True)
    return notes


__all__ = ["refresh_after_resume", "refresh_stale", "stale_notes"]
