"""Run directories: the lifecycle of a run (start, checkpoint, resume, finish) and its files.

* :mod:`evodeap.runs.lifecycle` — ``run`` and ``resume``;
* :mod:`evodeap.runs.rundir` — the run directory's files, read and written atomically;
* :mod:`evodeap.runs.formats` — every file format's version and its checks, in one place;
* :mod:`evodeap.runs.lock` — one writer per run directory;
* :mod:`evodeap.runs.provenance` — what a run was started from (experiment-file hashes).
"""
