"""The population's history in results.sqlite: living populations, offspring, genealogy."""
from __future__ import annotations

import json
import sqlite3

import pytest

from evodeap.results import history
from evodeap.config.settings import ExperimentConfig
from evodeap.errors import RunDirectoryError
from evodeap.genome.genes import ConvBlock, DenseLayer
from evodeap.genome.genome import Genome
from evodeap.runs.lifecycle import RunInterrupted, resume, run
from evodeap.results.queries import evaluations


def small(**changes) -> ExperimentConfig:
    return ExperimentConfig(**{"population_size": 8, "generations": 4, "seed": 3, **changes})


@pytest.fixture(scope="module")
def finished(tmp_path_factory):
    out = tmp_path_factory.mktemp("history") / "run"
    result = run(small(), out)
    return out, result


def genomes_by_key(out) -> dict[str, Genome]:
    frame = evaluations(out)
    return {k: Genome.from_json(g) for k, g in zip(frame["key"], frame["genome"])}


def test_living_population_of_every_generation_is_stored(finished):
    out, result = finished
    living = history.population_history(out)
    assert list(living.columns) == list(history.POPULATION_COLUMNS)
    assert living.groupby("generation").size().to_dict() == {g: 8 for g in range(5)}
    last = living[living["generation"] == 4]
    assert list(last["key"]) == [ind.key() for ind in result.population]
    assert list(last["fitness"]) == pytest.approx([ind.fitness.values[0] for ind in result.population])
    assert history.best_key(out) == result.hall_of_fame[0].key()


def test_offspring_name_living_parents_and_what_changed_them(finished):
    out, _ = finished
    living = history.population_history(out)
    made = history.offspring_history(out)
    genomes = genomes_by_key(out)
    alive = {g: set(group["key"]) for g, group in living.groupby("generation")}
    assert set(made["generation"]) == {1, 2, 3, 4}
    assert made.groupby("generation").size().to_dict() == {g: 7 for g in range(1, 5)}  # 8 minus one elite
    exact = 0
    for row in made.itertuples(index=False):
        assert set(row.parents) <= alive[row.generation - 1]
        assert len(row.parents) == (2 if row.crossover == "one_point" else 1)
        assert row.mutation in ("split", None)
        if row.crossover is None and row.mutation == "split":  # mutation alone: the diff is exact
            assert row.mutated == history.describe_mutation(genomes[row.parents[0]], genomes[row.key])
            exact += 1
    assert exact >= 3
    assert (made["crossover"] == "one_point").any() and made["crossover"].isna().any()


def test_no_crossover_is_recorded_when_cxpb_is_zero(tmp_path):
    run(small(cxpb=0.0, generations=2), tmp_path / "run")
    made = history.offspring_history(tmp_path / "run")
    assert made["crossover"].isna().all() and all(len(p) == 1 for p in made["parents"])


def test_genealogy_of_the_best_goes_back_to_the_initial_population(finished):
    out, result = finished
    tree = history.genealogy(out)
    best = result.hall_of_fame[0].key()
    assert tree.loc[tree["depth"] == 0, "key"].tolist() == [best]
    assert tree["generation"].is_monotonic_increasing and tree["generation"].iloc[0] == 0
    keys = set(tree["key"])
    for row in tree.itertuples(index=False):
        assert set(row.parents) <= keys  # every ancestor's parents are in the tree
        assert (row.crossover == "init") == (row.generation == 0) == (row.parents == [])
        for parent in row.parents:
            assert tree.set_index("key").loc[parent, "generation"] < row.generation
    with pytest.raises(RunDirectoryError, match="no individual with key"):
        history.genealogy(out, "0" * 16)


def test_selection_counts_add_up_and_follow_the_pressure(tmp_path):
    strong = tmp_path / "strong"
    run(small(generations=6, selection_params={"beta": 30.0}, population_size=12), strong)
    counts = history.selection_counts(strong)
    made = history.offspring_history(strong)
    per_generation = made.groupby("generation")["parents"].apply(lambda p: sum(len(x) for x in p))
    assert counts.groupby("generation")["offspring"].sum().to_dict() == per_generation.to_dict()
    top = counts[counts["rank"] == 1]["offspring"].mean()
    bottom = counts[counts["rank"] > counts["rank"].median()]["offspring"].mean()
    assert top > 3 * bottom
    share = history.key_share(strong)
    assert list(share["generation"]) == list(range(7)) and share["best_share"].between(0, 1).all()


def test_describe_mutation_exactly():
    a = Genome([ConvBlock(16, 3, "relu", "max"), DenseLayer(32, "relu")], {"learning_rate": 0.01, "batch_size": 32})
    b = Genome([ConvBlock(16, 3, "relu", "max"), DenseLayer(64, "relu")], {"learning_rate": 0.02, "batch_size": 32})
    c = Genome([ConvBlock(16, 3, "relu", "max")], {"learning_rate": 0.01, "batch_size": 32})
    assert history.describe_mutation(a, b) == ["learning_rate", "layer[1]"]
    assert history.describe_mutation(a, c) == ["-layer"]
    assert history.describe_mutation(c, a) == ["+layer"]
    assert history.describe_mutation(a, a) == []


def test_an_interrupted_and_resumed_run_has_the_same_history(tmp_path, finished):
    out, _ = finished

    def stop_after_two(report):
        if report.generation == 2:
            raise KeyboardInterrupt

    with pytest.raises(RunInterrupted):
        run(small(), tmp_path / "run", on_generation=stop_after_two)
    resume(tmp_path / "run", small())
    for table in ("population", "offspring"):
        with sqlite3.connect(out / "results.sqlite") as a, sqlite3.connect(tmp_path / "run" / "results.sqlite") as b:
            query = f"SELECT * FROM {table} ORDER BY generation, position"
            assert a.execute(query).fetchall() == b.execute(query).fetchall()


def test_a_database_without_history_reads_as_empty(tmp_path, finished):
    out, _ = finished
    old = tmp_path / "old.sqlite"
    with sqlite3.connect(out / "results.sqlite") as source, sqlite3.connect(old) as target:
        source.backup(target)
        target.execute("DROP TABLE population")
        target.execute("DROP TABLE offspring")
    assert history.population_history(old).empty and history.offspring_history(old).empty
    with pytest.raises(RunDirectoryError, match="no population history"):
        history.best_key(old)


def test_genealogy_figure_is_labelled(finished):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig = history.plot_genealogy(finished[0])
    ax = fig.axes[0]
    assert ax.get_xlabel() == "generation of origin" and ax.get_ylabel() and ax.get_title().startswith("Genealogy")
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert any(label.startswith("best individual") for label in labels) and len(labels) >= 2
    assert fig.axes[1].get_ylabel() == "fitness"  # the colour bar
    plt.close(fig)
