"""Real searches on the JAX and PyTorch backends, with TensorFlow absent, and metrics across backends.

Each backend runs in its own subprocess (Keras picks its backend once per process). The
"TensorFlow absent" processes get a ``sitecustomize`` whose import hook makes every
``import tensorflow`` raise ImportError, as on a machine without it.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from evodeap.results import queries, storage

ROOT = Path(__file__).resolve().parents[2]

BLOCK_TENSORFLOW = '''
import sys


class _NoTensorFlow:
    """Every import of tensorflow (or a submodule) fails, as where it is not installed."""

    def find_spec(self, name, path=None, target=None):
        if name == "tensorflow" or name.startswith("tensorflow."):
            raise ImportError(f"No module named {name!r} (blocked by the test)")
        return None


sys.meta_path.insert(0, _NoTensorFlow())
'''

EXPERIMENT = '''
from evodeap.config.settings import ExperimentConfig
from evodeap.genome.space import Choice, Integer, Real, SearchSpace

SPACE = SearchSpace(
    family="cnn",
    hyperparameters={"learning_rate": Real(1e-3, 1e-2, log=True), "batch_size": Choice((8,)),
                     "optimizer": Choice(("adam", "rmsprop")), "dropout": Choice((0.0, 0.2)), "epochs": Integer(1, 1)},
    layers={"conv": {"filters": Choice((2, 4)), "kernel_size": Choice((3,)), "activation": Choice(("relu",)),
                     "pooling": Choice(("max",))},
            "dense": {"units": Choice((2, 4)), "activation": Choice(("relu",))},
            "dropout": {"rate": Choice((0.1,))}},
    min_layers=2, max_layers=2,
)
CONFIG = ExperimentConfig(
    name="backend-search", space=SPACE, fitness="keras",
    fitness_params={"data": {"version": "hard", "task": "digits", "videos": [16, 8, 8], "frames": 3,
                             "downsample": 8, "seed": 0, "cache_dir": CACHE}},
    population_size=4, generations=2, seed=0, elitism=1,
)
'''

#: modules that must import (and work) without TensorFlow
NEUTRAL_MODULES = (
    "evodeap.engine.loop", "evodeap.results.storage", "evodeap.reports.run_report", "evodeap.studies.report", "evodeap.paper.report",
    "evodeap.runs.lifecycle", "evodeap.cli", "evodeap.operators", "evodeap.evaluation.evaluator", "evodeap.execution.executors",
    "evodeap.evaluation.weights", "evodeap.dashboards.tensorboard", "evodeap.fitness", "evodeap.evaluation.curves", "evodeap.data",
    "evodeap.execution.backend", "evodeap.runs.rundir", "evodeap.results.history", "evodeap.reports.export", "evodeap.results.trials",
    "evodeap.dashboards.tensorboard_hparams", "evodeap.dashboards.mlflow", "evodeap.results.schema",
    "evodeap.results.queries", "evodeap.runs.inspection", "evodeap.runs.extension",
)


def environment(backend: str, tmp_path: Path, block_tensorflow: bool = False) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KERAS_", "XLA_", "PYTHONPATH"))}
    paths = [str(ROOT)]
    if block_tensorflow:
        blocker = tmp_path / "no-tensorflow"
        blocker.mkdir(exist_ok=True)
        (blocker / "sitecustomize.py").write_text(BLOCK_TENSORFLOW)
        paths.insert(0, str(blocker))
    env.update(KERAS_BACKEND=backend, PYTHONPATH=os.pathsep.join(paths), TF_CPP_MIN_LOG_LEVEL="3",
               KERAS_HOME=str(tmp_path / "keras-home"))
    return env


def python(args: list[str], env: dict[str, str], timeout: float = 120) -> subprocess.CompletedProcess:
    done = subprocess.run([sys.executable, *args], env=env, cwd=ROOT, capture_output=True, text=True,
                          timeout=timeout)
    assert done.returncode == 0, done.stderr[-3000:]
    return done


def tiny_search(backend: str, tmp_path: Path, block_tensorflow: bool = False) -> Path:
    """Run the experiment above through the CLI on ``backend``; check what it recorded."""
    experiment = tmp_path / "experiment.py"
    experiment.write_text(f"CACHE = {str(tmp_path / 'data')!r}\n" + EXPERIMENT)
    out = tmp_path / "run"
    env = environment(backend, tmp_path, block_tensorflow)
    python(["-m", "evodeap", "run", str(experiment), "--out", str(out), "--quiet"], env)
    evals = queries.evaluations(out)
    assert len(evals) >= 4 and set(evals["status"]) == {"ok"}, evals[["status", "message"]]
    assert evals["metric_val_accuracy"].notna().all() and (evals["n_params"] > 0).all()
    assert len(queries.generations(out)) == 3
    assert json.loads((out / "runtime.json").read_text())["backend"] == backend
    with storage.ResultsDB(out / "results.sqlite") as db:
        backends = {result.extra["backend"] for _, _, _, result in db.iter_evaluations()}
    assert backends == {backend}  # every model trained on it
    return out


@pytest.mark.slow
def test_a_tiny_search_on_jax(tmp_path):
    tiny_search("jax", tmp_path)


@pytest.mark.slow
def test_a_tiny_search_on_torch(tmp_path):
    tiny_search("torch", tmp_path)


@pytest.mark.slow
def test_a_tiny_search_on_jax_without_tensorflow_then_its_report(tmp_path):
    env = environment("jax", tmp_path, block_tensorflow=True)
    probe = python(["-c", "import importlib, sys\n"
                          "try:\n    import tensorflow\nexcept ImportError:\n    print('blocked')\n"
                          f"for m in {NEUTRAL_MODULES!r}:\n    importlib.import_module(m)\n"
                          "print(sorted(m for m in sys.modules if m.split('.')[0] in ('tensorflow', 'keras')))"], env)
    assert probe.stdout.split() == ["blocked", "[]"]  # neither TensorFlow nor even Keras
    out = tiny_search("jax", tmp_path, block_tensorflow=True)
    python(["-m", "evodeap", "report", str(out)], env)
    assert (out / "tables").is_dir() and any((out / "figures").glob("*.png"))


def test_the_keras_fitness_on_a_missing_backend_is_one_line(tmp_path):
    experiment = tmp_path / "experiment.py"
    experiment.write_text(f"CACHE = {str(tmp_path / 'data')!r}\n" + EXPERIMENT)
    env = environment("tensorflow", tmp_path, block_tensorflow=True)
    done = subprocess.run([sys.executable, "-m", "evodeap", "run", str(experiment), "--quiet"], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr.strip() == ("evodeap: error: the Keras backend is 'tensorflow' but tensorflow is not "
                                   "installed: pip install tensorflow, or pick another backend with KERAS_BACKEND")


CROSS_BACKEND = textwrap.dedent('''
    import json, sys
    sys.path.insert(0, "tests/fitness")
    import keras, numpy as np
    from fitness_fixtures import SPLITS, tiny_bundle
    from evodeap.evaluation.api import EvalContext
    from evodeap.fitness.inheritance import load_weights_bytes
    from evodeap.fitness.keras_fitness import KerasFitness
    from evodeap.fitness.scoring import predict
    from evodeap.genome.genes import ConvBlock, DenseLayer
    from evodeap.genome.genome import Genome
    from evodeap.models import build_model

    weights = open(sys.argv[1], "rb").read()
    bundle = tiny_bundle()
    # full-batch training (batch = the 12 training videos) and no dropout: the shuffled order
    # and the backends' random streams do not enter; only their arithmetic does
    genome = Genome([ConvBlock(4, 3, "relu", "max"), DenseLayer(8, "relu")],
                    {"learning_rate": 0.01, "batch_size": SPLITS["train"], "optimizer": "adam", "dropout": 0.0,
                     "epochs": 2}, family="cnn")
    fitness = KerasFitness(bundle, max_params=None)
    context = EvalContext(seed=1, weights=weights, weights_genome=genome.to_dict())
    result = fitness(genome, context)
    model = build_model(genome, bundle.input_shape, bundle.task, max_params=None)
    load_weights_bytes(model, weights)
    _, scores = predict(model, bundle, "val", 3, None)
    # which batch of which epoch's order fit reads (the neutral path's reshuffling)
    read = []

    class Logged(type(bundle.batches("train", 5))):
        def __getitem__(self, index):
            read.append((self.epoch, index))
            return super().__getitem__(index)

    x, y = bundle.arrays("train")
    batches = Logged(x, y, 5, shuffle_seed=2)
    model.fit(batches, epochs=3, verbose=0, shuffle=False, callbacks=[batches.epoch_callback()])
    print(json.dumps({"backend": keras.backend.backend(), "status": result.status, "message": result.message,
                      "metrics": result.metrics, "fitness": result.fitness, "scores": scores.tolist(),
                      "read": read}))
''')


def cross_backend(backend: str, folder: Path) -> dict:
    """The CROSS_BACKEND script's report on ``backend`` (from ``folder``'s start weights)."""
    done = python([str(folder / "cross_backend.py"), str(folder / "start.weights.h5")], environment(backend, folder))
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["backend"] == backend and report["status"] == "ok", report
    return report


@pytest.fixture(scope="module")
def tensorflow_reference(tmp_path_factory) -> tuple[Path, dict]:
    """Start weights for the cross-backend genome, and what TensorFlow makes of them."""
    import keras

    from evodeap.fitness.inheritance import weights_to_bytes
    from evodeap.genome.genes import ConvBlock, DenseLayer
    from evodeap.genome.genome import Genome
    from evodeap.models import build_model

    sys.path.insert(0, str(ROOT / "tests" / "fitness"))
    from fitness_fixtures import tiny_bundle

    folder = tmp_path_factory.mktemp("cross-backend")
    bundle = tiny_bundle()
    keras.utils.set_random_seed(0)
    genome = Genome([ConvBlock(4, 3, "relu", "max"), DenseLayer(8, "relu")],
                    {"learning_rate": 0.01, "batch_size": 12, "optimizer": "adam", "dropout": 0.0, "epochs": 2},
                    family="cnn")
    model = build_model(genome, bundle.input_shape, bundle.task, max_params=None)
    (folder / "start.weights.h5").write_bytes(weights_to_bytes(model))
    (folder / "cross_backend.py").write_text(CROSS_BACKEND)
    return folder, cross_backend("tensorflow", folder)


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["jax", "torch"])
def test_metrics_agree_with_tensorflow_from_the_same_weights(tensorflow_reference, backend):
    folder, reference = tensorflow_reference
    got = cross_backend(backend, folder)
    assert reference["metrics"]["train_loss"] > 0
    # the scoring path on fixed weights
    np.testing.assert_allclose(got["scores"], reference["scores"], rtol=0, atol=1e-5)
    # two epochs of training from the same weights: the same metrics and fitness
    assert set(got["metrics"]) == set(reference["metrics"])
    for name, value in reference["metrics"].items():
        assert got["metrics"][name] == pytest.approx(value, abs=1e-4, nan_ok=True), name
    assert got["fitness"] == pytest.approx(reference["fitness"], abs=1e-4)
    # the neutral path's reshuffling: each epoch reads its 3 batches in that epoch's order
    by_epoch = {e: sorted(i for epoch, i in got["read"] if epoch == e) for e in range(3)}
    assert all(set(indices) == {0, 1, 2} for indices in by_epoch.values()), got["read"]
    assert {epoch for epoch, _ in got["read"]} == {0, 1, 2}
