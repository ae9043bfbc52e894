"""Other ways to search the same space at the same compute: the peers evodeap is measured against.

* :mod:`evodeap.baselines.peers` — random, grid, Hyperband, Optuna TPE, Keras Tuner, SMAC3.
"""
