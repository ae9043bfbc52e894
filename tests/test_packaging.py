"""Import names that cannot collide: evodeap's ``operators`` and ``models`` live under ``evodeap.``.

A researcher's own ``models/`` and ``operators/`` packages in the working directory (first
on ``sys.path``, as in a notebook) must never shadow evodeap's, and an installed wheel must
hold them only under the ``evodeap`` namespace.
"""
from __future__ import annotations

import configparser
import json
import os
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _user_project(tmp_path: Path) -> Path:
    """A folder laid out like a deep-learning project: its own models/ and operators/."""
    for name in ("models", "operators"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "__init__.py").write_text(f"WHOSE = 'the user {name}'\n")
    return tmp_path


def _clean_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["TF_CPP_MIN_LOG_LEVEL"] = "3"
    return env


def test_packages_listed_in_setup_cfg_are_every_package_folder():
    parser = configparser.ConfigParser()
    parser.read(ROOT / "setup.cfg")
    listed = set(parser["options"]["packages"].split())
    found = {".".join(p.relative_to(ROOT).parent.parts) for p in (ROOT / "evodeap").rglob("__init__.py")}
    for name in ("operators", "models"):
        found |= {"evodeap." + ".".join(p.relative_to(ROOT).parent.parts)
                  for p in (ROOT / name).rglob("__init__.py")}
    assert listed == found
    mapping = parser["options"]["package_dir"]
    assert "evodeap.operators = operators" in mapping and "evodeap.models = models" in mapping


def test_no_module_imports_the_bare_top_level_names():
    offenders = []
    for folder in ("evodeap", "operators", "models", "experiments", "tests"):
        for path in (ROOT / folder).rglob("*.py"):
            if path == Path(__file__).resolve():  # this file imports a *user's* packages on purpose
                continue
            for line in path.read_text().splitlines():
                stripped = line.strip()
                if stripped.startswith(("from operators", "import operators", "from models", "import models")):
                    offenders.append(f"{path.relative_to(ROOT)}: {stripped}")
    assert offenders == []


@pytest.mark.slow
def test_import_and_run_from_a_folder_with_its_own_models_and_operators(tmp_path):
    project = _user_project(tmp_path)
    code = textwrap.dedent("""
        import models, operators
        assert models.WHOSE == 'the user models' and operators.WHOSE == 'the user operators'
        from evodeap.engine.loop import evolve
        from evodeap.config.settings import ExperimentConfig
        import evodeap.models, evodeap.operators
        result = evolve(ExperimentConfig(population_size=6, generations=2, seed=1))
        import models as again
        assert again is models
        print(len(result.population), evodeap.operators.__name__)
    """)
    done = subprocess.run([sys.executable, "-c", code], cwd=project, env=_clean_env(),
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.split() == ["6", "evodeap.operators"]
    out = project / "run"
    experiment = project / "exp.py"
    experiment.write_text("from evodeap.config.settings import ExperimentConfig\n"
                          "CONFIG = ExperimentConfig(population_size=4, generations=1)\n")
    cli = subprocess.run([sys.executable, "-m", "evodeap", "run", str(experiment), "--out", str(out)],
                         cwd=project, env=_clean_env(), capture_output=True, text=True, timeout=300)
    assert cli.returncode == 0, cli.stderr[-3000:]
    assert json.loads((out / "config.json").read_text())["population_size"] == 4


@pytest.mark.slow
def test_notebook_kernel_in_a_folder_with_its_own_models_and_operators(tmp_path, monkeypatch):
    import nbformat
    from nbclient import NotebookClient

    # the kernel inherits this environment: a PYTHONPATH naming a checkout would make that
    # checkout's own top-level models/ importable as `models`, which no user has
    monkeypatch.delenv("PYTHONPATH", raising=False)

    project = _user_project(tmp_path)
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell(textwrap.dedent("""
        import models
        from evodeap.engine.loop import evolve
        from evodeap.config.settings import ExperimentConfig
        result = evolve(ExperimentConfig(population_size=4, generations=1))
        print(models.WHOSE, len(result.population))
    """))]
    NotebookClient(notebook, timeout=300, kernel_name="python3",
                   resources={"metadata": {"path": str(project)}}).execute()
    output = "".join(o.get("text", "") for o in notebook.cells[0].outputs)
    assert "the user models 4" in output


@pytest.mark.slow
def test_wheel_holds_operators_and_models_only_under_evodeap(tmp_path):
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                            "-w", str(tmp_path), str(ROOT)], capture_output=True, text=True, timeout=300)
    assert built.returncode == 0, built.stderr[-3000:]
    wheel = next(tmp_path.glob("evodeap-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    assert "evodeap/operators/__init__.py" in names and "evodeap/models/builders.py" in names
    assert not any(n.startswith(("operators/", "models/")) for n in names)
