"""Per-label thresholds chosen on the validation split for the thresholded metrics."""
from __future__ import annotations

import numpy as np
import pytest

from evodeap.data import TaskInfo, from_arrays
from evodeap.errors import ConfigError
from evodeap.fitness.metrics import classification_metrics, f1_thresholds, per_class_metrics

TASK = TaskInfo("t", "multilabel", 3, ("a", "b", "c"))


def _f1(truth, score, threshold):
    pred = score >= threshold
    tp, fp, fn = np.sum(truth & pred), np.sum(~truth & pred), np.sum(truth & ~pred)
    return 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else 0.0


@pytest.mark.parametrize("seed", range(5))
def test_each_label_threshold_maximises_its_f1(seed):
    rng = np.random.default_rng(seed)
    y = rng.random((60, 3)) < [0.1, 0.4, 0.7]
    s = np.round(rng.random((60, 3)) * 0.6 + 0.4 * y, 2)  # ties on purpose
    thresholds = f1_thresholds("multilabel", y.astype(np.float32), s)
    for c in range(3):
        best = max(_f1(y[:, c], s[:, c], t) for t in np.unique(s[:, c]))
        assert _f1(y[:, c], s[:, c], thresholds[c]) == pytest.approx(best)
    per_label = per_class_metrics("multilabel", y.astype(np.float32), s, thresholds)["f1"]
    assert per_label == pytest.approx([_f1(y[:, c], s[:, c], thresholds[c]) for c in range(3)])
    assert classification_metrics("multilabel", y, s, thresholds)["f1"] >= classification_metrics("multilabel", y, s)["f1"]


def test_a_label_without_positives_keeps_the_default_and_multiclass_has_none():
    y = np.array([[0, 1], [0, 0], [0, 1]], dtype=np.float32)
    s = np.array([[0.9, 0.2], [0.1, 0.1], [0.3, 0.3]])
    t = f1_thresholds("multilabel", y, s)
    assert t[0] == 0.5 and 0.1 < t[1] <= 0.2  # both positives above, the negative below
    assert f1_thresholds("binary", np.array([1.0, 0.0]), np.array([0.2, 0.1])).shape == (1,)
    assert f1_thresholds("multiclass", np.array([0, 1]), np.array([[0.6, 0.4], [0.3, 0.7]])) is None


class _ScoreModel:
    """A stand-in model whose outputs are the first frame's first pixels (the scores)."""

    def __call__(self, x, training=False):
        return np.asarray(x)[:, 0, 0, :3, 0]


def _bundle(seed=0):
    rng = np.random.default_rng(seed)
    xs, ys = [], []
    for n in (10, 40, 40):
        y = (rng.random((n, 3)) < 0.4).astype(np.float32)
        x = np.zeros((n, 1, 2, 4, 1), dtype=np.float32)
        x[:, 0, 0, :3, 0] = np.clip(0.35 * y + 0.5 * rng.random((n, 3)), 0, 1)  # positives score higher
        xs.append(x)
        ys.append(y)
    return from_arrays(xs[0], ys[0], xs[1], ys[1], xs[2], ys[2], task=TASK)


@pytest.mark.parametrize("rule", ["fixed", "validation"])
def test_the_test_split_is_thresholded_where_validation_says(rule):
    from evodeap.fitness.keras_settings import KerasSettings
    from evodeap.fitness.scoring import predict, score_splits

    bundle = _bundle()
    settings = KerasSettings(bundle, metric="auc", perturbation=None, robustness_weight=0.0, thresholds=rule)
    metrics: dict[str, float] = {}
    assert score_splits(settings, _ScoreModel(), bundle, 16, metrics) is None
    y_val, s_val = predict(_ScoreModel(), bundle, "val", 16, None)
    y_test, s_test = predict(_ScoreModel(), bundle, "test", 16, None)
    threshold = f1_thresholds("multilabel", y_val, s_val) if rule == "validation" else 0.5
    expected = classification_metrics("multilabel", y_test, s_test, threshold)
    for name in ("f1", "accuracy", "precision", "recall", "auc", "label_accuracy"):
        assert metrics[f"test_{name}"] == pytest.approx(expected[name]), name
    assert metrics["val_f1"] == pytest.approx(classification_metrics("multilabel", y_val, s_val, threshold)["f1"])


def test_an_unknown_threshold_rule_is_a_config_error():
    from evodeap.fitness.keras_settings import KerasSettings

    with pytest.raises(ConfigError, match="unknown thresholds 'best'"):
        KerasSettings(_bundle(), metric="auc", thresholds="best")
