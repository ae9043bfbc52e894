"""What a finished run says: tables, figures, statistics, the exported best model.

* :mod:`evodeap.reports.run_report` — ``evodeap report DIR``: tables (CSV + Markdown), figures;
* :mod:`evodeap.reports.stats` — statistics shared by every report (tests, CIs, best-so-far);
* :mod:`evodeap.reports.efficiency` — compute to reach a reference, search summaries;
* :mod:`evodeap.reports.ranking` — normalised regret, mean ranks, Friedman test, critical differences;
* :mod:`evodeap.reports.export` — ``evodeap export DIR``: the best model as a Keras file;
* :mod:`evodeap.reports.exported` — an export read back: the model and its input pipeline (``evodeap.export.load``);
* :mod:`evodeap.reports.importance` — which genes matter: first-order importance over the trials table;
* :mod:`evodeap.reports.learning` — does the best model learn: hall of fame (validation beside test), chance;
* :mod:`evodeap.reports.stale` — outputs an extension made stale: rebuilt, or named until they are.
"""
