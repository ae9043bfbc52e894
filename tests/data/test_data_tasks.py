"""Task labels against the captions' text, for every task and version."""
from __future__ import annotations

import numpy as np
import pytest

from evodeap.data.captions import Caption, parse_caption
from evodeap.data.generator import generate
from evodeap.data.spec import DataSpec
from evodeap.data.tasks import DIRECTIONS, TASKS, Task, TaskInfo, direction_class, task_info, task_labels
from evodeap.errors import DataError, UnknownNameError


def test_direction_classes():
    assert [direction_class(*m) for m in [(1, -1), (2, 1), (-1, 2), (-2, -2)]] == [0, 1, 2, 3]
    assert DIRECTIONS == ("up-right", "down-right", "down-left", "up-left")


def test_task_infos():
    assert task_info("digits", "hard") == task_info("digits", "easy")
    assert task_info("digits", "hard").kind == "multilabel" and task_info("digits", "hard").n_outputs == 10
    assert task_info("direction", "easy").kind == "multiclass" and task_info("direction", "easy").n_outputs == 4
    assert task_info("direction", "hard").n_outputs == 8
    assert task_info("exits", "hard").kind == "binary"
    assert task_info("digit", "easy").n_outputs == 10
    with pytest.raises(DataError, match="hard version only"):
        task_info("exits", "medium")
    with pytest.raises(DataError, match="easy version only"):
        task_info("digit", "hard")
    with pytest.raises(UnknownNameError, match=r"unknown task 'colour'; known: digit, digits, digits\+direction, direction, exits"):
        task_info("colour", "hard")


def test_a_registered_task_labels_a_data_spec(monkeypatch):
    """A researcher's task goes through the same registry as the built-in ones."""
    def info(version):
        return TaskInfo("count", "multiclass", 2, ("one", "two"))

    def labels(version, captions):
        return np.array([len(c.digits) - 1 for c in captions], dtype=np.int64)

    monkeypatch.setattr(TASKS, "_items", dict(TASKS._items))  # leave the real registry as it was
    TASKS.register("count")(Task(info, labels))
    assert DataSpec(version="hard", task="count").task == "count"
    assert task_info("count", "easy").n_outputs == 2
    two = Caption((3, 5), (((2.0, 1.0), None),))
    assert task_labels("count", "hard", [two]).tolist() == [1]
    with pytest.raises(DataError, match="the easy version has 1"):
        task_labels("count", "easy", [two])


def test_labels_of_hand_written_captions():
    c1 = Caption((7, 7), ((None, (1.0, 1.0)), ((-2.0, -1.0), (-1.0, 1.0))))
    c2 = Caption((3, 5), (((2.0, 1.0), None), ((2.0, 1.0), None)))
    y = task_labels("digits", "hard", [c1, c2])
    assert y.tolist()[0] == [0] * 7 + [1, 0, 0] and y[1].nonzero()[0].tolist() == [3, 5]
    d = task_labels("direction", "hard", [c1, c2])
    # c1: digit 1 first moves (-2,-1) up-left (3), digit 2 (1,1) down-right (1)
    assert d[0].nonzero()[0].tolist() == [3, 4 + 1]
    # c2: digit 2 never described: all its outputs 0
    assert d[1].nonzero()[0].tolist() == [1]
    assert task_labels("exits", "hard", [c1, c2]).tolist() == [1.0, 1.0]
    c3 = Caption((4, 4), (((1.0, 1.0), (1.0, -1.0)),))
    assert task_labels("exits", "hard", [c3]).tolist() == [0.0]


@pytest.mark.parametrize("version", ["easy", "medium", "hard"])
def test_labels_against_caption_text(pools, version):
    g = generate(version, 60, 20, np.random.default_rng(4), pools["train"])
    parsed = [parse_caption(c) for c in g.captions]
    digits = task_labels("digits", version, parsed)
    for row, text in zip(digits, g.captions):
        first = text.split("\n")[0]
        for k in range(10):
            assert bool(row[k]) == (str(k) in first)
    direction = task_labels("direction", version, parsed)
    if version == "easy":
        assert direction.dtype == np.int64
        first_step = g.steps[:, 0, 0]
        assert direction.tolist() == [direction_class(*s) for s in first_step]
        assert task_labels("digit", version, parsed).tolist() == g.digits[:, 0].tolist()
    else:
        assert direction.shape == (60, 8)
        for n in range(60):
            for s in range(2):
                visible = np.flatnonzero(~g.hidden[n, s])
                block = direction[n, 4 * s:4 * s + 4]
                if len(visible):
                    assert block.argmax() == direction_class(*g.steps[n, s, visible[0]]) and block.sum() == 1
                else:
                    assert block.sum() == 0
    if version == "hard":
        exits = task_labels("exits", version, parsed)
        assert exits.tolist() == ["out of frame" in c for c in g.captions]
        assert 0 < exits.sum() < 60


def test_digit_count_mismatch_is_an_error():
    with pytest.raises(DataError, match="names 1 digit"):
        task_labels("digits", "hard", [parse_caption("A digit 1 is on the first frame.")])


def test_digits_and_direction_together_is_both_label_sets_side_by_side():
    c1 = Caption((7, 7), ((None, (1.0, 1.0)), ((-2.0, -1.0), (-1.0, 1.0))))
    c2 = Caption((3, 5), (((2.0, 1.0), None), ((2.0, 1.0), None)))
    both = task_labels("digits+direction", "hard", [c1, c2])
    assert both.shape == (2, 18) and both.dtype == np.float32
    assert both.tolist() == np.concatenate([task_labels("digits", "hard", [c1, c2]),
                                            task_labels("direction", "hard", [c1, c2])], axis=1).tolist()
    info = task_info("digits+direction", "medium")
    assert info.kind == "multilabel" and info.n_outputs == 18
    assert info.class_names[0] == "digits:0" and info.class_names[10] == "direction:digit1:up-right"
    with pytest.raises(DataError, match="'direction' is multiclass on 'easy'"):
        DataSpec(version="easy", task="digits+direction")
