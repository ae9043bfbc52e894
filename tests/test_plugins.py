"""Layer kinds registered in an experiment file or a researcher's module reach spawned and
Ray workers and ``evodeap resume`` (``experiments/custom_kind.py``, the docs' example)."""
from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from evodeap import plugins
from evodeap.config.experiment import load_experiment
from evodeap.kinds import KINDS
from helpers_rundir import db_logbook

ROOT = Path(__file__).resolve().parents[1]
EXPERIMENT = ROOT / "experiments" / "custom_kind.py"
#: A tiny, fast version of the custom-kind experiment (real Keras training).
TINY = ["--set", "population_size=3", "--set", "generations=1", "--set", "fitness_params.data.videos=[16,8,8]",
        "--set", "space.epochs.high=1"]
#: The same search with the landscape stand-in fitness (deterministic: runs can be compared).
LANDSCAPE = {"population_size": 4, "generations": 2, "fitness": "landscape", "fitness_params": {},
             "executor": "process", "workers": 2}



def env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT), "TF_CPP_MIN_LOG_LEVEL": "3"}


def evodeap(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    done = subprocess.run([sys.executable, "-m", "evodeap", *args], capture_output=True, text=True,
                          env=env(), cwd=cwd, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    return done


def evaluations(directory: Path) -> list[dict]:
    with sqlite3.connect(directory / "results.sqlite") as db:
        rows = db.execute("SELECT generation, idx, genome, status, message, worker FROM evaluations").fetchall()
    return [{"generation": g, "index": i, "genome": json.loads(genome), "status": s, "message": m, "worker": w}
            for g, i, genome, s, m, w in rows]


def outcome(directory: Path) -> dict:
    checkpoint = json.loads((directory / "checkpoint.json").read_text())
    return {"population": [(p["genome"], p["fitness"]) for p in checkpoint["population"]],
            "logbook": [{k: v for k, v in row.items() if k != "elapsed"} for row in db_logbook(directory)]}


# -- the plug-in sources --------------------------------------------------------------------------
def test_the_experiment_file_is_a_real_module_and_a_plugin_source():
    namespace = load_experiment(EXPERIMENT)
    module = sys.modules[plugins.EXPERIMENT_MODULE]
    assert namespace["BidirectionalGRU"] is module.BidirectionalGRU is KINDS.get("bigru").gene
    assert plugins.PluginSource(plugins.EXPERIMENT_MODULE, str(EXPERIMENT.resolve())) in plugins.sources()
    load_experiment(EXPERIMENT)  # loading it again replaces its own kinds: no "already registered"
    assert KINDS.get("bigru").gene is sys.modules[plugins.EXPERIMENT_MODULE].BidirectionalGRU


def test_a_broken_experiment_file_leaves_the_loaded_one_in_place(tmp_path):
    load_experiment(EXPERIMENT)
    before = sys.modules[plugins.EXPERIMENT_MODULE]
    broken = tmp_path / "broken.py"
    broken.write_text("raise RuntimeError('typo')\n")
    with pytest.raises(Exception, match="typo"):
        load_experiment(broken)
    assert sys.modules[plugins.EXPERIMENT_MODULE] is before
    assert all(s.path != str(broken.resolve()) for s in plugins.sources())


def test_a_kind_module_is_recorded_by_name_and_a_fresh_interpreter_loads_every_source(tmp_path):
    (tmp_path / "my_kinds.py").write_text(textwrap.dedent('''
        from dataclasses import dataclass
        from typing import ClassVar
        from evodeap.domains import Integer
        from evodeap.kinds import VECTOR, LayerPlan, register_kind

        @register_kind(acts_on=VECTOR, domains={"units": Integer(2, 4)})
        @dataclass(frozen=True)
        class Wide:
            kind: ClassVar[str] = "wide_test"
            units: int
            def plan(self, shape, ctx):
                return [LayerPlan(ctx.name, (self.units,), shape[0] * self.units, shape[0] * self.units)]
            def build(self, x, ctx):
                import keras
                return keras.layers.Dense(self.units, use_bias=False, name=ctx.name)(x)
        '''))
    script = textwrap.dedent(f'''
        import json, sys
        sys.path.insert(0, {str(tmp_path)!r})
        from evodeap import plugins
        from evodeap.config.experiment import load_experiment
        import my_kinds
        load_experiment({str(EXPERIMENT)!r})
        print(json.dumps(plugins.environment()))
        ''')
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env(), timeout=120)
    assert done.returncode == 0, done.stderr
    environment = json.loads(done.stdout.strip().splitlines()[-1])
    recorded = json.loads(environment[plugins.ENV_VAR])
    assert {"module": "my_kinds", "path": None} in recorded
    assert {"module": plugins.EXPERIMENT_MODULE, "path": str(EXPERIMENT.resolve())} in recorded
    worker = textwrap.dedent(f'''
        import sys
        sys.path.insert(0, {str(tmp_path)!r})
        from evodeap import plugins
        from evodeap.kinds import KINDS
        assert "bigru" not in KINDS and "wide_test" not in KINDS
        plugins.load_from_environment()
        print(KINDS.get("bigru").module, KINDS.get("wide_test").module)
        ''')
    done = subprocess.run([sys.executable, "-c", worker], capture_output=True, text=True, timeout=120,
                          env={**env(), **environment})
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == [plugins.EXPERIMENT_MODULE, "my_kinds"]


def test_the_custom_kind_passes_the_layer_kind_contract_without_keras():
    from evodeap.testing import check_layer_kind

    load_experiment(EXPERIMENT)
    check_layer_kind("bigru", with_keras=False)


# -- workers and resume, through the CLI -----------------------------------------------------------
def _assert_trained_in_workers(directory: Path, workers: int) -> None:
    rows = evaluations(directory)
    assert rows and all(r["status"] == "ok" for r in rows), [r["message"] for r in rows]
    assert all(any(layer["kind"] == "bigru" for layer in r["genome"]["layers"]) for r in rows)
    assert 1 <= len({r["worker"] for r in rows}) <= workers


@pytest.mark.slow
def test_a_custom_kind_trains_in_two_spawned_process_workers(tmp_path):
    evodeap("run", str(EXPERIMENT), "--out", str(tmp_path / "run"), "--executor", "process", "--workers", "2",
            "--quiet", *TINY, cwd=tmp_path)
    _assert_trained_in_workers(tmp_path / "run", 2)
    # the report executes no code, so it reads the custom kind's genes without their class
    evodeap("report", str(tmp_path / "run"), cwd=tmp_path)
    table = next((tmp_path / "run").rglob("best_per_generation*.csv")).read_text()
    assert "bigru(units=" in table


@pytest.mark.slow
def test_a_custom_kind_trains_on_ray_workers(tmp_path):
    evodeap("run", str(EXPERIMENT), "--out", str(tmp_path / "run"), "--executor", "ray", "--workers", "2",
            "--quiet", *TINY, cwd=tmp_path)
    _assert_trained_in_workers(tmp_path / "run", 2)


@pytest.mark.slow
def test_an_interrupted_custom_kind_run_resumes_with_process_workers_as_if_never_stopped(tmp_path):
    overrides = " ".join(f"--set {k}={json.dumps(v, separators=(',', ':'))}" for k, v in LANDSCAPE.items())
    evodeap("run", str(EXPERIMENT), "--out", str(tmp_path / "reference"), "--quiet", *overrides.split(), cwd=tmp_path)
    interrupt = tmp_path / "interrupt.py"
    interrupt.write_text(textwrap.dedent(f'''
        from evodeap.config.experiment import load_experiment
        from evodeap.runs.lifecycle import RunInterrupted, run

        if __name__ == "__main__":
            overrides = {LANDSCAPE!r}
            config = load_experiment({str(EXPERIMENT)!r})["CONFIG"].with_overrides(overrides)
            seen = []

            def stop(record):
                seen.append(record)
                if len(seen) == 6:  # generation 0 and two evaluations of generation 1
                    raise KeyboardInterrupt

            try:
                run(config, {str(tmp_path / "run")!r}, on_evaluation=stop,
                    experiment={{"file": {str(EXPERIMENT)!r}, "overrides": overrides}})
            except RunInterrupted:
                print("interrupted")
        '''))
    done = subprocess.run([sys.executable, str(interrupt)], capture_output=True, text=True, env=env(),
                          cwd=tmp_path, timeout=600)
    assert done.stdout.strip() == "interrupted", done.stderr[-3000:]
    assert json.loads((tmp_path / "run" / "checkpoint.json").read_text())["generation"] == 0
    evodeap("resume", str(tmp_path / "run"), "--quiet", cwd=tmp_path)
    assert outcome(tmp_path / "run") == outcome(tmp_path / "reference")
    rows = evaluations(tmp_path / "run")
    assert all(r["status"] == "ok" for r in rows) and len({r["worker"] for r in rows}) >= 2


def test_resuming_without_the_kinds_registration_is_one_clear_error_and_changes_nothing(tmp_path):
    overrides = [a for k, v in {**LANDSCAPE, "executor": "serial", "workers": 1, "generations": 1}.items()
                 for a in ("--set", f"{k}={json.dumps(v, separators=(',', ':'))}")]
    evodeap("run", str(EXPERIMENT), "--out", str(tmp_path / "run"), "--quiet", *overrides, cwd=tmp_path)
    before = {p.name: p.read_bytes() for p in (tmp_path / "run").iterdir() if p.is_file()}
    stripped = tmp_path / "without_kind.py"
    text = EXPERIMENT.read_text()
    # the same file, with the kind and family registrations turned into calls that do nothing
    stripped.write_text(text.replace("@register_kind(", "@(lambda **_: lambda cls: cls)(").replace(
        'register_family("cnn+bigru"', '(lambda *a, **k: None)("cnn+bigru"'))
    done = subprocess.run([sys.executable, "-m", "evodeap", "resume", str(tmp_path / "run"), "--experiment",
                           str(stripped), "--force", "--quiet"], capture_output=True, text=True, env=env(),
                          cwd=tmp_path, timeout=300)
    assert done.returncode == 2
    last = [line for line in done.stderr.splitlines() if line.startswith("evodeap: error")]
    assert len(last) == 1 and "cnn+bigru" in last[0], done.stderr[-2000:]
    assert {name: (tmp_path / "run" / name).read_bytes() for name in before} == before


def test_a_checkpointed_space_of_an_unregistered_family_is_checked_as_far_as_it_can_be():
    from evodeap.errors import SearchSpaceError
    from evodeap.genome.space import SearchSpace, check_space_dict

    data = SearchSpace(family="cnn+lstm").to_dict()
    data["family"] = "not_registered_yet"
    data["layers"]["my_kind"] = {"units": {"type": "integer", "low": 1, "high": 4, "log": False}}
    check_space_dict(data, allow_unregistered=True)
    with pytest.raises(SearchSpaceError, match="unknown model family"):
        check_space_dict(data)
    data["layers"]["my_kind"]["units"]["low"] = 9
    with pytest.raises(SearchSpaceError, match="inverted"):
        check_space_dict(data, allow_unregistered=True)
