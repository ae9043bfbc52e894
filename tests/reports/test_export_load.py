"""A real tiny Keras run and study: the chance level recorded and shown, the split-size warning
before training, the hall of fame (validation beside test), the export's data record and
``evodeap.export.load`` (model + input pipeline), and ``evodeap export STUDY``."""
from __future__ import annotations

import json
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from evodeap.cli import main
from evodeap.errors import RunDirectoryError

pytestmark = pytest.mark.slow

EXPERIMENT = """
from evodeap.config.settings import ExperimentConfig
from evodeap.genome.space import Choice, Integer, Real, SearchSpace

SPACE = SearchSpace(
    family="cnn",
    hyperparameters={"learning_rate": Real(1e-3, 1e-2, log=True), "batch_size": Choice((8,)),
                     "optimizer": Choice(("adam",)), "dropout": Real(0.0, 0.3), "epochs": Integer(1, 1)},
    layers={"conv": {"filters": Integer(2, 3), "kernel_size": Choice((3,)), "activation": Choice(("relu",)),
                     "pooling": Choice(("max",))},
            "dense": {"units": Integer(2, 3), "activation": Choice(("relu",))},
            "dropout": {"rate": Real(0.0, 0.3)}},
    min_layers=2, max_layers=2,
)
DATA = {"version": "hard", "task": "digits", "videos": [24, 12, 12], "frames": 4, "downsample": 8, "seed": 0}
CONFIG = ExperimentConfig(name="load-test", space=SPACE, fitness="keras",
                          fitness_params={"data": DATA, "metric": "auc"}, population_size=2, generations=1, seed=3)
"""


@pytest.fixture(scope="module")
def keras_run(tmp_path_factory):
    root = tmp_path_factory.mktemp("load")
    (root / "exp.py").write_text(textwrap.dedent(EXPERIMENT))
    return root, root / "run"


def test_a_keras_run_shows_chance_warns_before_training_and_exports_what_feeds_the_model(keras_run, capfd):
    root, out = keras_run
    assert main(["run", str(root / "exp.py"), "--out", str(out), "--quiet"]) == 0
    printed = capfd.readouterr()
    # 12 validation videos cannot rank models: said before training (stderr, before the summary)
    assert "warning: the validation split has 12 examples" in printed.err
    assert "fitness components" in printed.out and "A=" in printed.out and "T=" in printed.out
    assert "validation auc" in printed.out and "chance level 0.5000" in printed.out

    from evodeap.results.trials import trials_dataframe

    flat = trials_dataframe(out)
    ok = flat[flat["status"] == "ok"]
    assert (ok["metric_val_chance_auc"] == 0.5).all()
    assert (ok["metric_val_chance_se_auc"] > 0.05).all()  # 12 videos: noisy

    assert main(["report", str(out)]) == 0
    report = capfd.readouterr().out
    fame = pd.read_csv(out / "tables" / "hall_of_fame.csv")
    columns = list(fame.columns)
    assert columns.index("test_auc") == columns.index("val_auc") + 1 and {"A", "T", "chance", "chance_2se"} <= set(columns)
    assert fame["chance"].eq(0.5).all()
    assert "warning: the validation split is too small to rank models by auc" in report

    assert main(["export", str(out)]) == 0
    info = json.loads((out / "best_model.json").read_text())
    assert info["format"] == 2 and info["data"]["spec"]["downsample"] == 8 and info["data"]["task"]["kind"] == "multilabel"
    assert info["data"]["preprocessing"]["function"] == "evodeap.data.loader.videos_to_inputs"

    import evodeap.export
    from evodeap.data.spec import DataSpec, default_cache_dir
    from evodeap.data.store import GenerationParams, cached_set
    from evodeap.fitness.metrics import classification_metrics

    loaded = evodeap.export.load(out)
    spec = DataSpec.from_dict(info["data"]["spec"])
    assert loaded.spec == spec and loaded.task["kind"] == "multilabel"
    raw = cached_set(GenerationParams(spec.version, spec.videos, spec.frames, spec.seed, spec.digits_source),
                     Path(spec.cache_dir) if spec.cache_dir else default_cache_dir()).splits["val"].videos
    x_val, y_val = loaded.bundle().arrays("val")
    np.testing.assert_array_equal(loaded.prepare(raw), x_val)  # the pipeline of training, from raw videos
    scores = loaded.predict(raw)
    best = ok.loc[ok["fitness"].idxmax()]
    auc = classification_metrics("multilabel", y_val, scores)["auc"]
    assert auc == pytest.approx(best["metric_val_auc"], abs=1e-4)  # the run's recorded validation metric
    with pytest.raises(RunDirectoryError, match="no export in"):
        evodeap.export.load(root)


def test_a_keras_study_exports_every_sub_runs_best(tmp_path, capsys):
    (tmp_path / "exp.py").write_text(textwrap.dedent(EXPERIMENT) + "\nSEEDS = [1, 2]\n")
    out = tmp_path / "study"
    assert main(["run", str(tmp_path / "exp.py"), "--out", str(out), "--quiet"]) == 0
    capsys.readouterr()
    assert main(["export", str(out), "--out", str(tmp_path / "exports")]) == 0
    printed = capsys.readouterr().out
    from evodeap.studies.best import study_best

    best = study_best(out)
    for row in best.itertuples():
        info = json.loads((tmp_path / "exports" / row.variant / f"seed-{row.seed}" / "best_model.json").read_text())
        assert info["key"] == row.key and f"{row.variant}/seed-{row.seed}: best genome {row.key}" in printed
        assert info["metrics"]["val"]["auc"] == pytest.approx(row.metric_val_auc, abs=1e-6)
    assert main(["export", str(out), "--out", str(tmp_path / "exports")]) == 2  # nothing replaced silently
    assert "already exist" in capsys.readouterr().err
