"""experiments/gpu_check.py on a machine without a GPU: it says so and still trains on the CPU."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_gpu_check_runs_on_the_cpu_and_says_no_gpu_was_found(tmp_path):
    env = {**{k: v for k, v in os.environ.items() if k != "PYTHONPATH"}, "TF_CPP_MIN_LOG_LEVEL": "3",
           "CUDA_VISIBLE_DEVICES": ""}
    done = subprocess.run([sys.executable, str(ROOT / "experiments" / "gpu_check.py"), "--tiny", "--genomes", "2",
                           "--cache-dir", str(tmp_path / "data"), "--out", str(tmp_path / "check.json")],
                          env=env, cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "no GPU found: training on the CPU instead (one worker)" in done.stdout
    assert "2/2 ok" in done.stdout and "peak GPU memory: n/a (no GPU)" in done.stdout
    report = json.loads((tmp_path / "check.json").read_text())
    assert report["gpus"] == [] and report["workers"] == 1 and report["ok"] == 2
    assert report["peak_gpu_memory_mb"] is None
    assert report["training_samples_per_second"] > 0 and report["median_seconds_per_evaluation"] > 0
    assert {row["family"] for row in report["rows"]} == {"cnn", "cnn+rnn"}  # the replication's two families
    assert report["backend"] in ("tensorflow", "jax", "torch") and report["versions"]["keras"]
