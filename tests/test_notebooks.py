"""The notebooks run end to end (tiny budget) and produce their figures and statistical result.

Each notebook is executed by a real Jupyter kernel (``nbclient``) in a temporary working
directory, with ``EVODEAP_NOTEBOOK_BUDGET=tiny`` and its study directory under ``tmp_path``;
any cell error fails the test.
"""
from __future__ import annotations

import os
from pathlib import Path

import pytest

import nbclient  # noqa: E402  (the "test" extra installs nbclient, nbformat, ipykernel)
import nbformat  # noqa: E402

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"


def execute(name: str, tmp_path: Path, monkeypatch) -> tuple[object, Path]:
    out = tmp_path / "study"
    monkeypatch.setenv("EVODEAP_NOTEBOOK_BUDGET", "tiny")
    monkeypatch.setenv("EVODEAP_NOTEBOOK_OUT", str(out))
    monkeypatch.setenv("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    monkeypatch.setenv("TF_CPP_MIN_LOG_LEVEL", "2")
    notebook = nbformat.read(NOTEBOOKS / name, as_version=4)
    client = nbclient.NotebookClient(notebook, timeout=120, kernel_name="python3",
                                     resources={"metadata": {"path": str(tmp_path)}})
    client.execute()  # raises CellExecutionError on the first failing cell
    return notebook, out


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


@pytest.mark.slow
@pytest.mark.parametrize("name, figure, claims", [
    ("ablation.ipynb", "notebook_ablation.png",
     ["Full method: final best fitness", "- no crossover:", "Holm p =", "significantly alters"]),
    ("selection_pressure.ipynb", "notebook_selection_pressure.png",
     ["Kruskal-Wallis across 5 arms", "- beta0 vs beta5:", "Holm p =", "Final diversity is lowest"]),
])
def test_notebook_runs_and_states_its_result(name, figure, claims, tmp_path, monkeypatch):
    notebook, out = execute(name, tmp_path, monkeypatch)
    text, images = outputs(notebook)
    assert images >= 1, "the notebook displayed no figure"
    assert (out / "figures" / figure).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert (out / "figures" / "best_so_far.png").is_file() and (out / "tables" / "study_ranking.md").is_file()
    for claim in claims:
        assert claim in text, f"{claim!r} missing from the notebook's printed result"
    assert (out / "study.json").is_file()
