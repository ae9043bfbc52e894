"""The operator catalog (issue 26): every built-in operator's parameters are documented, generated
from the registries, and ``evodeap operators`` lists them with their defaults."""
from __future__ import annotations

import inspect
import re
from pathlib import Path

from evodeap.cli import main
from evodeap.operators import catalog
from evodeap.operators.registry import CROSSOVERS, MUTATIONS, SCHEDULES, SELECTIONS

ROOT = Path(__file__).resolve().parents[2]
BLOCK = re.compile(r"<!-- operators:begin[^>]*-->\n(.*?)<!-- operators:end -->", re.S)


def test_docs_core_holds_the_generated_table():
    text = (ROOT / "docs" / "core.md").read_text()
    found = BLOCK.search(text)
    assert found, "docs/core.md lost its operators:begin/end markers"
    assert found.group(1) == catalog.markdown(), "regenerate it with: evodeap operators --markdown"


def test_every_builtin_operator_and_parameter_is_in_the_table():
    table = catalog.markdown()
    for registry in (CROSSOVERS, MUTATIONS, SELECTIONS, SCHEDULES):
        for name, fn in registry.items():
            if not fn.__module__.startswith("evodeap.operators."):
                continue  # registered by a test or a user, not built in
            row = next(line for line in table.splitlines() if f"| `{name}` |" in line)
            for parameter in inspect.signature(fn).parameters.values():
                if parameter.name in ("rng", "space") or parameter.default is parameter.empty and \
                        parameter.kind is not parameter.POSITIONAL_OR_KEYWORD:
                    continue
                if parameter.kind is parameter.KEYWORD_ONLY or registry is SCHEDULES:
                    assert f"`{parameter.name}" in row, (name, parameter.name)
                    if parameter.default is not parameter.empty:
                        assert f"{parameter.name}={parameter.default!r}" in row


def test_a_changed_default_changes_the_table(monkeypatch):
    from evodeap.operators import selection

    before = catalog.markdown()

    def sel_tournament(individuals, k, *, rng, tournsize: int = 7):
        """``k`` tournaments."""
        return selection.sel_tournament(individuals, k, rng=rng, tournsize=tournsize)

    sel_tournament.__module__ = "evodeap.operators.selection"
    monkeypatch.setitem(SELECTIONS._items, "tournament", sel_tournament)
    assert catalog.markdown() != before and "`tournsize=7`" in catalog.markdown()


def test_evodeap_operators_lists_parameters_with_defaults(capsys):
    assert main(["operators"]) == 0
    out = capsys.readouterr().out
    assert re.search(r"^  tournament\s+tournsize=3$", out, re.M)
    assert re.search(r"^  boltzmann\s+beta=5.0 \[β\(t\), from selection_pressure\]$", out, re.M)
    assert "selection (selection_params / survival_params)" in out
    assert main(["operators", "--markdown"]) == 0
    assert capsys.readouterr().out == catalog.markdown()


def test_evodeap_operators_lists_what_an_experiment_file_registers(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(SELECTIONS, "_items", dict(SELECTIONS._items))  # the file's registration ends with the test
    experiment = tmp_path / "mine.py"
    experiment.write_text(
        "from evodeap.config.settings import ExperimentConfig\n"
        "from evodeap.operators.registry import SELECTIONS\n\n"
        "@SELECTIONS.register('greedy_for_test', replace=True)\n"
        "def greedy(individuals, k, *, rng, greed: float = 0.5):\n"
        "    '''Pick greedily.'''\n"
        "    return list(individuals[:k])\n\n"
        "CONFIG = ExperimentConfig(selection='greedy_for_test')\n")
    assert main(["operators", str(experiment)]) == 0
    out = capsys.readouterr().out
    assert re.search(r"^  greedy_for_test\s+greed=0.5  \[registered by your code\]$", out, re.M)
    assert "greedy_for_test" not in catalog.markdown()  # the docs table holds the built-in ones only
