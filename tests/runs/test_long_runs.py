"""A generation's bookkeeping does not grow with the run's length (issue 25, §6): the checkpoint
holds the state only, and logbook.csv grows by one appended line per generation — the
database's logbook is read whole once per process, not once per generation. (The time per
generation over 10,000 generations is measured by experiments/bench_long_run.py, not here.)"""
from __future__ import annotations

import csv
import dataclasses
import json
import os

from evodeap.config.settings import ExperimentConfig
from evodeap.results.storage import ResultsDB
from evodeap.runs import logbook as rundir  # the module that writes logbook.csv
from evodeap.runs.lifecycle import resume, run
from evodeap.runs.logbook import logbook_text
from helpers_rundir import db_logbook, stopped_run


def config(**changes) -> ExperimentConfig:
    return dataclasses.replace(ExperimentConfig(population_size=6, generations=40, seed=4, refine_every=0), **changes)


def test_the_checkpoint_does_not_grow_with_the_run(tmp_path):
    out = tmp_path / "run"
    sizes = {}

    def measure(report):  # the checkpoint of the generation before, less its members' genomes
        if report.generation >= 2:
            state = json.loads((out / "checkpoint.json").read_text())
            assert len(state["population"]) == 6 and len(state["hall_of_fame"]) <= 10
            assert state["refinements"] == [] and "logbook" not in state
            members = len(json.dumps(state["population"])) + len(json.dumps(state["hall_of_fame"]))
            sizes[report.generation - 1] = len(json.dumps(state)) - members

    run(config(), out, on_generation=measure)
    values = [sizes[g] for g in sorted(sizes)]  # the digits of the random states vary: no trend allowed
    assert abs(sum(values[-10:]) / 10 - sum(values[:10]) / 10) < 100, values


def test_logbook_csv_gets_a_line_per_generation_and_the_logbook_is_read_whole_once(tmp_path, monkeypatch):
    reads, whole = [], []
    logbook_rows, write_text = ResultsDB.logbook_rows, rundir.write_text

    def counting_rows(self, through=None):
        reads.append(through)
        return logbook_rows(self, through)

    def counting_write(root, relative, text):
        if str(relative) == "logbook.csv":
            whole.append(text.count("\n"))
        return write_text(root, relative, text)

    monkeypatch.setattr(ResultsDB, "logbook_rows", counting_rows)
    monkeypatch.setattr(rundir, "write_text", counting_write)
    out = tmp_path / "run"
    sizes = []
    run(config(), out, on_generation=lambda report: sizes.append(
        (out / "logbook.csv").stat().st_size if (out / "logbook.csv").exists() else 0))
    assert whole == [2]  # generation 0 written whole (header and one line); 40 lines appended since
    assert len(reads) == 2  # that first write and the end's check, whatever the number of generations
    assert all(b > a for a, b in zip(sizes[1:], sizes[2:]))
    assert (out / "logbook.csv").read_text() == logbook_text(db_logbook(out))


def test_an_interrupted_run_rewrites_its_logbook_whole_once_and_ends_exact(tmp_path):
    out = stopped_run(config(generations=6), tmp_path / "run", after=3)
    with open(out / "logbook.csv", "a") as handle:
        handle.write("1,2,partial")  # a line cut by the interruption
    resume(out, config(generations=6))
    assert (out / "logbook.csv").read_text() == logbook_text(db_logbook(out))
    full = tmp_path / "full"
    run(config(generations=6), full)
    assert table(out / "logbook.csv") == table(full / "logbook.csv")


def table(path) -> list[dict]:
    """logbook.csv's rows without the wall-clock column."""
    with open(path, newline="") as handle:
        return [{k: v for k, v in row.items() if k != "elapsed"} for row in csv.DictReader(handle)]


def test_a_hard_linked_logbook_is_never_appended_to(tmp_path):
    out = tmp_path / "run"
    elsewhere = tmp_path / "other-name.csv"

    def link(report):
        if report.generation == 2:
            os.link(out / "logbook.csv", elsewhere)  # as `cp -al` would leave it

    run(config(generations=5), out, on_generation=link)
    linked = elsewhere.read_text()
    assert linked.count("\n") == 3  # header, generations 0 and 1: what it held when linked
    assert (out / "logbook.csv").read_text() == logbook_text(db_logbook(out))
