"""The best model of every arm and seed of a study: the ``study_best`` table and ``evodeap export STUDY``.

* :func:`study_best` — one row per (variant, seed): the sub-run's best evaluation
  (:func:`evodeap.reports.export.best_evaluation`: the ``ok`` evaluation with the highest first
  objective, full-budget only under multi-fidelity), its genome (``structure``, ``hp_*``), its
  fitness components and every metric it recorded (``metric_val_*`` beside ``metric_test_*``);
  a sub-run without one has its ``status`` (``not started``, ``no successful evaluation``).
* :func:`export_study` — ``evodeap export STUDY``: the best model of **every sub-run**, each
  into its own sub-run directory (``STUDY/<variant>/seed-<seed>/best_model.keras`` and
  ``.json``) or, with ``out``, into ``OUT/<variant>/seed-<seed>/``. Every sub-run, not only
  the study's single best: a study's claims are about arms over seeds, and the study's best
  model is one row of ``study_best`` (export it alone with ``evodeap export
  STUDY/<variant>/seed-<seed>``). Existing exports are refused before any training unless
  ``overwrite``; the study directory's lock is held while its sub-runs are written.
"""
from __future__ import annotations

from contextlib import nullcontext
from pathlib import Path
from typing import Any

from evodeap.errors import EvodeapError
from evodeap.reports.export import Export, ExportError, INFO_FILE, MODEL_FILE, _refuse_existing, best_evaluation, export_best
from evodeap.studies.study import Arm, arms

__all__ = ["export_study", "study_best"]

_FIRST = ["variant", "seed", "status", "generation", "idx", "key", "fitness", "structure", "units"]


def study_best(directory: str | Path):
    """The best evaluation of every sub-run of a study (see the module docstring), in plan order."""
    import pandas as pd

    rows = []
    for arm in arms(directory):
        row: dict[str, Any] = {"variant": arm.variant, "seed": arm.seed}
        if not (arm.path / "results.sqlite").exists():
            rows.append({**row, "status": "not started"})
            continue
        try:
            best = best_evaluation(arm.path)
        except ExportError:
            rows.append({**row, "status": "no successful evaluation"})
            continue
        best["eval_seed"] = best.pop("seed", None)
        best = {k: v for k, v in best.items() if k not in ("message", "worker")}
        best["structure"] = best.pop("layer_kinds", "")
        rows.append({**row, **best, "status": "ok"})
    frame = pd.DataFrame(rows)
    first = [c for c in _FIRST if c in frame.columns]
    return frame[first + [c for c in frame.columns if c not in first]]


def export_study(directory: str | Path, *, out: str | Path | None = None, overwrite: bool = False,
                 **options: Any) -> list[tuple[Arm, Export]]:
    """Export the best model of every started sub-run (see the module docstring); returns
    ``[(arm, export)]``. ``options`` go to :func:`evodeap.reports.export.export_best`
    (``epochs``, ``train_on``).

    Raises:
        ExportError: no sub-run has a successful evaluation; RunDirectoryError: an export
        exists (without ``overwrite``), or the study is in use. Nothing is written then.
    """
    from evodeap.runs.lock import RunLock

    directory = Path(directory)
    started = [arm for arm in arms(directory) if (arm.path / "results.sqlite").exists()]
    if not started:
        raise ExportError(f"no sub-run of the study {directory} has started yet")
    targets = {arm: (Path(out) / arm.variant / f"seed-{arm.seed}" if out is not None else arm.path) for arm in started}
    if not overwrite:  # before any training
        _refuse_existing([path / name for path in targets.values() for name in (MODEL_FILE, INFO_FILE)])
    exportable = []
    for arm in started:
        try:
            best_evaluation(arm.path)
            exportable.append(arm)
        except ExportError:
            continue
    if not exportable:
        raise ExportError(f"no sub-run of the study {directory} has a successful full-budget evaluation to export")
    done = []
    with RunLock(directory, "export") if out is None else nullcontext():
        for arm in exportable:
            try:
                done.append((arm, export_best(arm.path, out=None if out is None else targets[arm],
                                              overwrite=overwrite, **options)))
            except EvodeapError as exc:
                raise ExportError(f"{exc} (sub-run {arm.variant}/seed-{arm.seed}; the {len(done)} exported before "
                                  f"it are kept)") from None
    return done
