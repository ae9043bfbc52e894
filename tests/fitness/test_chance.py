"""Chance levels and noise of a metric on a split (evodeap.fitness.chance), and what reports say with them."""
from __future__ import annotations

import math

import numpy as np
import pytest

from evodeap.fitness.chance import (RANKING_RESOLUTION, chance_level, chance_record, chance_verdict, describe_model,
                                    noise_se, split_warning)
from evodeap.fitness.metrics import classification_metrics


def test_chance_levels_are_those_of_the_best_constant_predictor():
    multiclass = np.array([0, 0, 0, 1, 2, 2, 0, 1, 0, 0])  # p = 0.6, 0.2, 0.2
    assert chance_level("multiclass", "accuracy", multiclass) == pytest.approx(0.6)
    assert chance_level("multiclass", "auc", multiclass) == pytest.approx(0.5)
    assert chance_level("multiclass", "f1", multiclass) == pytest.approx(2 * 0.6 / 1.6 / 3)
    # a class the split lacks still counts in the macro average (the task's classes)
    assert chance_level("multiclass", "f1", multiclass, n_classes=4) == pytest.approx(2 * 0.6 / 1.6 / 4)
    assert chance_level("multiclass", "recall", multiclass, n_classes=4) == pytest.approx(1 / 4)
    binary = np.array([1, 0, 0, 0, 1, 0, 0, 0])  # p = 0.25
    assert chance_level("binary", "accuracy", binary) == pytest.approx(0.75)
    assert chance_level("binary", "f1", binary) == pytest.approx(2 * 0.25 / 1.25)  # all-positive
    assert chance_level("binary", "recall", binary) == pytest.approx(1.0)
    labels = np.array([[1, 0, 1], [1, 0, 0], [1, 1, 0], [1, 0, 0]])  # p = 1, .25, .25
    assert chance_level("multilabel", "auc", labels) == pytest.approx(0.5)
    assert chance_level("multilabel", "label_accuracy", labels) == pytest.approx(np.mean([1, 0.75, 0.75]))
    assert chance_level("multilabel", "accuracy", labels) == pytest.approx(0.5)  # the set [1, 0, 0] twice
    assert chance_level("multilabel", "f1", labels) == pytest.approx(np.mean([1.0, 0.4, 0.4]))
    # no constant predictor beats it: e.g. every label set seen
    for row in np.unique(labels, axis=0):
        scores = np.tile(row, (4, 1)).astype(float)
        assert classification_metrics("multilabel", labels, scores)["accuracy"] <= 0.5 + 1e-12


def test_noise_is_the_null_auc_se_or_the_binomial_se():
    binary = np.array([1] * 16 + [0] * 16)
    assert noise_se("binary", "auc", binary) == pytest.approx(math.sqrt(33 / (12 * 16 * 16)))
    assert noise_se("binary", "accuracy", binary) == pytest.approx(math.sqrt(0.25 / 32))
    labels = np.array([[1, 0], [0, 1], [1, 1], [0, 0], [1, 0]])
    per_label = [math.sqrt((5 + 1) / (12 * 3 * 2)), math.sqrt((5 + 1) / (12 * 2 * 3))]
    assert noise_se("multilabel", "auc", labels) == pytest.approx(np.mean(per_label))
    record = chance_record("binary", "auc", binary)
    assert record == {"val_chance_auc": 0.5, "val_chance_se_auc": pytest.approx(math.sqrt(33 / 3072))}


def test_a_small_split_is_too_small_to_rank_models_and_a_large_one_is_not():
    rng = np.random.default_rng(0)
    small = rng.integers(0, 2, size=(32, 10))  # 32 videos, 10 labels
    note = split_warning("multilabel", "auc", small)
    assert note is not None and "32 examples" in note and "cannot be ranked" in note
    assert 2 * noise_se("multilabel", "auc", small) > RANKING_RESOLUTION
    large = rng.integers(0, 2, size=(2000, 10))
    assert split_warning("multilabel", "auc", large) is None
    assert split_warning("multiclass", "accuracy", rng.integers(0, 4, size=1000)) is None


def test_a_value_within_two_se_of_chance_is_flagged():
    assert "within noise of chance" in chance_verdict(0.55, 0.5, 0.05, "auc")
    assert chance_verdict(0.62, 0.5, 0.05, "auc") is None
    assert chance_verdict(float("nan"), 0.5, 0.05) is None
    metrics = {"val_auc": 0.55, "test_auc": 0.44, "val_chance_auc": 0.5, "val_chance_se_auc": 0.05}
    rows, warnings = describe_model(metrics, {"A": 0.55, "T": 0.1, "R": 0.5, "T_flops": 0.1})
    assert rows[0] == ("fitness components", "A=0.5500  T=0.1000  R=0.5000")
    assert rows[1] == ("validation auc", "0.5500 (chance level 0.5000, 2·SE 0.1000; test 0.4400)")
    assert len(warnings) == 1 and "within noise of chance" in warnings[0]
    assert describe_model({"val_score": 1.0}, {}) == ([], [])
