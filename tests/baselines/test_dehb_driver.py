"""DEHB through its own Python over JSON lines (evodeap.baselines.dehb_driver, dehb_worker)."""
from __future__ import annotations

import os
import sys

import pytest
from helpers_baselines import LANDSCAPE, SPACE, CostedFitness, keys

from evodeap.baselines import dehb, dehb_driver, flat_parameters
from evodeap.baselines.dehb_worker import configspace
from evodeap.errors import ConfigError, EvodeapError

#: A stand-in for the worker: the same protocol, configurations from ConfigSpace's own sampler,
#: fidelities cycling 1, 3, 9; it records every reply it gets.
STAND_IN = '''
import json, sys
sys.path.insert(0, {here!r})
from evodeap.baselines.dehb_worker import configspace
setup = json.loads(sys.stdin.readline())
cs = configspace(setup["parameters"], setup["seed"])
replies = open({log!r}, "w")
for k, config in enumerate(cs.sample_configuration(1000)):
    values = {{n: (v.item() if hasattr(v, "item") else v) for n, v in dict(config).items()}}
    print(json.dumps({{"config": values, "fidelity": [1.0, 3.0, 9.0][k % 3]}}), flush=True)
    line = sys.stdin.readline()
    replies.write(line)
    replies.flush()
    if json.loads(line).get("stop"):
        break
'''


@pytest.fixture
def stand_in(tmp_path, monkeypatch):
    script = tmp_path / "worker.py"
    here = str(__import__("pathlib").Path(dehb_driver.__file__).resolve().parents[2])
    script.write_text(STAND_IN.format(here=here, log=str(tmp_path / "replies.jsonl")))
    monkeypatch.setattr(dehb_driver, "WORKER", script)
    monkeypatch.setenv(dehb_driver.DEHB_PYTHON_VARIABLE, sys.executable)
    return tmp_path / "replies.jsonl"


def test_without_a_dehb_python_it_is_one_config_error(monkeypatch, tmp_path):
    monkeypatch.delenv(dehb_driver.DEHB_PYTHON_VARIABLE, raising=False)
    with pytest.raises(ConfigError, match="EVODEAP_DEHB_PYTHON"):
        dehb(SPACE, LANDSCAPE, 3, 0)
    with pytest.raises(ConfigError, match="EVODEAP_DEHB_PYTHON"):
        dehb(SPACE, LANDSCAPE, 3, 0, python=tmp_path / "no-python")


def test_the_driver_evaluates_each_job_and_answers_with_loss_and_cost(stand_in):
    import json

    records = dehb(SPACE, CostedFitness(), 7, 0)
    assert len(records) == 7
    assert [r.genome.hyperparameters["epochs"] for r in records] == [1, 3, 9, 1, 3, 9, 1]
    assert [r.result.extra["dehb_fidelity"] for r in records] == [1.0, 3.0, 9.0] * 2 + [1.0]
    replies = [json.loads(line) for line in stand_in.read_text().splitlines()]
    assert replies[-1] == {"stop": True} and len(replies) == 7
    for r, reply in zip(records, replies[:-1]):
        assert reply == {"fitness": -r.result.fitness[0], "cost": r.result.extra["train_flops"]}
    assert all(SPACE.violations(r.genome) == [] for r in records)


def test_the_driver_stops_at_the_compute_budget(stand_in):
    records = dehb(SPACE, CostedFitness(), 1000, 0, compute_budget=100.0)
    costs = [r.result.extra["train_flops"] for r in records]
    assert sum(costs[:-1]) < 100.0 <= sum(costs)


def test_a_failing_worker_is_one_clear_error(tmp_path, monkeypatch):
    script = tmp_path / "worker.py"
    script.write_text('import json\nprint(json.dumps({"error": "ImportError: no module named dehb"}), flush=True)\n')
    monkeypatch.setattr(dehb_driver, "WORKER", script)
    with pytest.raises(EvodeapError, match="DEHB failed: ImportError: no module named dehb"):
        dehb(SPACE, LANDSCAPE, 3, 0, python=sys.executable)


def test_the_worker_space_is_the_flat_space():
    cs = configspace([[n, d.to_dict()] for n, d in flat_parameters(SPACE, fidelity="epochs")], 0)
    assert sorted(cs) == sorted(n for n, _ in flat_parameters(SPACE, fidelity="epochs"))


def test_real_dehb_where_its_python_is_configured_else_the_clear_error():
    """With ``EVODEAP_DEHB_PYTHON`` (a venv with ``pip install dehb``): DEHB itself, exact budget,
    seeded; without it, the one ConfigError that says how to make one."""
    if not os.environ.get(dehb_driver.DEHB_PYTHON_VARIABLE):
        with pytest.raises(ConfigError, match="pip install dehb"):
            dehb(SPACE, LANDSCAPE, 5, 0)
        return
    first, again, other = (dehb(SPACE, LANDSCAPE, 12, seed) for seed in (0, 0, 1))
    assert len(first) == 12 and keys(first) == keys(again) and keys(first) != keys(other)
    assert {r.genome.hyperparameters["epochs"] for r in first} <= {1, 3, 10}
