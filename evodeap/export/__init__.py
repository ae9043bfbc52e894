"""The exported best model, from Python: write it, and load it back with its input pipeline (a
package of no modules of its own: the public home of the export API).

    import evodeap.export

    evodeap.export.export_best("runs/tiny")          # = evodeap export runs/tiny
    loaded = evodeap.export.load("runs/tiny")       # model + the input pipeline of training
    scores = loaded.predict(raw_videos)             # uint8 (N, T0, 72, 128) -> probabilities
    x_val, y_val = loaded.bundle().arrays("val")    # the recorded data set, prepared

The code lives in :mod:`evodeap.reports.export` (writing) and :mod:`evodeap.reports.exported`
(reading); :func:`export_study` exports every sub-run of a study (:mod:`evodeap.studies.best`).
``evodeap.export`` was once an alias of :mod:`evodeap.reports.export`: its public names are all
here still.
"""
from evodeap.reports.export import (INFO_FILE, MODEL_FILE, TRAIN_SPLITS, Export, ExportError, best_evaluation,
                                    data_record, export_best, run_fitness, split_metrics)
from evodeap.reports.exported import LoadedModel, load
from evodeap.studies.best import export_study

__all__ = ["Export", "ExportError", "INFO_FILE", "LoadedModel", "MODEL_FILE", "TRAIN_SPLITS", "best_evaluation",
           "data_record", "export_best", "export_study", "load", "run_fitness", "split_metrics"]
