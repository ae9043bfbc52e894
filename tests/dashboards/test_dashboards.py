"""MLflow tracking of a landscape run: read back from the local store, resumed into the same
parent run, bad settings and a damaged record refused with one line."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from evodeap.cli import main
from evodeap.config.settings import ExperimentConfig
from evodeap.errors import ConfigError
from evodeap.runs.lifecycle import resume, run
from evodeap.results.queries import evaluations

ROOT = Path(__file__).resolve().parents[2]
DEMO = str(ROOT / "experiments" / "landscape_demo.py")


def children(record: dict) -> list:
    from mlflow.tracking import MlflowClient

    client = MlflowClient(record["tracking_uri"])
    return client.search_runs([record["experiment_id"]], f"tags.mlflow.parentRunId = '{record['run_id']}'")


@pytest.mark.slow
def test_a_run_and_its_extension_log_into_one_parent_run(tmp_path):
    from mlflow.tracking import MlflowClient

    config = ExperimentConfig(name="tracked", population_size=4, generations=1, seed=2, mlflow=True)
    run(config, tmp_path / "run")
    record = json.loads((tmp_path / "run" / "mlflow.json").read_text())
    client = MlflowClient(record["tracking_uri"])
    assert client.get_experiment(record["experiment_id"]).name == "tracked"
    assert client.get_run(record["run_id"]).info.status == "FINISHED"
    first = children(record)
    assert len(first) == len(evaluations(tmp_path / "run")) and all(c.info.status == "FINISHED" for c in first)
    assert {c.data.tags["evodeap.generation"] for c in first} == {"0", "1"}
    resume(tmp_path / "run", config, extend={"generations": 2})
    assert json.loads((tmp_path / "run" / "mlflow.json").read_text()) == record  # the same parent run
    assert len(children(record)) == len(evaluations(tmp_path / "run")) > len(first)
    assert [m.step for m in client.get_metric_history(record["run_id"], "best")] == [0, 1, 2]
    artifacts = (tmp_path / "run" / "mlflow-artifacts").resolve()
    assert artifacts.is_dir() and not (Path.cwd() / "mlruns").exists()


@pytest.mark.parametrize("value, message", [
    ({"tracking": "x"}, "mlflow has no setting(s) ['tracking']"),
    ({"tracking_uri": ""}, "mlflow.tracking_uri must be a non-empty string"),
    ("yes", "mlflow must be true, false, null"),
])
def test_bad_mlflow_settings_are_one_clear_error(value, message):
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)").replace("[", r"\[")
                       .replace("]", r"\]")):
        ExperimentConfig(mlflow=value).validate()


def test_a_damaged_mlflow_record_is_refused_on_resume(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["run", DEMO, "--set", "generations=1", "--set", "population_size=4", "--set", "mlflow=true",
                 "--out", str(out), "--quiet"]) == 0
    (out / "mlflow.json").write_text("{}")
    capsys.readouterr()
    assert main(["resume", str(out), "--set", "generations=2", "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "mlflow.json is corrupt" in err and len(err.strip().splitlines()) == 1
