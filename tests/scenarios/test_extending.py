"""docs/extending.md: every example runs, and the layer-kind example is the experiment file
that tests/test_plugins.py runs with process and Ray workers and resume."""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOC = (ROOT / "docs" / "extending.md").read_text()
BLOCK = re.compile(r"<!-- (include|experiment|script): (\S+) -->\n```python\n(.*?)```", re.S)
BLOCKS = {(kind, name): code for kind, name, code in BLOCK.findall(DOC)}
#: Experiments that train real Keras models (slow).
TRAINING = {"data"}


def run(args: list[str], cwd: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TF_CPP_MIN_LOG_LEVEL": "3"}
    done = subprocess.run([sys.executable, *args], capture_output=True, text=True, env=env, cwd=cwd, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]


def test_the_doc_has_every_section_and_example():
    for title in ("## A layer kind", "## A model family", "## An operator", "## A fitness", "## A data source"):
        assert title in DOC
    assert {name for kind, name in BLOCKS if kind == "experiment"} == {"family", "operator", "fitness", "data"}


def test_the_layer_kind_example_is_the_experiment_file_verbatim():
    assert BLOCKS[("include", "experiments/custom_kind.py")] == (ROOT / "experiments" / "custom_kind.py").read_text()


@pytest.mark.parametrize("name", sorted(n for k, n in BLOCKS if k == "experiment" and n not in TRAINING))
def test_experiment_examples_run_through_the_cli(name, tmp_path):
    path = tmp_path / f"{name}.py"
    path.write_text(BLOCKS[("experiment", name)])
    run(["-m", "evodeap", "run", str(path), "--out", str(tmp_path / "run"), "--quiet"], tmp_path)
    assert (tmp_path / "run" / "hall_of_fame.json").is_file()


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(TRAINING))
def test_training_examples_run_through_the_cli(name, tmp_path):
    path = tmp_path / f"{name}.py"
    path.write_text(BLOCKS[("experiment", name)])
    run(["-m", "evodeap", "run", str(path), "--out", str(tmp_path / "run"), "--quiet",
         "--set", "generations=1", "--set", "population_size=2"], tmp_path)
    assert (tmp_path / "run" / "hall_of_fame.json").is_file()


@pytest.mark.slow
def test_the_contract_check_example_runs():
    run(["-c", BLOCKS[("script", "check")]], ROOT)
