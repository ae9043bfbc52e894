"""The notebooks run end to end (tiny budget), twice in a row, and state their results.

Each notebook is executed by a real Jupyter kernel (``nbclient``) in a temporary working
directory, with ``EVODEAP_NOTEBOOK_BUDGET=tiny`` and its output directory under ``tmp_path``;
any cell error fails the test. The second execution reuses what the first one made.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest

import nbclient  # noqa: E402  (the "test" extra installs nbclient, nbformat, ipykernel)
import nbformat  # noqa: E402

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"


def execute(name: str, workdir: Path, out: Path, monkeypatch, **env: str):
    monkeypatch.setenv("EVODEAP_NOTEBOOK_BUDGET", "tiny")
    monkeypatch.setenv("EVODEAP_NOTEBOOK_OUT", str(out))
    monkeypatch.setenv("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    monkeypatch.setenv("TF_CPP_MIN_LOG_LEVEL", "2")
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    notebook = nbformat.read(NOTEBOOKS / name, as_version=4)
    client = nbclient.NotebookClient(notebook, timeout=240, kernel_name="python3",
                                     resources={"metadata": {"path": str(workdir)}})
    client.execute()  # raises CellExecutionError on the first failing cell
    return notebook


def outputs(notebook) -> tuple[str, int]:
    text, images = [], 0
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            assert output.get("output_type") != "error", output
            text.append(output.get("text", ""))
            data = output.get("data", {})
            text.append(data.get("text/plain", ""))
            images += "image/png" in data
    return "\n".join(text), images


def test_notebooks_need_no_file_of_the_repository():
    """They must work from an installed package: no path built from a module's __file__,
    no experiments/ folder, and each notebook's parameters in one tagged cell."""
    for path in sorted(NOTEBOOKS.glob("*.ipynb")):
        notebook = nbformat.read(path, as_version=4)
        source = "\n".join(cell.source for cell in notebook.cells if cell.cell_type == "code")
        assert "__file__" not in source and "experiments" not in source and "runpy" not in source, path.name
        tagged = [c for c in notebook.cells if "parameters" in c.metadata.get("tags", [])]
        assert len(tagged) == 1, path.name
        assert all(not cell.get("outputs") for cell in notebook.cells if cell.cell_type == "code"), path.name
    assert {p.name for p in NOTEBOOKS.glob("*.ipynb")} == {"ablation.ipynb", "selection_pressure.ipynb",
                                                           "run_analysis.ipynb"}


@pytest.mark.slow
@pytest.mark.parametrize("name, figure, claims", [
    ("ablation.ipynb", "notebook_ablation.png",
     ["Full method (two_point+split+refine+adaptive): final best fitness", "- none+split+refine+adaptive:",
      "Holm p =", "Largest factorial term:", "eta^2 =", "warning: final best fitness"]),
    ("selection_pressure.ipynb", "notebook_selection_pressure.png",
     ["Kruskal-Wallis across 5 arms", "- beta0 vs beta5:", "Holm p =", "Final diversity is lowest",
      "Mean offspring of the fittest parent", "Warning: "]),
])
def test_study_notebook_runs_twice_and_states_its_result(name, figure, claims, tmp_path, monkeypatch):
    out = tmp_path / "study"
    first = execute(name, tmp_path, out, monkeypatch)
    text, images = outputs(first)
    assert images >= 2, "the notebook displayed too few figures"
    assert (out / "figures" / figure).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert (out / "figures" / "best_so_far.png").is_file() and (out / "tables" / "study_ranking.md").is_file()
    for claim in claims:
        assert claim in text, f"{claim!r} missing from the notebook's printed result"
    databases = {p: p.stat().st_mtime_ns for p in out.rglob("results.sqlite")}
    again, _ = outputs(execute(name, tmp_path, out, monkeypatch))  # the second execution reuses the study
    assert {p: p.stat().st_mtime_ns for p in out.rglob("results.sqlite")} == databases
    result = [line for line in text.splitlines() if line.startswith("- ")]
    assert result and all(line in again for line in result)


@pytest.mark.slow
def test_study_notebook_analyses_a_given_study(tmp_path, monkeypatch):
    out = tmp_path / "made"
    execute("selection_pressure.ipynb", tmp_path, out, monkeypatch)
    other = tmp_path / "unused"
    text, _ = outputs(execute("selection_pressure.ipynb", tmp_path, other, monkeypatch,
                              EVODEAP_NOTEBOOK_STUDY=str(out)))
    assert not other.exists() and f"5 arms x 3 seeds in {out}" in text


@pytest.mark.slow
def test_run_analysis_notebook_reads_a_run_and_its_export_twice(tmp_path, monkeypatch):
    import shutil

    out = tmp_path / "run"
    text, images = outputs(execute("run_analysis.ipynb", tmp_path, out, monkeypatch))
    assert images >= 3  # best-so-far and diversity; history and genealogy; genes against fitness
    info = json.loads((out / "best_model.json").read_text())
    assert info["data"]["task"]["kind"] == "binary"  # the notebook's task: its headline is AUC, not accuracy
    headline = (f"Headline (auc, binary task) of the exported model: validation {info['metrics']['val']['auc']:.4f}, "
                f"test {info['metrics']['test']['auc']:.4f} (chance level 0.5000)")
    assert headline in text and "val_auc" in text and "test_auc" in text and "chance_2se" in text
    assert "ancestors" in text and (out / "best_model.keras").is_file()
    exported = (out / "best_model.keras").stat().st_mtime_ns
    again, _ = outputs(execute("run_analysis.ipynb", tmp_path, out, monkeypatch))
    assert (out / "best_model.keras").stat().st_mtime_ns == exported
    assert headline in again

    # a run named to the notebook is only read: byte for byte unchanged, though it has no export yet
    copy = tmp_path / "named"
    shutil.copytree(out, copy, ignore=shutil.ignore_patterns("best_model.*"))
    before = {p.relative_to(copy): p.read_bytes() for p in sorted(copy.rglob("*")) if p.is_file()}
    listed = sorted(p.relative_to(copy) for p in copy.rglob("*"))
    read, _ = outputs(execute("run_analysis.ipynb", tmp_path, tmp_path / "unused", monkeypatch,
                              EVODEAP_NOTEBOOK_RUN=str(copy)))
    assert f"best genome {info['key']}" in read and "Headline (auc, binary task)" in read
    after = {p.relative_to(copy): p.read_bytes() for p in sorted(copy.rglob("*")) if p.is_file()}
    assert after == before and sorted(p.relative_to(copy) for p in copy.rglob("*")) == listed


@pytest.mark.slow
def test_a_study_notebook_runs_from_an_installed_wheel(tmp_path, monkeypatch):
    """The package installed from a wheel — no experiments/ folder beside it — runs the notebook."""
    import subprocess
    import sys

    root = NOTEBOOKS.parent
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-w",
                            str(tmp_path / "wheel"), str(root)], capture_output=True, text=True, timeout=600)
    assert built.returncode == 0, built.stderr[-3000:]
    wheel = next((tmp_path / "wheel").glob("evodeap-*.whl"))
    site = tmp_path / "site"
    installed = subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "--no-index", "--target",
                                str(site), str(wheel)], capture_output=True, text=True, timeout=600)
    assert installed.returncode == 0, installed.stderr[-3000:]
    assert not (site / "experiments").exists()
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.setenv("PYTHONPATH", str(site))  # the kernel imports evodeap from the wheel, not the clone
    monkeypatch.setenv("EVODEAP_NOTEBOOK_BUDGET", "tiny")
    monkeypatch.setenv("EVODEAP_NOTEBOOK_OUT", str(tmp_path / "study"))
    monkeypatch.setenv("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    notebook = nbformat.read(NOTEBOOKS / "selection_pressure.ipynb", as_version=4)
    notebook.cells.append(nbformat.v4.new_code_cell("import evodeap\nprint('imported from', evodeap.__file__)"))
    nbclient.NotebookClient(notebook, timeout=240, kernel_name="python3",
                            resources={"metadata": {"path": str(work)}}).execute()
    text, _ = outputs(notebook)
    assert f"imported from {site / 'evodeap' / '__init__.py'}" in text
    assert "Kruskal-Wallis across 5 arms" in text
