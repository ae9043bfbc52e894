"""A run's history, stored once: the results database and everything derived from it.

* :mod:`evodeap.results.schema` — ``results.sqlite``'s tables and version, and the checks on every opening;
* :mod:`evodeap.results.storage` — ``ResultsDB``, the writer: every evaluation and generation;
* :mod:`evodeap.results.queries` — the readers: evaluations, generations, compute, private snapshots;
* :mod:`evodeap.results.history` — who was alive in each generation, and who made whom;
* :mod:`evodeap.results.trials` — one flat table of all evaluations (``trials_dataframe``);
* :mod:`evodeap.results.columns` — the one column naming of every table;
* :mod:`evodeap.results.layout` — where a study keeps its runs; readers that accept a study directory.
"""
