"""After ``resume --set generations=N`` the outputs of the shorter run are stale (issue 26):
marked while the extension runs, rebuilt when it finishes, and named by ``evodeap report``
while they are not."""
from __future__ import annotations

import csv
import json
import textwrap
from pathlib import Path

from evodeap.cli import main
from evodeap.runs.extension import STALE
from evodeap.runs.lifecycle import resume

ROOT = Path(__file__).resolve().parents[2]
DEMO = str(ROOT / "experiments" / "landscape_demo.py")
SMALL = ["--set", "population_size=4", "--set", "generations=2", "--set", "refine_every=0"]


def generations_in_table(directory: Path) -> list[int]:
    with (directory / "tables" / "generations.csv").open() as handle:
        return [int(row["generation"]) for row in csv.DictReader(handle)]


def reported_run(tmp_path: Path, capsys) -> Path:
    out = tmp_path / "run"
    assert main(["run", DEMO, *SMALL, "--out", str(out), "--quiet"]) == 0
    assert main(["report", str(out)]) == 0
    capsys.readouterr()
    assert generations_in_table(out) == [0, 1, 2]
    return out


def test_an_extension_marks_the_outputs_stale_while_it_runs_and_rebuilds_them(tmp_path, capsys):
    out = reported_run(tmp_path, capsys)
    seen = []

    def during(report):
        seen.append(json.loads((out / STALE).read_text())["stale"])

    resume(out, extend={"generations": 3}, on_generation=during)  # the Python API marks, and leaves the mark
    assert seen and all(s == ["figures", "tables"] for s in seen)
    assert main(["report", str(out), "--out", str(tmp_path / "elsewhere")]) == 0
    printed = capsys.readouterr().out
    assert "warning: " in printed and "figures, tables predate the extension (generations=3" in printed
    assert f"rebuild tables/ and figures/ with: evodeap report {out}" in printed
    assert main(["report", str(out)]) == 0  # rebuilt in place: no longer stale
    assert "predate" not in capsys.readouterr().out and not (out / STALE).exists()
    assert generations_in_table(out) == [0, 1, 2, 3]

    assert main(["resume", str(out), "--set", "generations=5", "--quiet"]) == 0  # the command line rebuilds
    assert "predate" not in capsys.readouterr().out
    assert not (out / STALE).exists() and generations_in_table(out) == [0, 1, 2, 3, 4, 5]


def test_an_export_that_cannot_be_rebuilt_stays_marked_and_report_says_how(tmp_path, capsys):
    out = reported_run(tmp_path, capsys)
    (out / "best_model.json").write_text(json.dumps({"train_on": ["train"]}))  # an export of the shorter run
    assert main(["resume", str(out), "--set", "generations=3", "--quiet"]) == 0
    printed = capsys.readouterr().out
    assert "best_model.* not rebuilt" in printed
    assert json.loads((out / STALE).read_text())["stale"] == ["best_model.json"]
    assert generations_in_table(out) == [0, 1, 2, 3]  # the report was rebuilt all the same
    assert main(["report", str(out)]) == 0
    assert f"rebuild best_model.* with: evodeap export {out} --force" in capsys.readouterr().out


def test_a_study_extension_rebuilds_the_study_report_and_every_sub_run_report(tmp_path, capsys):
    experiment = tmp_path / "study.py"
    experiment.write_text(textwrap.dedent("""
        from evodeap.config.settings import ExperimentConfig
        from evodeap.genome.space import SearchSpace

        CONFIG = ExperimentConfig(name="stale_study", space=SearchSpace(family="cnn"), population_size=4,
                                  generations=1, refine_every=0)
        VARIANTS = {"a": {}, "b": {"cxpb": 0.0}}
        SEEDS = [1]
    """))
    out = tmp_path / "study"
    assert main(["run", str(experiment), "--out", str(out), "--quiet"]) == 0
    assert main(["report", str(out)]) == 0
    assert main(["report", str(out / "a" / "seed-1")]) == 0
    before = (out / "tables" / "study_runs.csv").read_text()
    assert main(["resume", str(out), "--set", "generations=2", "--quiet"]) == 0
    assert not (out / STALE).exists() and not (out / "a" / "seed-1" / STALE).exists()
    assert (out / "tables" / "study_runs.csv").read_text() != before
    assert generations_in_table(out / "a" / "seed-1") == [0, 1, 2]
