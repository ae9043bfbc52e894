"""A run's history, stored once: the results database and everything derived from it.

* :mod:`evodeap.results.storage` — ``results.sqlite``: every evaluation and generation;
* :mod:`evodeap.results.history` — who was alive in each generation, and who made whom;
* :mod:`evodeap.results.trials` — one flat table of all evaluations (``trials_dataframe``);
* :mod:`evodeap.results.columns` — the one column naming of every table.
"""
