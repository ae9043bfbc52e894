"""The flattened evaluations table, and the run report's tables and figures built on it."""
from __future__ import annotations

import json

import pandas as pd
import pytest

from evodeap.results import queries
from evodeap.config.settings import ExperimentConfig
from evodeap.genome.genome import Genome
from evodeap.reports.run_report import evolution_figure, refinement_generations, write_report
from evodeap.runs.lifecycle import run
from evodeap.results.trials import structure_summary, trials_dataframe


@pytest.fixture(scope="module")
def finished(tmp_path_factory):
    out = tmp_path_factory.mktemp("trials") / "run"
    run(ExperimentConfig(population_size=8, generations=4, seed=2, refine_every=2), out)
    return out


def test_one_flat_row_per_evaluation(finished):
    flat = trials_dataframe(finished)
    raw = queries.evaluations(finished)
    assert len(flat) == len(raw) and list(flat["key"]) == list(raw["key"])
    assert list(flat.columns[:8]) == ["generation", "idx", "key", "family", "status", "message", "seed", "fitness"]
    for row, genome_json in zip(flat.to_dict("records"), raw["genome"]):
        genome = Genome.from_json(genome_json)
        for name, value in genome.hyperparameters.items():
            assert row[f"hp_{name}"] == value
        assert row["n_layers"] == len(genome) == sum(row[f"n_{k}"] for k in ("conv", "dense", "dropout"))
        assert row["layer_kinds"] == ">".join(g.kind for g in genome)
        assert row["metric_val_score"] == pytest.approx(row["fitness"])
    assert list(flat["component_depth"]) == pytest.approx(list(raw["component_depth"]))
    assert not any(c.startswith(("metric.", "component.")) or c == "gen" for c in flat.columns)


def test_structure_summary_counts_kinds_and_widths():
    from evodeap.genome.genes import ConvBlock, DenseLayer, DropoutLayer

    genome = Genome([ConvBlock(16, 3, "relu", "max"), DropoutLayer(0.2), ConvBlock(32, 3, "relu", "none"),
                     DenseLayer(64, "relu")], {"learning_rate": 0.01})
    assert structure_summary(genome) == {"n_layers": 4, "layer_kinds": "conv>dropout>conv>dense", "n_conv": 2,
                                         "n_dropout": 1, "n_dense": 1, "units": "16,32,64", "units_total": 112,
                                         "units_max": 64}


def test_report_writes_the_flat_table_genealogy_and_labelled_figures(finished):
    import matplotlib

    matplotlib.use("Agg")
    written = {p.name for p in write_report(finished)}
    assert {"evaluations.csv", "genealogy_best.csv", "genealogy_best.png", "evolution.png"} <= written
    flat = pd.read_csv(finished / "tables" / "evaluations.csv")
    assert len(flat) == len(queries.evaluations(finished))
    for name in ("generations", "best_per_generation", "evaluations"):
        columns = pd.read_csv(finished / "tables" / f"{name}.csv").columns
        assert "generation" in columns and "gen" not in columns
    assert refinement_generations(finished) == [2, 4]
    fig = evolution_figure(finished)
    for ax in fig.axes:
        assert ax.get_ylabel()
    for ax in fig.axes[:3]:
        labels = [t.get_text() for t in ax.get_legend().get_texts()]
        assert ax.get_xlabel() == "generation" and "refinement" in labels
    assert sorted(line.get_xdata()[0] for line in fig.axes[0].lines if line.get_linestyle() == ":") == [2, 4]
