"""Studies: many runs of one experiment (variants × seeds), and what they say together.

* :mod:`evodeap.studies.study` — run and resume a study's sub-runs;
* :mod:`evodeap.studies.report` — a study's summary, curves and comparisons;
* :mod:`evodeap.studies.factorial` — main effects and interactions of a factorial study.
"""
