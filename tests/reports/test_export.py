"""The best model of a real (tiny) Keras run, and the dashboards that run fed: export,
loading in a fresh process, TensorBoard HParams sessions, MLflow read back from its store."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from evodeap.cli import main
from evodeap.config.settings import ExperimentConfig
from evodeap.errors import RunDirectoryError
from evodeap.reports.export import best_evaluation, export_best
from evodeap.runs.lifecycle import run
from evodeap.genome.space import Choice, Integer, Real, SearchSpace
from evodeap.results.queries import evaluations

pytestmark = pytest.mark.slow

TINY_DATA = {"version": "hard", "task": "digits", "videos": [24, 12, 12], "frames": 4, "downsample": 8, "seed": 0}
SPACE = SearchSpace(
    family="cnn",
    hyperparameters={"learning_rate": Real(1e-3, 1e-2, log=True), "batch_size": Choice((8,)),
                     "optimizer": Choice(("adam", "rmsprop")), "dropout": Real(0.0, 0.3), "epochs": Integer(1, 1)},
    layers={"conv": {"filters": Integer(2, 4), "kernel_size": Choice((3,)), "activation": Choice(("relu",)),
                     "pooling": Choice(("max", "none"))},
            "dense": {"units": Integer(2, 4), "activation": Choice(("relu",))},
            "dropout": {"rate": Real(0.0, 0.3)}},
    min_layers=2, max_layers=3,
)


@pytest.fixture(scope="module")
def keras_run(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("export") / "run"
    config = ExperimentConfig(name="export-test", space=SPACE, fitness="keras",
                              fitness_params={"data": TINY_DATA, "metric": "auc"}, population_size=3,
                              generations=1, seed=5, tensorboard=True, mlflow=True)
    run(config, out)
    return out


def test_export_retrains_the_best_genome_and_reproduces_its_metrics(keras_run):
    done = export_best(keras_run)
    best = best_evaluation(keras_run)
    info = json.loads(done.info_path.read_text())
    assert done.model_path == keras_run / "best_model.keras" and info == done.info
    assert info["key"] == best["key"] and info["seed"] == best["seed"] and info["weights"] == "retrained"
    assert set(info["metrics"]) == {"train", "val", "test"} and info["train_on"] == ["train"]
    # deterministic training: the exported model scores what the run recorded
    assert info["metrics"]["val"]["auc"] == pytest.approx(best["metric_val_auc"], abs=1e-6)
    assert info["metrics"]["test"]["f1"] == pytest.approx(best["metric_test_f1"], abs=1e-6)
    assert info["evaluation"]["fitness"] == [pytest.approx(best["fitness"])]


def test_the_exported_model_loads_with_keras_and_evodeap_models_only(keras_run):
    if not (keras_run / "best_model.keras").exists():
        export_best(keras_run)
    code = ("import sys, json, numpy as np, keras\nimport evodeap.models\n"
            "model = keras.saving.load_model(sys.argv[1])\n"
            "x = np.zeros((2,) + tuple(model.input_shape[1:]), dtype='float32')\n"
            "print(json.dumps({'params': model.count_params(), 'out': list(model.predict(x, verbose=0).shape),"
            " 'loss': type(model.loss).__name__}))\n")
    done = subprocess.run([sys.executable, "-c", code, str(keras_run / "best_model.keras")], capture_output=True,
                          text=True, timeout=300, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
    assert done.returncode == 0, done.stderr[-2000:]
    loaded = json.loads(done.stdout.strip().splitlines()[-1])
    info = json.loads((keras_run / "best_model.json").read_text())
    assert loaded["params"] == info["n_params"] and loaded["out"] == [2, 10]


def test_export_never_overwrites_silently_and_uses_stored_weights(keras_run, tmp_path, capsys):
    if not (keras_run / "best_model.keras").exists():
        export_best(keras_run)
    before = (keras_run / "best_model.json").read_bytes()
    with pytest.raises(RunDirectoryError, match="already exist"):
        export_best(keras_run)
    assert main(["export", str(keras_run)]) == 2
    assert "pass --force" in capsys.readouterr().err
    assert (keras_run / "best_model.json").read_bytes() == before
    # a run that kept the best model's weights: they are taken, not retrained
    copy = tmp_path / "copy"
    shutil.copytree(keras_run, copy, ignore=shutil.ignore_patterns("best_model.*", "mlflow*", "tensorboard"))
    import keras

    import evodeap.models  # noqa: F401  (registers the loss)
    from evodeap.fitness.inheritance import weights_to_bytes
    from evodeap.evaluation.weights import WeightStore

    model = keras.saving.load_model(keras_run / "best_model.keras")
    info = json.loads(before)
    WeightStore(copy / "weights").put(info["key"], 1, weights_to_bytes(model))
    stored = export_best(copy)
    assert stored.info["weights"] == "stored" and stored.info["metrics"] == info["metrics"]


def test_export_longer_on_train_and_val_through_the_cli(keras_run, tmp_path, capsys):
    out = tmp_path / "longer"
    assert main(["export", str(keras_run), "--epochs", "2", "--train-on", "train+val", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    info = json.loads((out / "best_model.json").read_text())
    assert info["epochs"] == 2 and info["train_on"] == ["train", "val"] and info["trained_on_val"]
    assert "test" in printed and str(out / "best_model.keras") in printed
    assert main(["export", str(keras_run), "--epochs", "0", "--out", str(tmp_path / "x")]) == 2
    assert not (tmp_path / "x").exists()


def test_export_of_a_landscape_run_is_a_clear_error(tmp_path, capsys):
    run(ExperimentConfig(population_size=4, generations=1), tmp_path / "run")
    assert main(["export", str(tmp_path / "run")]) == 2
    assert "export trains a Keras model" in capsys.readouterr().err
    assert not (tmp_path / "run" / "best_model.keras").exists()


def _events(directory: Path):
    import tensorflow as tf

    for path in sorted(directory.glob("events.out.tfevents.*")):
        yield from tf.compat.v1.train.summary_iterator(str(path))


def test_each_evaluation_is_one_hparams_session(keras_run):
    import tensorflow as tf
    from tensorboard.plugins.hparams import plugin_data_pb2

    evals = evaluations(keras_run)
    sessions = sorted((keras_run / "tensorboard" / "evaluations").iterdir())
    assert len(sessions) == len(evals)
    for row in evals.itertuples(index=False):
        hparams, scalars = {}, {}
        for event in _events(keras_run / "tensorboard" / "evaluations" / f"g{row.generation}_i{row.idx}"):
            for value in event.summary.value:
                if value.metadata.plugin_data.plugin_name == "hparams":
                    data = plugin_data_pb2.HParamsPluginData.FromString(value.metadata.plugin_data.content)
                    if data.HasField("session_start_info"):
                        for name, v in data.session_start_info.hparams.items():
                            hparams[name] = getattr(v, v.WhichOneof("kind"))
                elif event.step == 0 and value.HasField("tensor"):
                    scalars[value.tag] = float(tf.make_ndarray(value.tensor))
        genome = json.loads(row.genome)
        assert hparams["hp_learning_rate"] == pytest.approx(genome["hyperparameters"]["learning_rate"])
        assert hparams["hp_optimizer"] == genome["hyperparameters"]["optimizer"]
        assert hparams["n_layers"] == len(genome["layers"]) and hparams["status"] == "ok"
        assert scalars["fitness"] == pytest.approx(row.fitness, rel=1e-6)
        assert scalars["metric_val_auc"] == pytest.approx(row.metric_val_auc, rel=1e-6)


def test_mlflow_holds_the_run_its_evaluations_and_the_exported_model(keras_run):
    from mlflow.tracking import MlflowClient

    if not (keras_run / "best_model.keras").exists():
        export_best(keras_run)
    record = json.loads((keras_run / "mlflow.json").read_text())
    assert record["tracking_uri"] == f"sqlite:///{keras_run.resolve() / 'mlflow.db'}"
    client = MlflowClient(record["tracking_uri"])
    parent = client.get_run(record["run_id"])
    assert parent.info.status == "FINISHED" and parent.data.params["population_size"] == "3"
    children = client.search_runs([record["experiment_id"]], f"tags.mlflow.parentRunId = '{record['run_id']}'")
    evals = evaluations(keras_run)
    assert len(children) == len(evals)
    by_key = evals.drop_duplicates("key").set_index("key")
    for child in children:
        row = by_key.loc[child.data.tags["evodeap.key"]]
        genome = json.loads(row["genome"])
        assert float(child.data.params["hp_learning_rate"]) == pytest.approx(genome["hyperparameters"]["learning_rate"])
        assert child.data.metrics["fitness"] == pytest.approx(row["fitness"])
    history = client.get_metric_history(record["run_id"], "best")
    assert [m.step for m in history] == [0, 1]
    artifacts = {a.path for a in client.list_artifacts(record["run_id"])}
    assert {"best_model.keras", "best_model.json", "config.json"} <= artifacts
    assert "best_test_auc" in client.get_run(record["run_id"]).data.metrics


@pytest.mark.slow
def test_export_of_a_run_with_a_custom_layer_kind_loads_its_experiment(tmp_path):
    """The kind is registered by the experiment file only: export must run that file (hash-checked), as resume does."""
    root = Path(__file__).resolve().parents[2]
    out = tmp_path / "custom"
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    started = subprocess.run([sys.executable, "-m", "evodeap", "run", str(root / "experiments" / "custom_kind.py"),
                              "--out", str(out), "--set", "population_size=2", "--set", "generations=0", "--quiet"],
                             capture_output=True, text=True, env=env, cwd=tmp_path)
    assert started.returncode == 0, started.stderr
    exported = subprocess.run([sys.executable, "-m", "evodeap", "export", str(out)],
                              capture_output=True, text=True, env=env, cwd=tmp_path)
    assert exported.returncode == 0, exported.stderr
    assert "unknown layer kind" not in exported.stderr and (out / "best_model.keras").is_file()
