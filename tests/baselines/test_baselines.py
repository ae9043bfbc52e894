"""experiments/baselines.py: evodeap's evolution against the baselines, same budget."""
from __future__ import annotations

import math
import runpy
from pathlib import Path

import pytest

from evodeap.results.queries import evaluations

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")  # keras_tuner's threading calls

SCRIPT = Path(__file__).resolve().parents[2] / "experiments" / "baselines.py"


# -- the experiment script --------------------------------------------------------------------------
def load_script() -> dict:
    return runpy.run_path(str(SCRIPT), run_name="baselines_under_test")


def test_script_is_an_experiment_file_and_main_does_not_run_on_import(tmp_path, monkeypatch):
    from evodeap.config.experiment import load_experiment

    monkeypatch.chdir(tmp_path)
    namespace = load_experiment(SCRIPT)
    assert namespace["CONFIG"].fitness == "landscape"
    assert list(tmp_path.iterdir()) == []


def test_evaluations_to_reach():
    reach = load_script()["evaluations_to_reach"]
    assert reach([0.1, 0.5, 0.7], 0.5) == 2
    assert reach([0.1, 0.5, 0.7], 0.1) == 1
    assert math.isnan(reach([0.1, 0.5, 0.7], 0.9))


def test_script_main_writes_table_figure_and_databases(tmp_path, capsys):
    main = load_script()["main"]
    out = tmp_path / "bl"
    argv = ["--out", str(out), "--seeds", "2", "--peers", "--set", "population_size=4", "--set", "generations=2"]
    assert main(argv) == 0
    table = (out / "tables" / "baselines.md").read_text()
    for method in ("evodeap", "random", "grid", "optuna_tpe", "keras_tuner_hyperband"):
        assert f"| {method} |" in table
        for seed in (0, 1):
            assert (out / method / f"seed{seed}" / "results.sqlite").is_file()
    assert table in capsys.readouterr().out
    assert (out / "tables" / "baselines.csv").is_file() and (out / "tables" / "curves.csv").is_file()
    for suffix in ("png", "svg"):
        assert (out / "figures" / f"best_so_far.{suffix}").stat().st_size > 1000
    for seed in (0, 1):  # every method got the EA's budget on that seed
        budget = len(evaluations(out / "evodeap" / f"seed{seed}"))
        assert 0 < budget <= 4 * 3
        for method in ("random", "grid", "optuna_tpe", "keras_tuner_hyperband"):
            assert len(evaluations(out / method / f"seed{seed}")) == budget
    assert main(argv) == 2  # the output directory is not empty any more
    assert "not empty" in capsys.readouterr().err
