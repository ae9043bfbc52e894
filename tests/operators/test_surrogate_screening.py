"""Surrogate-assisted evolution: the genome encoding, the Parzen-ratio surrogate, one-gene
mutation, the screening rule, the recommended configuration, and resume with screening on."""
from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.stats import norm

from evodeap.config.presets import RECOMMENDED, recommended
from evodeap.config.resolve import plan_run
from evodeap.domains import Choice, Integer, Real
from evodeap.errors import ConfigError, UnknownNameError
from evodeap.evaluation.api import EvalResult
from evodeap.evaluation.evaluator import EvaluationRecord
from evodeap.evaluation.screening import Screening, screen, training_data
from evodeap.genome.encoding import GenomeEncoding
from evodeap.genome.genome import Genome
from evodeap.genome.space import SearchSpace
from evodeap.operators.mutation import mut_one_gene
from evodeap.operators.surrogate import ParzenRatio, good_count
from evodeap.runs.lifecycle import resume, run
from helpers_rundir import comparable, stopped_run

import evodeap.fitness.benchmarks  # noqa: E402,F401  (registers the benchmark families)

ONE_LAYER = {"shared_dense": {"activation": Choice(("relu",))}}
FLAT = SearchSpace(family="lcbench", hyperparameters={"x": Real(0.0, 1.0), "c": Choice(("a", "b", "c")),
                                                      "o": Choice((1, 2, 4, 8))},
                   layers={"shared_dense": {"activation": Choice(("relu", "tanh"))}}, min_layers=1, max_layers=3)


def genome(x: float, c: str = "a", o: int = 1, layers: int = 1, seed: int = 0) -> Genome:
    g = FLAT.sample_genome(np.random.default_rng(seed), n_layers=layers)
    g.hyperparameters = {**g.hyperparameters, "x": x, "c": c, "o": o}
    return g


# -- encoding ----------------------------------------------------------------------------------------
def test_encoding_columns_and_values():
    enc = GenomeEncoding(FLAT)
    names = [c.name for c in enc.columns]
    assert names == ["x", "c", "o", "layers", "0.kind", "0.shared_dense.activation", "1.kind",
                     "1.shared_dense.activation", "2.kind", "2.shared_dense.activation"]
    row = enc.row(genome(0.25, "c", 4, layers=3))
    assert row[0] == pytest.approx(0.25)
    assert row[1] == 2.0                       # a category index
    assert row[2] == pytest.approx(2 / 3)      # an ordinal choice: rank / (c - 1)
    assert row[3] == pytest.approx(1.0)        # (3 - 1) / (3 - 1)
    short = enc.row(genome(0.25, layers=1))
    assert np.isnan(short[-1])                 # no third layer: its fields are not applicable
    assert enc.categories[1] == 3 and enc.categories[0] == 0


def test_encoding_covers_every_built_in_benchmark_space():
    from evodeap.fitness.benchmarks import PROBLEMS

    for name in ("nasbench201/cifar10", "hpobench_nn/car", "fcnet/naval_propulsion", "lcbench/3945"):
        space = PROBLEMS.get(name).space()
        rows = GenomeEncoding(space).matrix([space.sample_genome(np.random.default_rng(s)) for s in range(20)])
        assert rows.shape[0] == 20 and np.nanmax(rows) <= max(1.0, float(GenomeEncoding(space).categories.max()))
        assert len(np.unique(rows, axis=0)) > 1


# -- the Parzen ratio ----------------------------------------------------------------------------------
def test_good_count_is_optunas_rule_bounded():
    assert good_count(10, 0.25) == 3 and good_count(200, 0.25) == 25 and good_count(3, 0.25) == 2
    assert good_count(2, 0.25) == 1


def test_parzen_ratio_equals_the_formula_on_one_numeric_column():
    space = SearchSpace(family="lcbench", hyperparameters={"x": Real(0.0, 1.0)}, layers=ONE_LAYER,
                        min_layers=1, max_layers=1)
    xs = [0.1, 0.2, 0.8, 0.9]
    genomes = [space.sample_genome(np.random.default_rng(0)) for _ in xs]
    for g, x in zip(genomes, xs):
        g.hyperparameters = {**g.hyperparameters, "x": x}
    surrogate = ParzenRatio(space, gamma=0.5).fit(genomes, [4.0, 3.0, 2.0, 1.0])  # good: 0.1, 0.2
    probe = genomes[0].plain()
    probe.hyperparameters = {**probe.hyperparameters, "x": 0.3}

    def density(points):
        sigma = float(np.std(points))
        h = min(0.5, max(0.05, 1.06 * sigma * len(points) ** -0.2))
        return (1.0 + sum(norm.pdf(0.3, p, h) for p in points)) / (len(points) + 1)

    expected = math.log(density([0.1, 0.2])) - math.log(density([0.8, 0.9]))
    assert surrogate.score([probe])[0] == pytest.approx(expected, rel=1e-9)


def test_parzen_ratio_ranks_the_good_region_first():
    rng = np.random.default_rng(1)
    genomes = [genome(float(x), seed=i) for i, x in enumerate(rng.random(60))]
    values = [-abs(g.hyperparameters["x"] - 0.3) for g in genomes]
    scores = ParzenRatio(FLAT).fit(genomes, values).score([genome(0.3), genome(0.95)])
    assert scores[0] > scores[1]


def test_parzen_ratio_refuses_bad_parameters():
    with pytest.raises(ValueError):
        ParzenRatio(FLAT, gamma=1.5)
    with pytest.raises(ValueError):
        ParzenRatio(FLAT, flip=0.0)
    with pytest.raises(ValueError):
        ParzenRatio(FLAT).score([genome(0.1)])


# -- one-gene mutation ------------------------------------------------------------------------------
def test_one_gene_changes_exactly_one_gene_or_one_layer():
    space = SearchSpace(family="cnn")
    for seed in range(60):
        parent = space.sample_genome(np.random.default_rng(seed))
        child = parent.plain()
        mut_one_gene(child, space=space, rng=np.random.default_rng(1000 + seed))
        assert space.contains(child) and child.key() != parent.key()
        changed_hyper = [k for k in parent.hyperparameters if parent.hyperparameters[k] != child.hyperparameters[k]]
        if len(child) == len(parent):
            changed_layers = [i for i, (a, b) in enumerate(zip(parent, child)) if a != b]
            assert len(changed_hyper) + len(changed_layers) == 1
            for i in changed_layers:  # one field of one layer
                a, b = parent[i], child[i]
                assert a.kind == b.kind
                assert sum(getattr(a, f) != getattr(b, f) for f in space.layers[a.kind]) == 1
        else:
            assert not changed_hyper and abs(len(child) - len(parent)) == 1


# -- the screening rule -----------------------------------------------------------------------------
def record(g: Genome, value: float, budget=None, cached=False) -> EvaluationRecord:
    extra = {} if budget is None else {"budget": budget}
    return EvaluationRecord(0, 0, g, EvalResult(fitness=(value,), extra=extra), cached)


def test_training_data_keeps_each_genome_once_at_its_most_trained_budget():
    a, b, c = genome(0.1), genome(0.5), genome(0.9)
    records = [record(a, 1.0, budget=3), record(a, 2.0, budget=9), record(b, 5.0, budget=3),
               record(c, 7.0, budget=9), record(c, 7.0, cached=True)]
    genomes, values = training_data(records, weight=1.0, min_evaluations=2)
    assert [g.key() for g in genomes] == [a.key(), c.key()] and values == [2.0, 7.0]
    genomes, values = training_data(records, weight=-1.0, min_evaluations=3)
    assert genomes == [] and values == []
    genomes, values = training_data(records, weight=-1.0, min_evaluations=1)
    assert values == [-2.0, -7.0]


def test_screen_keeps_novel_candidates_ranked_by_the_surrogate():
    history = [record(genome(float(x), seed=i), -abs(float(x) - 0.3)) for i, x in
               enumerate(np.random.default_rng(2).random(30))]
    evaluated = {r.genome.key() for r in history}
    old = history[0].genome.plain()
    candidates = [old, genome(0.95, seed=90), genome(0.31, seed=91), genome(0.31, seed=91), genome(0.6, seed=92)]
    settings = Screening(factor=2, min_evaluations=5)
    kept = screen(candidates, 3, settings, FLAT, history, evaluated, weight=1.0)
    assert kept[0].key() == candidates[2].key()            # the best-ranked novel candidate first
    assert all(k.key() != old.key() for k in kept)          # evaluated before: only when nothing else is left
    assert len({k.key() for k in kept}) == 3                # a repeat counts once
    few = screen(candidates, 2, Screening(factor=2, min_evaluations=100), FLAT, history, evaluated, 1.0)
    assert [k.key() for k in few] == [candidates[1].key(), candidates[2].key()]  # no surrogate: breeding order


@pytest.mark.parametrize("bad", [{"factor": 1}, {"factor": True}, {"min_evaluations": 0}, {"explore": 1.0},
                                 {"explore": "half"}, {"params": {"gamma": 2.0}}, {"params": []}, {"speed": 3}])
def test_bad_screening_settings_are_refused(bad):
    with pytest.raises(ConfigError):
        Screening.from_config(bad)


def test_unknown_surrogate_lists_the_known_ones():
    with pytest.raises(UnknownNameError, match="tpe"):
        Screening.from_config({"surrogate": "gp"})


# -- the recommended configuration -----------------------------------------------------------------
def test_recommended_validates_on_every_built_in_space():
    from evodeap.fitness.benchmarks import PROBLEMS
    from evodeap.kinds.families import FAMILIES

    for family in FAMILIES.names():
        plan_run(recommended(SearchSpace(family=family), 100.0, fitness="landscape"))
    for name in PROBLEMS.names():
        entry = PROBLEMS.get(name)
        plan_run(recommended(entry.space(), 100.0, fitness=entry.fitness, fitness_params=dict(entry.fitness_params),
                             max_fidelity=entry.max_fidelity))


def test_recommended_settings_can_be_replaced():
    config = recommended(SearchSpace(), 50.0, population_size=8, seed=3)
    assert config.population_size == 8 and config.seed == 3 and config.compute_budget == 50.0
    assert config.mutation == RECOMMENDED["mutation"]


# -- resume with screening on ------------------------------------------------------------------------
def test_a_screened_run_resumes_identically(tmp_path):
    config = recommended(SearchSpace(family="cnn"), None, fitness="landscape", population_size=6, generations=5,
                         seed=4, screening={"surrogate": "tpe", "factor": 3, "min_evaluations": 4, "explore": 0.3})
    run(config, tmp_path / "whole")
    stopped_run(config, tmp_path / "stopped", after=2)
    resume(tmp_path / "stopped", config)
    assert comparable(tmp_path / "stopped") == comparable(tmp_path / "whole")


def test_univariate_ratio_is_the_sum_of_one_column_ratios():
    rng = np.random.default_rng(5)
    genomes = [genome(float(x), str(c), int(o), seed=i) for i, (x, c, o) in
               enumerate(zip(rng.random(12), rng.choice(["a", "b", "c"], 12), rng.choice([1, 2, 4, 8], 12)))]
    values = list(rng.random(12))
    probe = [genome(0.4, "b", 2), genome(0.9, "c", 8, layers=3)]
    whole = ParzenRatio(FLAT).fit(genomes, values).score(probe)
    enc = GenomeEncoding(FLAT)
    rows = enc.matrix(genomes)[np.argsort(-np.asarray(values), kind="stable")]
    k = good_count(12, 0.25)
    from evodeap.operators.surrogate import _log_mixture

    x = enc.matrix(probe)
    parts = 0.0
    for d, c in enumerate(enc.categories):
        cats = np.array([c])
        args = (0.5, 0.05, 0.2, False)
        parts = parts + np.where(np.isnan(x[:, d]), 0.0,
                                 _log_mixture(x[:, [d]], rows[:k, [d]], cats, *args)
                                 - _log_mixture(x[:, [d]], rows[k:, [d]], cats, *args))
    assert whole == pytest.approx(parts)
