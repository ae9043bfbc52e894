"""NumPy metrics against scikit-learn, and per-class F1 between precision and recall."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import (
    accuracy_score,
    f1_score,
    precision_recall_fscore_support,
    precision_score,
    recall_score,
    roc_auc_score,
)

from evodeap.fitness.metrics import binary_auc, classification_metrics, per_class_metrics

TOL = 1e-6


def _softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


@pytest.mark.parametrize("seed", range(8))
def test_multiclass_matches_sklearn(seed):
    rng = np.random.default_rng(seed)
    k, n = int(rng.integers(2, 7)), int(rng.integers(20, 200))
    y = rng.integers(0, k, n)
    y[:k] = np.arange(k)  # every class present, so sklearn's OvR AUC is defined
    score = _softmax(rng.normal(size=(n, k)))
    pred = score.argmax(axis=1)
    got = classification_metrics("multiclass", y, score)
    labels = list(range(k))
    assert got["accuracy"] == pytest.approx(accuracy_score(y, pred), abs=TOL)
    for name, fn in (("precision", precision_score), ("recall", recall_score), ("f1", f1_score)):
        want = fn(y, pred, labels=labels, average="macro", zero_division=0)
        assert got[name] == pytest.approx(want, abs=TOL), name
    want_auc = roc_auc_score(y, score, multi_class="ovr", average="macro", labels=labels)
    assert got["auc"] == pytest.approx(want_auc, abs=TOL)


def test_multiclass_counts_absent_classes_in_macro_average():
    y = np.array([0, 0, 1, 1])
    score = np.array([[0.9, 0.05, 0.05], [0.8, 0.1, 0.1], [0.1, 0.8, 0.1], [0.1, 0.1, 0.8]])
    got = classification_metrics("multiclass", y, score)
    pred = score.argmax(axis=1)
    want = f1_score(y, pred, labels=[0, 1, 2], average="macro", zero_division=0)
    assert got["f1"] == pytest.approx(want, abs=TOL)
    assert got["accuracy"] == pytest.approx(0.75)
    # class 2 has no positives: AUC averages the two defined classes only
    want_auc = np.mean([roc_auc_score(y == c, score[:, c]) for c in (0, 1)])
    assert got["auc"] == pytest.approx(want_auc, abs=TOL)


@pytest.mark.parametrize("seed", range(8))
def test_multilabel_matches_sklearn(seed):
    rng = np.random.default_rng(100 + seed)
    n_labels, n = int(rng.integers(2, 6)), int(rng.integers(20, 150))
    y = (rng.random((n, n_labels)) < 0.4).astype(np.float32)
    y[0], y[1] = 0, 1  # both outcomes in every label
    score = rng.random((n, n_labels))
    pred = (score >= 0.5).astype(int)
    got = classification_metrics("multilabel", y, score)
    assert got["accuracy"] == pytest.approx(accuracy_score(y, pred), abs=TOL)
    assert got["label_accuracy"] == pytest.approx(np.mean(y == pred), abs=TOL)
    for name, fn in (("precision", precision_score), ("recall", recall_score), ("f1", f1_score)):
        want = fn(y, pred, average="macro", zero_division=0)
        assert got[name] == pytest.approx(want, abs=TOL), name
    assert got["auc"] == pytest.approx(roc_auc_score(y, score, average="macro"), abs=TOL)


@pytest.mark.parametrize("seed", range(8))
@pytest.mark.parametrize("shape", ["flat", "column"])
def test_binary_matches_sklearn(seed, shape):
    rng = np.random.default_rng(200 + seed)
    n = int(rng.integers(10, 150))
    y = (rng.random(n) < rng.uniform(0.2, 0.8)).astype(np.float32)
    y[0], y[1] = 0, 1
    score = np.round(rng.random(n), 1)  # rounding creates ties, which AUC must rank-average
    pred = (score >= 0.5).astype(int)
    got = classification_metrics("binary", y, score if shape == "flat" else score[:, None])
    assert got["accuracy"] == pytest.approx(accuracy_score(y, pred), abs=TOL)
    for name, fn in (("precision", precision_score), ("recall", recall_score), ("f1", f1_score)):
        assert got[name] == pytest.approx(fn(y, pred, zero_division=0), abs=TOL), name
    assert got["auc"] == pytest.approx(roc_auc_score(y, score), abs=TOL)


def test_auc_undefined_is_nan_and_perfect_is_one():
    assert np.isnan(binary_auc(np.ones(5), np.linspace(0, 1, 5)))
    assert binary_auc(np.array([0, 0, 1, 1]), np.array([0.1, 0.2, 0.8, 0.9])) == 1.0
    assert binary_auc(np.array([0, 0, 1, 1]), np.array([0.9, 0.8, 0.2, 0.1])) == 0.0
    assert np.isnan(classification_metrics("binary", np.zeros(4), np.full(4, 0.3))["auc"])


def test_zero_division_gives_zero_not_nan():
    # the model never predicts the positive class: precision 0/0 -> 0
    got = classification_metrics("binary", np.array([0, 1, 1, 0]), np.full(4, 0.2))
    assert got["precision"] == 0.0 and got["recall"] == 0.0 and got["f1"] == 0.0


@pytest.mark.parametrize("kind", ["multiclass", "multilabel", "binary"])
@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 60), k=st.integers(2, 6))
def test_per_class_f1_lies_between_precision_and_recall(kind, seed, n, k):
    rng = np.random.default_rng(seed)
    if kind == "multiclass":
        y, score = rng.integers(0, k, n), _softmax(rng.normal(size=(n, k)))
    elif kind == "multilabel":
        y, score = (rng.random((n, k)) < 0.5).astype(float), rng.random((n, k))
    else:
        y, score = (rng.random(n) < 0.5).astype(float), rng.random(n)
    per_class = per_class_metrics(kind, y, score)
    p, r, f1 = per_class["precision"], per_class["recall"], per_class["f1"]
    assert np.all(np.minimum(p, r) - 1e-12 <= f1) and np.all(f1 <= np.maximum(p, r) + 1e-12)
    # and it matches scikit-learn's per-class scores
    if kind == "multiclass":
        pred = score.argmax(axis=1)
        want = precision_recall_fscore_support(y, pred, labels=list(range(k)), zero_division=0)
    elif kind == "multilabel":
        want = precision_recall_fscore_support(y, (score >= 0.5).astype(int), zero_division=0)
    else:
        want = precision_recall_fscore_support(
            y, (score >= 0.5).astype(int), labels=[1], zero_division=0
        )
    np.testing.assert_allclose(p, want[0], atol=TOL)
    np.testing.assert_allclose(r, want[1], atol=TOL)
    np.testing.assert_allclose(f1, want[2], atol=TOL)


def test_bad_shapes_are_rejected():
    with pytest.raises(ValueError):
        classification_metrics("multiclass", np.array([0, 1]), np.array([0.2, 0.8]))
    with pytest.raises(ValueError):
        classification_metrics("multilabel", np.zeros((3, 2)), np.zeros((3, 3)))
    with pytest.raises(ValueError):
        classification_metrics("regression", np.zeros(3), np.zeros(3))
