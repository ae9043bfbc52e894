"""evodeap.execution.backend: detection without Keras, per-backend process settings, the run's backend record."""
from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

from evodeap.execution import backend
from evodeap.execution.backend import (
    check_runtime_record,
    configured_backend,
    current_backend,
    process_environment,
    reconcile_backend,
    require_backend,
    runtime_record,
)
from evodeap.cli import main
from evodeap.config.settings import ExperimentConfig
from evodeap.errors import ConfigError, DamagedFileError, RunDirectoryError
from evodeap.execution.executors import worker_environment
from evodeap.runs.lifecycle import resume, run

ROOT = Path(__file__).resolve().parents[2]
DEMO = str(ROOT / "experiments" / "landscape_demo.py")


def other_backend() -> str:
    """A backend this process does not use."""
    return "jax" if current_backend() != "jax" else "torch"


# -- which backend -----------------------------------------------------------------------
def test_configured_backend_follows_keras_rule(tmp_path):
    home = tmp_path / "keras-home"
    home.mkdir()
    assert configured_backend({"KERAS_HOME": str(home)}) == "tensorflow"  # no keras.json: the default
    (home / "keras.json").write_text(json.dumps({"backend": "torch", "floatx": "float32"}))
    assert configured_backend({"KERAS_HOME": str(home)}) == "torch"  # keras.json
    assert configured_backend({"KERAS_HOME": str(home), "KERAS_BACKEND": "jax"}) == "jax"  # the variable wins
    assert configured_backend({"KERAS_HOME": str(home), "KERAS_BACKEND": ""}) == "torch"  # empty: ignored
    (home / "keras.json").write_text("{not json")
    assert configured_backend({"KERAS_HOME": str(home)}) == "tensorflow"  # unreadable: Keras ignores it too


def test_require_backend_names_what_to_install(monkeypatch):
    with pytest.raises(ConfigError, match="cannot train models; evodeap trains on tensorflow, jax, torch"):
        require_backend("numpy")
    real = backend.importlib.util.find_spec
    monkeypatch.setattr(backend.importlib.util, "find_spec", lambda name: None if name == "torch" else real(name))
    with pytest.raises(ConfigError, match=r"torch is not installed: pip install 'evodeap\[torch\]'"):
        require_backend("torch")
    assert require_backend("tensorflow") == "tensorflow"


def test_describe_backend_reads_versions_without_importing():
    described = backend.describe_backend("jax")
    assert described["backend"] == "jax" and set(described["versions"]) == {"keras", "jax", "jaxlib"}
    assert described["versions"]["keras"] is not None


# -- what a process needs before its backend starts ------------------------------------------
def test_process_environment_per_backend_keeps_your_settings():
    assert process_environment("tensorflow", {}) == {"TF_FORCE_GPU_ALLOW_GROWTH": "true"}
    assert process_environment("jax", {}) == {"XLA_PYTHON_CLIENT_PREALLOCATE": "false"}
    assert process_environment("jax", {"XLA_PYTHON_CLIENT_MEM_FRACTION": ".3"}) == {}  # your memory setting
    assert process_environment("tensorflow", {"TF_FORCE_GPU_ALLOW_GROWTH": "false"}) == {}
    assert process_environment("torch", {}) == {}
    assert process_environment(None, {"KERAS_BACKEND": "jax"}) == {"XLA_PYTHON_CLIENT_PREALLOCATE": "false"}


def test_determinism_environment_adds_to_your_flags():
    env = backend._determinism_environment("jax", {"XLA_FLAGS": "--xla_dump_to=/tmp/x"})
    assert env == {"XLA_FLAGS": "--xla_dump_to=/tmp/x --xla_gpu_deterministic_ops=true"}
    assert backend._determinism_environment("jax", {"XLA_FLAGS": "--xla_gpu_deterministic_ops=false"}) == {}
    assert backend._determinism_environment("torch", {}) == {"CUBLAS_WORKSPACE_CONFIG": ":4096:8"}
    assert backend._determinism_environment("tensorflow", {}) == {}


def test_process_workers_get_their_backends_memory_settings(monkeypatch):
    monkeypatch.setenv("KERAS_BACKEND", "jax")
    for name in ("XLA_PYTHON_CLIENT_PREALLOCATE", "XLA_PYTHON_CLIENT_MEM_FRACTION", "XLA_CLIENT_MEM_FRACTION",
                 "XLA_PYTHON_CLIENT_ALLOCATOR"):
        monkeypatch.delenv(name, raising=False)
    env = worker_environment(1, 1, ["3", "5"])
    assert env["XLA_PYTHON_CLIENT_PREALLOCATE"] == "false" and env["CUDA_VISIBLE_DEVICES"] == "5"
    monkeypatch.setenv("XLA_PYTHON_CLIENT_MEM_FRACTION", ".45")
    assert "XLA_PYTHON_CLIENT_PREALLOCATE" not in worker_environment(0, None, None)


# -- the run's record --------------------------------------------------------------------------
def test_reconcile_backend_same_other_forced_missing_and_corrupt():
    recorded = runtime_record("tensorflow")
    assert recorded["format"] == 1 and recorded["changes"] == []
    assert reconcile_backend(recorded, force=False, where="runs/x", name="tensorflow") is None
    with pytest.raises(RunDirectoryError) as refused:
        reconcile_backend(recorded, force=False, where="runs/x", name="jax")
    message = str(refused.value)
    assert "\n" not in message and "'tensorflow'" in message and "'jax'" in message
    assert "KERAS_BACKEND=tensorflow" in message and "--force-backend" in message
    forced = reconcile_backend(recorded, force=True, where="runs/x", name="jax")
    assert forced["backend"] == "jax" and "jaxlib" in forced["versions"]
    assert [(c["from"], c["to"]) for c in forced["changes"]] == [("tensorflow", "jax")]
    again = reconcile_backend(forced, force=True, where="runs/x", name="torch")
    assert [(c["from"], c["to"]) for c in again["changes"]] == [("tensorflow", "jax"), ("jax", "torch")]
    old_run = reconcile_backend(None, force=False, where="runs/x", name="jax")
    assert old_run["backend"] == "jax" and "no backend was recorded before" in old_run["recorded"]
    assert check_runtime_record(recorded, "x/runtime.json") is recorded
    for damaged in ([], {"changes": []}, {"backend": 3}, {"backend": "jax", "changes": "x"}):
        with pytest.raises(DamagedFileError, match="runtime.json is corrupt"):
            check_runtime_record(damaged, "x/runtime.json")


def test_a_run_records_its_backend_and_resume_on_another_is_refused(tmp_path):
    config = ExperimentConfig(population_size=4, generations=1, seed=5)
    run(config, tmp_path / "run")
    record = json.loads((tmp_path / "run" / "runtime.json").read_text())
    assert record["backend"] == current_backend() and record["changes"] == []
    (tmp_path / "run" / "checkpoint.json").unlink()  # stopped before its first checkpoint: it trains again
    record["backend"] = other_backend()
    (tmp_path / "run" / "runtime.json").write_text(json.dumps(record))
    before = {p.name: p.read_bytes() for p in (tmp_path / "run").iterdir() if p.is_file()}
    with pytest.raises(RunDirectoryError, match="results would not be comparable"):
        resume(tmp_path / "run", config)
    assert {p.name: p.read_bytes() for p in (tmp_path / "run").iterdir() if p.is_file()} == before
    resume(tmp_path / "run", config, force_backend=True)
    record = json.loads((tmp_path / "run" / "runtime.json").read_text())
    assert record["backend"] == current_backend()
    assert [(c["from"], c["to"]) for c in record["changes"]] == [(other_backend(), current_backend())]


def test_cli_resume_on_another_backend_is_one_line_and_force_backend_records_it(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["run", DEMO, "--set", "generations=1", "--set", "population_size=6", "--out", str(out), "--quiet"]) == 0
    os.remove(out / "checkpoint.json")  # as if stopped before its first checkpoint
    record = json.loads((out / "runtime.json").read_text())
    record["backend"] = other_backend()
    (out / "runtime.json").write_text(json.dumps(record))
    capsys.readouterr()
    assert main(["resume", str(out), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "results would not be comparable" in err and "Traceback" not in err
    assert not (out / "checkpoint.json").exists()
    assert main(["resume", str(out), "--quiet", "--force-backend"]) == 0
    record = json.loads((out / "runtime.json").read_text())
    assert record["backend"] == current_backend() and record["changes"][0]["from"] == other_backend()
    assert (out / "checkpoint.json").exists()


def test_a_run_from_before_backend_records_resumes_and_gets_one(tmp_path):
    config = ExperimentConfig(population_size=4, generations=1, seed=5)
    run(config, tmp_path / "run")
    (tmp_path / "run" / "runtime.json").unlink()
    (tmp_path / "run" / "checkpoint.json").unlink()
    resume(tmp_path / "run", config)
    record = json.loads((tmp_path / "run" / "runtime.json").read_text())
    assert record["backend"] == current_backend() and "no backend was recorded before" in record["recorded"]


def test_a_complete_run_trains_nothing_so_its_backend_is_not_checked(tmp_path):
    config = ExperimentConfig(population_size=4, generations=1, seed=5)
    run(config, tmp_path / "run")
    record = json.loads((tmp_path / "run" / "runtime.json").read_text())
    record["backend"] = other_backend()
    (tmp_path / "run" / "runtime.json").write_text(json.dumps(record))
    resume(tmp_path / "run", config)  # nothing to train: nothing refused, nothing recorded
    assert json.loads((tmp_path / "run" / "runtime.json").read_text()) == record


def test_a_damaged_runtime_record_is_refused_and_left_alone(tmp_path):
    config = ExperimentConfig(population_size=4, generations=1, seed=5)
    run(config, tmp_path / "run")
    (tmp_path / "run" / "runtime.json").write_text('{"backend": ')
    with pytest.raises(RunDirectoryError, match="runtime.json is corrupt"):
        resume(tmp_path / "run", config, force_backend=True)
    assert (tmp_path / "run" / "runtime.json").read_text() == '{"backend": '


def test_the_documented_install_without_tensorflow_lists_every_other_dependency():
    import configparser
    import re
    import shlex

    parser = configparser.ConfigParser()
    parser.read(ROOT / "setup.cfg")
    required = [line.strip() for line in parser["options"]["install_requires"].splitlines() if line.strip()]
    docs = (ROOT / "docs" / "fitness.md").read_text()
    block = re.search(r"<!-- install without tensorflow -->\n```bash\n(.*?)```", docs, re.S).group(1)
    lines = block.splitlines()
    assert lines[0] == "pip install --no-deps ."
    documented = shlex.split(lines[1])[2:]
    assert documented == [r for r in required if not r.startswith("tensorflow")]
    assert any(r.startswith("tensorflow") for r in required)  # still the default for a plain install


def test_ray_workers_get_the_backend_and_its_memory_settings(monkeypatch):
    import types

    from evodeap.execution.executors import RayExecutor

    started = {}
    fake = types.SimpleNamespace(is_initialized=lambda: False, init=lambda **kwargs: started.update(kwargs),
                                 shutdown=lambda: None)
    monkeypatch.setitem(sys.modules, "ray", fake)
    monkeypatch.setenv("KERAS_BACKEND", "jax")
    for name in ("XLA_PYTHON_CLIENT_PREALLOCATE", "XLA_PYTHON_CLIENT_MEM_FRACTION", "XLA_CLIENT_MEM_FRACTION",
                 "XLA_PYTHON_CLIENT_ALLOCATOR"):
        monkeypatch.delenv(name, raising=False)
    for address in (None, "ray://cluster:10001"):  # a local cluster and one joined
        started.clear()
        with RayExecutor(address=address, num_gpus=0.5):
            pass
        env_vars = started["runtime_env"]["env_vars"]
        assert env_vars["KERAS_BACKEND"] == "jax" and env_vars["XLA_PYTHON_CLIENT_PREALLOCATE"] == "false"
        assert ("PYTHONPATH" in env_vars) == (address is None)


def test_a_study_on_another_backend_is_refused_before_any_sub_run_trains(tmp_path, capsys):
    experiment = tmp_path / "study.py"
    experiment.write_text(
        "from evodeap.config.settings import ExperimentConfig\n"
        "CONFIG = ExperimentConfig(population_size=4, generations=1)\n"
        "VARIANTS = {'a': {}, 'b': {'selection_params.beta': 1.0}}\nSEEDS = [0]\n")
    out = tmp_path / "study"
    assert main(["run", str(experiment), "--out", str(out), "--quiet"]) == 0
    (out / "a" / "seed-0" / "checkpoint.json").unlink()  # a needs resuming ...
    record = json.loads((out / "b" / "seed-0" / "runtime.json").read_text())
    record["backend"] = other_backend()  # ... and b, complete, was trained on another backend
    (out / "b" / "seed-0" / "runtime.json").write_text(json.dumps(record))
    capsys.readouterr()
    assert main(["resume", str(out), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "b/seed-0" in err and "results would not be comparable" in err
    assert not (out / "a" / "seed-0" / "checkpoint.json").exists()  # refused before a trained again
    assert main(["resume", str(out), "--quiet", "--force-backend"]) == 0
    assert (out / "a" / "seed-0" / "checkpoint.json").exists()
