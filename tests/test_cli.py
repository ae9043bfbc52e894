"""The command line: the demo runs, bad input gets one line and exit status 2."""
from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import pytest

from evodeap.cli import main

ROOT = Path(__file__).resolve().parents[1]
DEMO = str(ROOT / "experiments" / "landscape_demo.py")


def run_cli(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_demo_runs_and_writes_a_run_directory(tmp_path, capsys):
    out_dir = tmp_path / "run"
    code, out, err = run_cli(capsys, "run", DEMO, "--set", "generations=3", "--set", "population_size=10",
                             "--out", str(out_dir), "--seed", "4")
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0].split()[:3] == ["gen", "nevals", "hits"]
    assert [line.split()[0] for line in lines[1:5]] == ["0", "1", "2", "3"]
    assert {p.name for p in out_dir.iterdir()} >= {"config.json", "logbook.csv", "hall_of_fame.json", "space.json"}
    config = json.loads((out_dir / "config.json").read_text())
    assert config["seed"] == 4 and config["generations"] == 3 and config["space"]["family"] == "cnn"
    rows = list(csv.DictReader((out_dir / "logbook.csv").open()))
    assert [int(r["generation"]) for r in rows] == [0, 1, 2, 3]
    best = json.loads((out_dir / "hall_of_fame.json").read_text())[0]
    assert float(rows[-1]["best"]) == pytest.approx(best["fitness"][0])


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--set", "crossover=bogus"], "unknown crossover 'bogus'; known: one_point, two_point, uniform"),
        (["--set", "space.learning_rate.low=1.0"], "inverted range"),
        (["--set", "space.min_layers=9"], "min_layers (9) > max_layers (7)"),
        (["--set", "nonsense=1"], "unknown setting 'nonsense'"),
        (["--set", "noequals"], "--set expects key=value"),
        (["--set", "mutation_params.bogus=1"], "has no parameter(s) ['bogus']"),
        (["--set", "cxpb=1.5"], "cxpb must be a number in [0, 1], got 1.5"),
        (["--set", "population_size=many"], "population_size must be an integer in [2, 100_000], got 'many'"),
        (["--set", "tensorboard=3"], "tensorboard must be true or false, got 3"),
        (["--set", "executor_params.bogus=1", "--executor", "process"], "not taken by the process executor"),
        (["--set", 'multi_fidelity={"eta": 1}'], "multi_fidelity.eta must be >= 2"),
        (["--set", 'multi_fidelity={"min_budget": 1, "eta": 3, "max_budget": 9}'], "must be fixed at max_budget=9"),
        (["--set", 'early_termination={"top_k": 2, "patience": 3}'], "early_termination has no setting(s) ['patience']"),
        (["--set", "compute_budget=-5"], "compute_budget must be a number of training FLOPs in (0, 1e+30] or null, got -5"),
    ],
)
def test_bad_settings_exit_2_with_one_line(capsys, argv, message):
    code, out, err = run_cli(capsys, "run", DEMO, *argv)
    assert code == 2
    assert err.count("\n") == 1 and message in err
    assert "Traceback" not in err


def test_missing_and_broken_experiment_files(tmp_path, capsys):
    code, _, err = run_cli(capsys, "run", str(tmp_path / "nope.py"))
    assert code == 2 and "experiment file not found" in err
    broken = tmp_path / "broken.py"
    broken.write_text("raise ValueError('oops')\n")
    code, _, err = run_cli(capsys, "run", str(broken))
    assert code == 2 and "failed to load: ValueError: oops" in err
    syntax = tmp_path / "syntax.py"
    syntax.write_text("x = 1\nCONFIG = (\n")
    code, _, err = run_cli(capsys, "run", str(syntax))
    assert code == 2 and f"{syntax}:2: syntax error" in err
    empty = tmp_path / "empty.py"
    empty.write_text("x = 1\n")
    code, _, err = run_cli(capsys, "run", str(empty))
    assert code == 2 and "must define CONFIG" in err


def test_existing_run_directory_is_never_overwritten(tmp_path, capsys):
    out_dir = tmp_path / "run"
    out_dir.mkdir()
    (out_dir / "precious.txt").write_text("keep me")
    code, _, err = run_cli(capsys, "run", DEMO, "--set", "generations=1", "--out", str(out_dir))
    assert code == 2 and "exists and is not empty" in err
    assert [p.name for p in out_dir.iterdir()] == ["precious.txt"]
    assert (out_dir / "precious.txt").read_text() == "keep me"


def test_python_dash_m_entry_point(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "evodeap", "run", DEMO, "--set", "generations=1", "--set", "population_size=6", "--quiet"],
        capture_output=True, text=True, cwd=tmp_path, timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("best fitness")


def test_run_without_out_writes_a_default_run_directory_and_prints_it(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, out, err = run_cli(capsys, "run", DEMO, "--set", "generations=1", "--set", "population_size=6")
    assert code == 0, err
    (run_dir,) = (tmp_path / "runs").iterdir()
    assert run_dir.name.startswith("landscape_demo-")
    assert out.splitlines()[0] == f"run directory: {Path('runs') / run_dir.name}"
    assert {"config.json", "experiment.json", "results.sqlite", "checkpoint.json", "hall_of_fame.json"} <= \
        {p.name for p in run_dir.iterdir()}
    code, out, err = run_cli(capsys, "run", DEMO, "--set", "generations=1", "--set", "population_size=6", "--quiet")
    assert code == 0 and len(list((tmp_path / "runs").iterdir())) == 2  # a second run never shares the first's
    assert "run directory" in out  # --quiet: the summary still says where


def test_default_run_directory_names_are_safe_and_unique(tmp_path):
    from evodeap.runs.rundir import default_run_directory

    first = default_run_directory("my run/../x", tmp_path)
    second = default_run_directory("my run/../x", tmp_path)
    assert first.parent == second.parent == tmp_path and first != second
    assert first.name.startswith("my-run-x-") and second.name == f"{first.name}-2"
