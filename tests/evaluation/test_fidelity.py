"""Multi-fidelity evolution: rung budgets and promotion exactly, then the engine on the landscape."""
from __future__ import annotations

import dataclasses
import math
from collections import Counter

import pytest

from evodeap.config.settings import ExperimentConfig
from evodeap.engine.loop import evolve
from evodeap.errors import ConfigError
from evodeap.evaluation.rungs import record_rung
from evodeap.execution.executors import ProcessExecutor
from evodeap.evaluation.fidelity import MultiFidelity, promote, promotion_count, rung_budgets, with_multi_fidelity
from evodeap.runs.lifecycle import resume, run
from evodeap.genome.space import Integer


# -- pure core -------------------------------------------------------------------------------
@pytest.mark.parametrize("r, eta, R, expected", [
    (1, 3, 9, (1, 3, 9)),
    (1, 2, 6, (1, 2, 4, 6)),
    (2, 3, 20, (2, 6, 18, 20)),
    (3, 3, 4, (3, 4)),
])
def test_rung_budgets(r, eta, R, expected):
    assert rung_budgets(r, eta, R) == expected


def test_promote_takes_the_top_floor_n_over_eta():
    scores = {"a": .5, "b": .9, "c": .1, "d": .7, "e": .3, "f": .8, "g": .2}
    assert promotion_count(7, 3) == 2
    assert promote(scores, 3) == ["b", "f"]
    assert promote(scores, 2) == ["b", "f", "d"]
    assert promote(scores, 3, promoted=["b"]) == ["f"]
    assert promote(scores, 3, promoted=["b", "a"]) == []  # the rung's quota is used up


def test_promote_minimum_ties_and_non_finite_scores():
    scores = {"a": float("nan"), "b": .4, "c": .4, "d": -math.inf, "e": .1}
    assert promote(scores, 3) == ["b"]                     # tie: first come first
    assert promote(scores, 3, minimum=3) == ["b", "c", "e"]  # NaN and -inf rank last
    assert promote(scores, 3, minimum=9) == ["b", "c", "e", "a", "d"]


def test_asynchronous_promotion_sequence():
    """ASHA: after each result the rung may have sent on ⌊n/η⌋ of its n results."""
    arrivals = [("a", .2), ("b", .6), ("c", .4), ("d", .9), ("e", .1), ("f", .3)]
    scores, promoted, events = {}, [], []
    for name, value in arrivals:
        scores[name] = value
        new = promote(scores, 2, promoted)
        promoted += new
        events.append(new)
    assert events == [[], ["b"], [], ["d"], [], ["c"]]


def test_multi_fidelity_settings_validate_and_count():
    mf = MultiFidelity(1, 3, 9)
    assert mf.rungs == (1, 3, 9) and mf.candidates(4) == 36
    assert mf.epochs_per_survivor() == 9 * 1 + 3 * 2 + 1 * 6
    for bad in ({"min_budget": 0}, {"eta": 1}, {"max_budget": 1}, {"min_budget": 1.5}, {"asynchronous": "yes"},
                {"rungs": 3}):
        with pytest.raises(ConfigError):
            MultiFidelity.from_config({**mf.to_dict(), **bad})


def test_config_requires_the_epochs_gene_fixed_at_the_top_budget():
    config = ExperimentConfig(population_size=4, generations=1)
    with pytest.raises(ConfigError, match="epochs.*fixed at max_budget=9"):
        dataclasses.replace(config, multi_fidelity={"min_budget": 1, "eta": 3, "max_budget": 9}).validate()
    fixed = with_multi_fidelity(config, 1, 3, 9)
    assert fixed.space.hyperparameters["epochs"] == Integer(9, 9)
    fixed.validate()
    with pytest.raises(ConfigError, match="strategy"):
        dataclasses.replace(fixed, strategy="fixed").validate()
    with pytest.raises(ConfigError, match="early_termination"):
        dataclasses.replace(config, early_termination={"top_k": 0}).validate()


# -- the engine ----------------------------------------------------------------------------
def mf_config(asynchronous: bool = False, **changes) -> ExperimentConfig:
    config = ExperimentConfig(population_size=4, generations=3, seed=3, refine_every=2, **changes)
    return with_multi_fidelity(config, 1, 3, 9, asynchronous=asynchronous)


def rung_counts(result) -> Counter:
    return Counter((r.generation, r.result.extra["budget"]) for r in result.evaluations)


def test_synchronous_halving_counts_and_full_fidelity_population():
    result = evolve(mf_config())
    counts = rung_counts(result)
    assert (counts[(0, 1)], counts[(0, 3)], counts[(0, 9)]) == (36, 12, 4)
    for gen in range(1, 4):
        assert counts[(gen, 3)] == counts[(gen, 1)] // 3 or counts[(gen, 3)] >= 3
        assert counts[(gen, 9)] <= max(counts[(gen, 3)] // 3, 3)
    full = {(r.genome.key(), r.result.fitness) for r in result.evaluations if r.result.extra["budget"] == 9}
    for ind in result.population:  # every member's fitness comes from a full-budget evaluation
        assert (ind.key(), tuple(ind.fitness.values)) in full
    # promoted candidates are the best of their rung
    gen0 = [r for r in result.evaluations if r.generation == 0]
    rung1 = sorted((r.result.fitness[0] for r in gen0 if r.result.extra["budget"] == 1), reverse=True)
    promoted = {r.genome.key() for r in gen0 if r.result.extra["budget"] == 3}
    best12 = {r.genome.key() for r in gen0 if r.result.extra["budget"] == 1 and r.result.fitness[0] >= rung1[11]}
    assert promoted <= best12 and len(promoted) == 12


def test_synchronous_halving_is_reproducible_and_worker_independent():
    a = evolve(mf_config())
    with ProcessExecutor(2) as executor:
        b = evolve(mf_config(), executor=executor)
    rows = lambda r: [{k: v for k, v in row.items() if k != "elapsed"} for row in r.logbook]  # noqa: E731
    assert rows(a) == rows(b)
    assert [(r.generation, r.index, r.genome.key()) for r in a.evaluations] == \
           [(r.generation, r.index, r.genome.key()) for r in b.evaluations]


def test_asynchronous_halving_promotes_only_from_results_in_and_fills_the_population():
    result = evolve(mf_config(asynchronous=True))
    mf = MultiFidelity(1, 3, 9)
    for gen in range(4):
        records = [r for r in result.evaluations if r.generation == gen]
        seen: dict[int, set] = {0: set(), 1: set(), 2: set()}
        for record in sorted(records, key=lambda r: r.index):  # submission order
            rung = record_rung(record, mf)
            if rung > 0:  # a promotion: its lower-rung result was already in
                assert record.genome.key() in seen[rung - 1]
            seen[rung].add(record.genome.key())
    assert len(result.population) == 4
    assert all(ind.fitness.valid for ind in result.population)


def test_budget_accounting_per_generation_in_logbook_and_database(tmp_path):
    config = mf_config()
    result = run(config, tmp_path / "run")
    total = 0.0
    for row in result.logbook:
        spent = sum(r.result.extra["epochs_run"] for r in result.evaluations if r.generation == row["generation"])
        total += spent
        assert row["epochs"] == spent and row["epochs_total"] == total
    assert result.logbook[0]["epochs"] == 36 * 1 + 12 * 3 + 4 * 9  # the landscape has no weights to continue from
    from evodeap.results.queries import compute_per_generation

    frame = compute_per_generation(tmp_path / "run")
    assert list(frame["epochs"]) == [row["epochs"] for row in result.logbook]
    assert list(frame["evaluations"]) == [row["nevals"] for row in result.logbook]
    assert (frame["eval_seconds"] > 0).all()


def test_multi_fidelity_run_resumes_to_the_same_result(tmp_path):
    config = mf_config()
    reference = run(config, tmp_path / "whole")
    seen = []

    def stop_midway(record):
        seen.append(record)
        if len(seen) == 70:  # inside generation 1, between rungs
            raise KeyboardInterrupt

    from evodeap.runs.lifecycle import RunInterrupted

    with pytest.raises(RunInterrupted):
        run(config, tmp_path / "cut", on_evaluation=stop_midway)
    resumed = resume(tmp_path / "cut", config)
    rows = lambda r: [{k: v for k, v in row.items() if k != "elapsed"} for row in r.logbook]  # noqa: E731
    assert rows(resumed) == rows(reference)


def test_compute_budget_stops_after_the_generation_that_reaches_it():
    unlimited = evolve(mf_config())
    totals = [row["epochs_total"] for row in unlimited.logbook]

    class EpochFlops:  # the landscape's epochs as "FLOPs", so the budget is exact
        def __init__(self):
            from evodeap.fitness.landscape import LandscapeFitness
            self.inner = LandscapeFitness()

        def __call__(self, genome, context):
            result = self.inner(genome, context)
            result.extra["train_flops"] = result.extra["epochs_run"]
            return result

    limited = evolve(dataclasses.replace(mf_config(), compute_budget=totals[1]), fitness=EpochFlops())
    assert [row["generation"] for row in limited.logbook] == [0, 1]
    with pytest.raises(ConfigError, match="compute_budget"):
        dataclasses.replace(mf_config(), compute_budget=0).validate()


def test_population_is_filled_when_duplicates_leave_too_few_full_budget_candidates():
    from evodeap.genome.space import Choice, Real, SearchSpace

    one = SearchSpace(
        family="cnn",
        hyperparameters={"learning_rate": Real(1e-3, 1e-3), "batch_size": Choice((32,)), "optimizer": Choice(("adam",)),
                         "dropout": Real(0.1, 0.1), "epochs": Integer(9, 9)},
        layers={"conv": {"filters": Choice((16,)), "kernel_size": Choice((3,)), "activation": Choice(("relu",)),
                         "pooling": Choice(("max",))},
                "dense": {"units": Choice((32,)), "activation": Choice(("relu",))},
                "dropout": {"rate": Choice((0.2,))}},
        min_layers=2, max_layers=2,
    )
    config = dataclasses.replace(mf_config(), space=one, generations=1, refine_every=0)
    result = evolve(config)
    assert len(result.population) == 4 and len({id(ind) for ind in result.population}) == 4
    assert len({ind.key() for ind in result.population}) == 1
    assert all(ind.fitness.valid for ind in result.population)
