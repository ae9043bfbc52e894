"""Run directories: starting, checking, resuming, extending and finishing a run on disk.

* :mod:`evodeap.runs.lifecycle` — ``run`` / ``resume``: start, checkpoint, resume and finish a run;
* :mod:`evodeap.runs.inspection` — read and check an existing run directory, writing nothing: what
  it records, which experiment file to execute, the state to resume from;
* :mod:`evodeap.runs.extension` — ``resume --set generations=N``: extending a run (recorded);
* :mod:`evodeap.runs.rundir` — the run directory's files and their reading and writing;
* :mod:`evodeap.runs.logbook` — ``logbook.csv``, one line appended per generation;
* :mod:`evodeap.runs.formats` — the versions of those files and their upgrades;
* :mod:`evodeap.runs.checkpoints` — ``checkpoint.json``'s checks and the run it belongs to;
* :mod:`evodeap.runs.lock` — one writer per run directory (an OS-level lock);
* :mod:`evodeap.runs.provenance` — the experiment file and its sources, hashed and recorded.
"""
