"""Run the evodeap command line, killing itself with SIGKILL at one named stage of a run's
start or finish (for tests/runs/test_run_stages.py):

    python tests/kill_at.py STAGE evodeap-arguments...

Stages: ``experiment.json`` / ``config.json`` (just after that file is written),
``database-unrenamed`` (the database is built under its temporary name, not yet renamed),
``database`` (just after it exists), ``first-evaluation`` (just after the first evaluation
is stored), ``final-checkpoint`` (the last checkpoint is written, its logbook.csv not),
``hall_of_fame.json`` / ``space.json`` (just before that file is written), ``status``
(just before the status becomes ``finished``).
"""
from __future__ import annotations

import os
import signal
import sys


def die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def install(stage: str) -> None:
    import evodeap.files as files
    from evodeap.results.storage import ResultsDB

    write_bytes = files.write_bytes

    def killing_write(root, relative, data):
        name = str(relative)
        if name == stage and stage in ("hall_of_fame.json", "space.json"):
            die()
        if stage == "final-checkpoint" and name == "logbook.csv" and _last(root):
            die()
        path = write_bytes(root, relative, data)
        if name == stage:
            die()
        return path

    files.write_bytes = killing_write
    from evodeap.runs.logbook import LogbookFile

    append = LogbookFile.append

    def killing_append(self, data):  # logbook.csv grows a line per generation
        if stage == "final-checkpoint" and _last(self.directory.path):
            die()
        return append(self, data)

    LogbookFile.append = killing_append

    if stage == "database-unrenamed":
        replace = os.replace

        def killing_replace(src, dst, *args, **kwargs):
            if str(dst).endswith("results.sqlite"):
                die()
            return replace(src, dst, *args, **kwargs)

        os.replace = killing_replace
    create = ResultsDB.create.__func__

    def killing_create(cls, *args, **kwargs):
        db = create(cls, *args, **kwargs)
        if stage == "database":
            die()
        return db

    ResultsDB.create = classmethod(killing_create)
    add_evaluation, set_status = ResultsDB.add_evaluation, ResultsDB.set_status

    def killing_add(self, *args, **kwargs):
        add_evaluation(self, *args, **kwargs)
        if stage == "first-evaluation":
            die()

    def killing_status(self, status):
        if stage == "status" and status == "finished":
            die()
        set_status(self, status)

    ResultsDB.add_evaluation, ResultsDB.set_status = killing_add, killing_status


def _last(root) -> bool:
    import json
    from pathlib import Path

    state = json.loads((Path(root) / "checkpoint.json").read_text())
    config = json.loads((Path(root) / "config.json").read_text())
    return state["generation"] >= config["generations"]


if __name__ == "__main__":
    install(sys.argv[1])
    from evodeap.cli import main

    sys.exit(main(sys.argv[2:]))
