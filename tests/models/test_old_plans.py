"""Built-in kinds plan and build exactly what the code before layer kinds became plug-ins did.

``tests/fixtures/old_plans.json`` holds genomes planned (and some built) by that code
(``tests/fixtures/make_old_plans.py``): every layer's name, output shape, parameters and
MACs, the problems of invalid genomes, and for built ones each layer's initial weights
after the same seed, so old seeds, results and inherited weights keep their meaning.
"""
from __future__ import annotations

import json
from pathlib import Path

import keras
import numpy as np
import pytest

from evodeap.data import TaskInfo
from evodeap.genome.genome import Genome
from evodeap.models import build_model, plan_model

CASES = json.loads((Path(__file__).resolve().parents[1] / "fixtures" / "old_plans.json").read_text())
TASKS = {"multiclass": TaskInfo("t", "multiclass", 3, ("a", "b", "c")), "binary": TaskInfo("t", "binary", 1, ("y",))}


def _plan(case):
    genome = Genome.from_dict(case["genome"])
    return genome, plan_model(genome, case["input_shape"], TASKS[case["task"]], max_params=None)


def test_every_old_plan_is_planned_the_same():
    assert {c["genome"]["family"] for c in CASES} == {"cnn", "rnn", "cnn+rnn"}
    assert any(c["problems"] for c in CASES) and sum(c["layers"] is not None for c in CASES) > 80
    for case in CASES:
        genome, plan = _plan(case)
        assert genome.describe() == case["describe"]
        assert list(plan.problems) == case["problems"], case["describe"]
        if case["layers"] is not None:
            assert [[p.name, list(p.output_shape), p.params, p.macs] for p in plan.layers] == case["layers"]


@pytest.mark.slow
@pytest.mark.parametrize("index", [i for i, c in enumerate(CASES) if c["built"]])
def test_old_models_are_built_the_same_with_the_same_initial_weights(index):
    case = CASES[index]
    genome, _ = _plan(case)
    keras.utils.set_random_seed(7)
    model = build_model(genome, case["input_shape"], TASKS[case["task"]], max_params=None)
    assert model.count_params() == case["built"]["count_params"]
    assert [layer.name for layer in model.layers] == list(case["built"]["layers"])
    for layer in model.layers:
        old = case["built"]["layers"][layer.name]
        assert list(layer.output.shape[1:]) == old["output_shape"], layer.name
        weights = layer.get_weights()
        assert len(weights) == len(old["weight_sums"]), layer.name
        for w, old_sum in zip(weights, old["weight_sums"]):
            # float32 initialisers round differently across CPUs (an orthogonal recurrent kernel's
            # QR moved a sum by 2.5e-6 on an AMD EPYC): allow 1e-5 · √size, far below the O(√size)
            # by which another seed or initialiser moves the sum
            assert float(np.sum(w, dtype=np.float64)) == pytest.approx(old_sum, rel=1e-6, abs=1e-5 * w.size**0.5), \
                layer.name
    keras.backend.clear_session()
