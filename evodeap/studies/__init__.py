"""Studies: many runs of one experiment (variants × seeds), and what they say together.

* :mod:`evodeap.studies.study` — run and resume a study's sub-runs;
* :mod:`evodeap.studies.pool` — one worker pool shared by all the sub-runs of a study;
* :mod:`evodeap.studies.report` — a study's summary, comparisons, figures and report;
* :mod:`evodeap.studies.best` — the best model of every arm and seed (``study_best``, ``evodeap export STUDY``);
* :mod:`evodeap.studies.curves` — per-generation curves of every arm and seed, and their bands;
* :mod:`evodeap.studies.factorial` — main effects and interactions of a factorial study.
"""
